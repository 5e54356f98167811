package stages

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/ingest"
	"github.com/tweetflow/tweetflow/internal/labelset"
	"github.com/tweetflow/tweetflow/internal/model/classifier"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/model/metrics"
	"github.com/tweetflow/tweetflow/internal/text"
)

// This file declares the typed parameters of every stage: one struct per
// contract, decoded once by the harness (component.Typed) from the
// contract's params by their `param` tags. TestParamsMatchContracts checks
// that each struct has exactly one field per parameter of its contract.

// Format is a --format value, parsed once (ingest.ParseFormat).
type Format struct{ ingest.Format }

// UnmarshalText parses a format name.
func (f *Format) UnmarshalText(b []byte) error {
	v, err := ingest.ParseFormat(string(b))
	f.Format = v
	return err
}

// LabelMap is a --label-map value, parsed once (ingest.ParseLabelMap);
// Map is nil when the value is empty (the format's default mapping).
type LabelMap struct{ Map *ingest.LabelMap }

// UnmarshalText parses a label mapping.
func (l *LabelMap) UnmarshalText(b []byte) error {
	l.Map = nil
	if len(b) == 0 {
		return nil
	}
	m, err := ingest.ParseLabelMap(string(b))
	l.Map = m
	return err
}

// LabelSet is a --labels value, parsed once (labelset.Parse).
type LabelSet struct{ labelset.Spec }

// UnmarshalText parses a label set.
func (l *LabelSet) UnmarshalText(b []byte) error {
	s, err := labelset.Parse(string(b))
	l.Spec = s
	return err
}

// CharNgrams is train's --char-ngrams: min-max lengths, a single length,
// or 0 (none: Min = Max = 0).
type CharNgrams struct{ Min, Max int }

// UnmarshalText parses "3-5", "4" or "0".
func (c *CharNgrams) UnmarshalText(b []byte) error {
	s := string(b)
	if s == "0" || s == "" {
		*c = CharNgrams{}
		return nil
	}
	lo, hi, ok := strings.Cut(s, "-")
	if !ok {
		hi = lo
	}
	a, err1 := strconv.Atoi(lo)
	z, err2 := strconv.Atoi(hi)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("%q: want min-max like 3-5, a single length, or 0", s)
	}
	*c = CharNgrams{Min: a, Max: z}
	return nil
}

// ColumnFields are the ColumnParams: the column mapping of delimited files.
type ColumnFields struct {
	TextColumn  string `param:"text-column"`
	LabelColumn string `param:"label-column"`
	IDColumn    string `param:"id-column"`
	TimeColumn  string `param:"time-column"`
	UserColumn  string `param:"user-column"`
}

// Columns returns the column mapping.
func (f ColumnFields) Columns() ingest.Columns {
	return ingest.Columns{Text: f.TextColumn, Label: f.LabelColumn, ID: f.IDColumn, Time: f.TimeColumn, User: f.UserColumn}
}

// RawReadFields say how a component reads raw files: --format,
// --label-map and the column mapping.
type RawReadFields struct {
	Format   Format   `param:"format"`
	LabelMap LabelMap `param:"label-map"`
	ColumnFields
}

// ReadOptions returns the read options of the fields.
func (f RawReadFields) ReadOptions() ingest.ReadOptions {
	return ingest.ReadOptions{Format: f.Format.Format, LabelMap: f.LabelMap.Map, Columns: f.Columns()}
}

// IngestParams are ingest's parameters.
type IngestParams struct {
	RawReadFields
	MaxBadRows int `param:"max-bad-rows"`
	ShardRows  int `param:"shard-rows"`
}

// CleanParams are clean's parameters.
type CleanParams struct {
	URLs             text.Mode `param:"urls"`
	Mentions         text.Mode `param:"mentions"`
	Emojis           text.Mode `param:"emojis"`
	Lowercase        bool      `param:"lowercase"`
	StripRT          bool      `param:"strip-rt"`
	SqueezeRepeats   bool      `param:"squeeze-repeats"`
	StripHash        bool      `param:"strip-hash"`
	TrailingHashtags text.Mode `param:"trailing-hashtags"`
	Conflicts        string    `param:"conflicts"`
	Mode             string    `param:"mode"`
	State            string    `param:"state"`
	SpillDir         string    `param:"spill-dir"`
	ShardRows        int       `param:"shard-rows"`
}

// CleanerOptions returns the text cleaner's options the parameters set.
func (p CleanParams) CleanerOptions() text.Options {
	o := text.DefaultOptions()
	o.URLs, o.Mentions, o.Emojis = p.URLs, p.Mentions, p.Emojis
	o.Lowercase, o.StripRT, o.SqueezeRepeats, o.StripHashSign = p.Lowercase, p.StripRT, p.SqueezeRepeats, p.StripHash
	o.TrailingHashtags = p.TrailingHashtags
	return o
}

// BalanceSplitParams are balance-split's parameters.
type BalanceSplitParams struct {
	Seed               int      `param:"seed"`
	TrainFraction      float64  `param:"train-fraction"`
	ValidationFraction float64  `param:"validation-fraction"`
	TrainBalance       string   `param:"train-balance"`
	Labels             LabelSet `param:"labels"`
	TestRows           int      `param:"test-rows"`
	ValidationRows     int      `param:"validation-rows"`
	ShardRows          int      `param:"shard-rows"`
}

// EmbedParams are embed's parameters.
type EmbedParams struct {
	Algorithm string  `param:"algorithm"`
	Dim       int     `param:"dim"`
	Window    int     `param:"window"`
	Negative  int     `param:"negative"`
	MinCount  int     `param:"min-count"`
	Sample    float64 `param:"sample"`
	Epochs    int     `param:"epochs"`
	Alpha     float64 `param:"alpha"`
	Threads   int     `param:"threads"`
	Seed      int     `param:"seed"`
}

// TrainParams are train's parameters.
type TrainParams struct {
	Labels             LabelSet   `param:"labels"`
	PositiveLabel      string     `param:"positive-label"`
	Epochs             int        `param:"epochs"`
	LearningRate       float64    `param:"learning-rate"`
	Dim                int        `param:"dim"`
	Hidden             int        `param:"hidden"`
	WordNgrams         int        `param:"word-ngrams"`
	CharNgrams         CharNgrams `param:"char-ngrams"`
	Buckets            int        `param:"buckets"`
	MinCount           int        `param:"min-count"`
	Lexicon            string     `param:"lexicon"`
	Negation           bool       `param:"negation"`
	ClassWeights       string     `param:"class-weights"`
	Patience           int        `param:"patience"`
	Seed               int        `param:"seed"`
	Threads            int        `param:"threads"`
	WeakLabels         string     `param:"weak-labels"`
	MinLabelConfidence float64    `param:"min-label-confidence"`
	RuleFeatures       bool       `param:"rule-features"`
	RuleRepeat         int        `param:"rule-repeat"`
}

// ClassifierParams returns the classifier's training parameters: its
// defaults (classifier.DefaultParams) with those train sets.
func (p TrainParams) ClassifierParams() classifier.Params {
	c := classifier.DefaultParams()
	c.Dim, c.Hidden, c.Epochs, c.LearningRate = p.Dim, p.Hidden, p.Epochs, p.LearningRate
	c.ClassWeights, c.Patience, c.Seed, c.Threads = p.ClassWeights, p.Patience, uint64(p.Seed), p.Threads
	return c
}

// FeaturizerSettings returns the featurizer's settings: its defaults
// (featurize.DefaultSettings) with those train sets.
func (p TrainParams) FeaturizerSettings() featurize.Settings {
	s := featurize.DefaultSettings()
	s.WordNgrams, s.MinCount, s.Negation, s.Buckets = p.WordNgrams, p.MinCount, p.Negation, p.Buckets
	s.Lexicon = ""
	if p.Lexicon == featurize.LexiconVADER {
		s.Lexicon = featurize.LexiconVADER
	}
	s.CharMin, s.CharMax = p.CharNgrams.Min, p.CharNgrams.Max
	return s
}

// EvaluateGateParams are evaluate-gate's parameters.
type EvaluateGateParams struct {
	MinROCAUC      float64 `param:"min-roc-auc"`
	MinPRAUC       float64 `param:"min-pr-auc"`
	MinMacroRecall float64 `param:"min-macro-recall"`
	RawReadFields
	MaxBadRows    int    `param:"max-bad-rows"`
	PositiveLabel string `param:"positive-label"`
}

// Thresholds returns the gate's thresholds by metric (metrics.Gated).
func (p EvaluateGateParams) Thresholds() map[metrics.Headline]float64 {
	return map[metrics.Headline]float64{metrics.ROCAUC: p.MinROCAUC, metrics.PRAUC: p.MinPRAUC, metrics.MacroRecall: p.MinMacroRecall}
}

// ExportONNXParams are export-onnx's parameters.
type ExportONNXParams struct {
	Verify bool `param:"verify"`
}

// BuildServingImageParams are build-serving-image's parameters.
type BuildServingImageParams struct {
	Registry         string `param:"registry"`
	Repository       string `param:"repository"`
	Tag              string `param:"tag"`
	ServerBinary     string `param:"server-binary"`
	InsecureRegistry bool   `param:"insecure-registry"`
}

// LabelParams are label's parameters.
type LabelParams struct {
	Model          string   `param:"model"`
	ClassBalance   string   `param:"class-balance"` // checked against the rules' label count
	Seed           int      `param:"seed"`
	Restarts       int      `param:"restarts"`
	MinConfidence  float64  `param:"min-confidence"`
	GoldenFormat   Format   `param:"golden-format"`
	GoldenLabelMap LabelMap `param:"golden-label-map"`
	MaxBadRows     int      `param:"max-bad-rows"`
	ShardRows      int      `param:"shard-rows"`
	ColumnFields
}

// GoldenReadOptions returns how raw --golden files are read.
func (p LabelParams) GoldenReadOptions() ingest.ReadOptions {
	return ingest.ReadOptions{Format: p.GoldenFormat.Format, LabelMap: p.GoldenLabelMap.Map, Columns: p.Columns()}
}

// AnnotateParams are annotate's parameters.
type AnnotateParams struct {
	Mode          string        `param:"mode"`
	Labels        []string      `param:"labels"`
	Addr          string        `param:"addr"`
	PostgresDSN   string        `param:"postgres-dsn"`
	Overlap       float64       `param:"overlap"`
	Seed          int           `param:"seed"`
	AssignmentTTL time.Duration `param:"assignment-ttl"`
	SourceTable   string        `param:"source-table"`
	MaxTasks      int           `param:"max-tasks"`
	ShardRows     int           `param:"shard-rows"`
}

// DashboardParams are dashboard's parameters.
type DashboardParams struct {
	Addr         string        `param:"addr"`
	PostgresDSN  string        `param:"postgres-dsn"`
	Tables       []string      `param:"table"`
	TimeColumn   string        `param:"time-column"`
	Bucket       time.Duration `param:"bucket"`
	Buckets      int           `param:"buckets"`
	Label        string        `param:"label"`
	Latest       int           `param:"latest"`
	Sample       int           `param:"sample"`
	Top          int           `param:"top"`
	Bins         int           `param:"bins"`
	PSIThreshold float64       `param:"psi-threshold"`
	KSThreshold  float64       `param:"ks-threshold"`
	Refresh      time.Duration `param:"refresh"`
	QueryTimeout time.Duration `param:"query-timeout"`
}

// ServeParams are serve's parameters.
type ServeParams struct {
	ModelName       string        `param:"model-name"`
	ReloadInterval  time.Duration `param:"reload-interval"`
	Addr            string        `param:"addr"`
	MaxBodyBytes    int64         `param:"max-body-bytes"`
	MaxTextChars    int           `param:"max-text-chars"`
	MaxBatch        int           `param:"max-batch"`
	ReadTimeout     time.Duration `param:"read-timeout"`
	WriteTimeout    time.Duration `param:"write-timeout"`
	IdleTimeout     time.Duration `param:"idle-timeout"`
	ShutdownTimeout time.Duration `param:"shutdown-timeout"`
	DrainDelay      time.Duration `param:"drain-delay"`
	AdminToken      string        `param:"admin-token"`
	DebugAddr       string        `param:"debug-addr"`
	LogRequests     bool          `param:"log-requests"`
	LogSample       int           `param:"log-sample"`
}

// LoadPostgresParams are load-postgres's parameters.
type LoadPostgresParams struct {
	PostgresDSN string `param:"postgres-dsn"`
	Table       string `param:"table"`
	BatchSize   int    `param:"batch-size"`
}
