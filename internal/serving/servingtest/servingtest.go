package servingtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tweetflow/tweetflow/internal/model/classifier"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/onnx"
	"github.com/tweetflow/tweetflow/internal/onnx/onnxtest"
	"github.com/tweetflow/tweetflow/internal/text"
	"github.com/tweetflow/tweetflow/internal/weak"
)

// Labels are the three sentiment classes.
var Labels = []string{"negative", "neutral", "positive"}

// Texts is a small corpus of raw tweets for vocabularies and requests.
var Texts = []string{
	"I love this new phone, the camera is amazing! :)",
	"worst service ever, never flying with them again :(",
	"The meeting is at 3pm in room 204.",
	"RT @friend: so happy for you!!! congrats 🎉 https://t.co/abc",
	"not bad at all, actually pretty good",
	"ugh, my flight got cancelled again #fail",
	"Just had lunch. Back to work now.",
	"this is sooooo good I can't even",
	"@support my order still hasn't arrived, really disappointed",
	"Weather update: cloudy with a chance of rain tomorrow",
	"best concert of my life!!! thank you",
	"I don't like mondays",
}

// Options describe a model folder to write.
type Options struct {
	Version   string
	Labels    []string // default Labels
	Dim       int      // default 8
	Hidden    int
	Buckets   int // default 1000
	Seed      uint64
	Texts     []string // vocabulary source; default Texts
	CreatedAt time.Time
	// Metadata adds model.onnx metadata props.
	Metadata map[string]string
	// Rules, a rules file (internal/weak), makes Random's model one with
	// rule features (featurize.RulesFile in the folder, RuleRepeat 8).
	Rules []byte
}

// Model is a written model folder and what it was made of.
type Model struct {
	Files      map[string][]byte
	Classifier *onnx.Classifier
	Featurizer *featurize.Featurizer
	Cleaner    *text.Cleaner
}

// Reference returns the probabilities the model must give for a raw text,
// computed with the exporter's pure-Go reference forward pass.
func (m *Model) Reference(raw string) []float32 {
	ids := m.Featurizer.TweetIDs(raw, m.Cleaner.Clean(raw))
	if len(ids) == 0 {
		ids = []int64{0}
	}
	return m.Classifier.Predict([][]int64{ids})[0]
}

// Random returns a model folder with random weights (onnxtest.Classifier)
// over a featurizer built from o.Texts.
func Random(o Options) (*Model, error) {
	o = o.defaults()
	cleaner, err := text.NewCleaner()
	if err != nil {
		return nil, err
	}
	s := featurize.DefaultSettings()
	s.Buckets = o.Buckets
	var rules *weak.RuleFeatures
	if o.Rules != nil {
		if rules, err = weak.ParseRuleFeatures(featurize.RulesFile, o.Rules); err != nil {
			return nil, err
		}
		s.RuleRepeat = 8
	}
	b, err := featurize.NewBuilder(s)
	if err != nil {
		return nil, err
	}
	if rules != nil {
		if err := b.AttachRules(rules); err != nil {
			return nil, err
		}
	}
	for _, t := range o.Texts {
		b.AddTweet(t, cleaner.Clean(t))
	}
	f, _, err := b.Build()
	if err != nil {
		return nil, err
	}
	c := onnxtest.Classifier(o.Seed, onnxtest.Spec{Rows: f.Rows(), Dim: o.Dim, Hidden: o.Hidden, Classes: len(o.Labels)})
	c.Labels = o.Labels
	return write(c, f, cleaner, o, nil)
}

// Trained trains a real classifier on raw texts with labels (indexes into
// o.Labels) and returns its model folder. It is the demo model of the
// benchmarks.
func Trained(ctx context.Context, texts []string, labels []int, o Options) (*Model, error) {
	o = o.defaults()
	cleaner, err := text.NewCleaner()
	if err != nil {
		return nil, err
	}
	s := featurize.DefaultSettings()
	s.Buckets = o.Buckets
	s.MinCount = 2
	b, err := featurize.NewBuilder(s)
	if err != nil {
		return nil, err
	}
	for _, t := range texts {
		b.Add(cleaner.Clean(t))
	}
	f, docs, err := b.Build()
	if err != nil {
		return nil, err
	}
	var train classifier.Dataset
	for i := range docs.Len() {
		train.Add(docs.Doc(i), labels[i])
	}
	cm, res, err := classifier.Train(ctx, f, o.Labels, &train, nil,
		classifier.WithDim(o.Dim), classifier.WithHidden(o.Hidden), classifier.WithSeed(o.Seed), classifier.WithEpochs(5))
	if err != nil {
		return nil, err
	}
	w := cm.Weights()
	c := &onnx.Classifier{Embedding: w.Embedding, Rows: w.Rows, Dim: w.Dim, Labels: w.Labels,
		Output: onnx.Dense{W: w.Output.W, B: w.Output.B, In: w.Output.In, Out: w.Output.Out}}
	if w.Hidden != nil {
		c.Hidden = &onnx.Dense{W: w.Hidden.W, B: w.Hidden.B, In: w.Hidden.In, Out: w.Hidden.Out}
	}
	return write(c, f, cleaner, o, res)
}

func (o Options) defaults() Options {
	if o.Version == "" {
		o.Version = "test-v1"
	}
	if o.Labels == nil {
		o.Labels = Labels
	}
	if o.Dim == 0 {
		o.Dim = 8
	}
	if o.Buckets == 0 {
		o.Buckets = 1000
	}
	if o.Texts == nil {
		o.Texts = Texts
	}
	return o
}

func write(c *onnx.Classifier, f *featurize.Featurizer, cleaner *text.Cleaner, o Options, res *classifier.Result) (*Model, error) {
	topts, err := json.Marshal(cleaner.Options())
	if err != nil {
		return nil, err
	}
	opts := []onnx.Option{
		onnx.WithMetadata("model_version", o.Version),
		onnx.WithMetadata("text_options", string(topts)),
		onnx.WithMetadataMap(o.Metadata),
	}
	raw, err := onnx.Export(c, opts...)
	if err != nil {
		return nil, err
	}
	var settings, vocab bytes.Buffer
	if err := f.Save(&settings, &vocab); err != nil {
		return nil, err
	}
	md := map[string]any{
		"model_version": o.Version,
		"created_at":    o.CreatedAt.UTC().Format(time.RFC3339),
		"labels":        c.Labels,
	}
	if res != nil {
		md["training"] = res
	}
	mdb, err := json.MarshalIndent(md, "", "  ")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		"model.onnx":      raw,
		"featurizer.json": settings.Bytes(),
		"vocab.txt":       vocab.Bytes(),
		"metadata.json":   append(mdb, '\n'),
	}
	if f.HasRules() {
		files[featurize.RulesFile] = f.Rules().Source()
	}
	return &Model{Files: files, Classifier: c, Featurizer: f, Cleaner: cleaner}, nil
}

// WriteDir writes the model files into dir (created if needed).
func (m *Model) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating model folder %q: %w", dir, err)
	}
	for name, b := range m.Files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("writing %q: %w", name, err)
		}
	}
	return nil
}
