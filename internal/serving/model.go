package serving

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/model/classifier"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/onnx"
	"github.com/tweetflow/tweetflow/internal/onnx/runtime"
	"github.com/tweetflow/tweetflow/internal/text"
)

// Files of a served model folder (the export-onnx output).
const (
	ONNXFile       = "model.onnx"
	FeaturizerFile = "featurizer.json"
	VocabFile      = "vocab.txt"
	MetadataFile   = "metadata.json"
	// RulesFile holds the rules of a model with rule features
	// (featurize.RulesFile; only such models have it).
	RulesFile = featurize.RulesFile
)

// Metadata keys of model.onnx that the server reads (besides onnx.LabelsKey).
const (
	// VersionKey holds the model version (the training run ID).
	VersionKey = "model_version"
	// TextOptionsKey holds the text.Options (JSON) the training text was
	// cleaned with; absent means text.DefaultOptions.
	TextOptionsKey = "text_options"
	// FeaturizerKey may hold the featurizer settings (JSON) when the folder
	// has no featurizer.json.
	FeaturizerKey = "featurizer"
	// CreatedKey may hold the creation time (RFC 3339).
	CreatedKey = "created_at"
	// PositiveKey may hold the positive class of a two-class model (one of
	// the labels), whose ROC and PR curves evaluate-gate reports.
	PositiveKey = "positive_label"
)

// maxModelFile bounds every file read while loading a model (2 GiB).
const maxModelFile = 2 << 30

// folderMetadata is the part of metadata.json the server uses.
type folderMetadata struct {
	ModelVersion string            `json:"model_version"`
	CreatedAt    time.Time         `json:"created_at"`
	Labels       []string          `json:"labels"`
	Positive     string            `json:"positive_label"`
	TextOptions  *text.Options     `json:"text_options"`
	Extra        map[string]string `json:"extra"`
}

// Model is a loaded model: the compiled ONNX graph, the featurizer that
// turns text into its token ids, and the text cleaner of training. It is
// immutable and safe for concurrent use.
type Model struct {
	version  string
	created  time.Time
	labels   []string
	positive string
	source   string
	digest   string
	graph    *runtime.Model
	feat     *featurize.Featurizer
	cleaner  *text.Cleaner
	textOpts text.Options

	// Pre-encoded JSON fragments for the response writers.
	jsonVersion []byte   // "v1"
	jsonLabels  [][]byte // "negative", ...
	// jsonTextOpts is textOpts as JSON, for GET /models.
	jsonTextOpts []byte

	pool sync.Pool // *scratch
}

// Version is the model version (the training run ID).
func (m *Model) Version() string { return m.version }

// Labels names the classes in output order. Do not modify it.
func (m *Model) Labels() []string { return m.labels }

// PositiveLabel is the positive class of a two-class model, "" when the
// model records none.
func (m *Model) PositiveLabel() string { return m.positive }

// CreatedAt is the model's creation time (zero when unknown).
func (m *Model) CreatedAt() time.Time { return m.created }

// Source is the URI or path the model was loaded from.
func (m *Model) Source() string { return m.source }

// Digest identifies the loaded files: the artifact manifest digest when the
// folder is a committed output, else a SHA-256 over the file contents.
func (m *Model) Digest() string { return m.digest }

// TextOptions are the cleaning options applied before featurizing.
func (m *Model) TextOptions() text.Options { return m.textOpts }

// Graph returns the compiled ONNX model.
func (m *Model) Graph() *runtime.Model { return m.graph }

// LoadOption configures model loading.
type LoadOption func(*loadConfig)

type loadConfig struct {
	resolver *artifact.Resolver
}

// WithResolver sets the artifact resolver of the caller (its composition
// root's) for the URI given to Load. Without it Load reads local paths
// and file:// URIs only: an s3:// URI is an error (the library builds no
// S3 settings of its own).
func WithResolver(r *artifact.Resolver) LoadOption {
	return func(c *loadConfig) { c.resolver = r }
}

// resolve resolves uri with r; a nil r (no resolver given) resolves local
// paths and file:// URIs only, and says how to read an s3:// URI (how).
func resolve(ctx context.Context, r *artifact.Resolver, uri, how string) (artifact.Location, error) {
	loc, err := r.Resolve(ctx, uri)
	if errors.Is(err, artifact.ErrNoS3) {
		return loc, fmt.Errorf("%w; to read s3:// locations, %s with the composition root's artifact.Resolver", err, how)
	}
	return loc, err
}

// Load loads the model folder at uri: a local path, file:// or s3:// URI.
// When the folder is a committed artifact (it has a _SUCCESS.json manifest)
// the files are checked against the manifest's SHA-256 sums; an s3 folder
// must be committed.
func Load(ctx context.Context, uri string, opts ...LoadOption) (*Model, error) {
	var cfg loadConfig
	for _, o := range opts {
		o(&cfg)
	}
	loc, err := resolve(ctx, cfg.resolver, uri, "pass serving.WithResolver")
	if err != nil {
		return nil, fmt.Errorf("loading model %q: %w", uri, err)
	}
	return loadLocation(ctx, loc, uri)
}

// LoadLocation loads the model folder at a location the caller already
// resolved (a component's input), as Load does.
func LoadLocation(ctx context.Context, loc artifact.Location) (*Model, error) {
	return loadLocation(ctx, loc, loc.URI())
}

func loadLocation(ctx context.Context, loc artifact.Location, source string) (*Model, error) {
	files, digest, err := readFolder(ctx, loc)
	if err != nil {
		return nil, fmt.Errorf("loading model %q: %w", source, err)
	}
	fallback := path.Base(loc.Key)
	if loc.Key == "" {
		if fs, ok := loc.Store.(*artifact.FS); ok {
			fallback = filepath.Base(fs.Root())
		}
	}
	m, err := build(files, fallback)
	if err != nil {
		return nil, fmt.Errorf("loading model %q: %w", source, err)
	}
	m.source, m.digest = source, digest
	return m, nil
}

// LoadFiles builds a model from file contents keyed by file name (model.onnx,
// featurizer.json, vocab.txt, optional metadata.json). name is the version
// used when neither file names one.
func LoadFiles(files map[string][]byte, name string) (*Model, error) {
	m, err := build(files, name)
	if err != nil {
		return nil, fmt.Errorf("loading model %q: %w", name, err)
	}
	m.source, m.digest = name, contentDigest(files)
	return m, nil
}

func contentDigest(files map[string][]byte) string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, n := range names {
		s := sha256.Sum256(files[n])
		fmt.Fprintf(h, "%s %x %d\n", n, s, len(files[n]))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// readFolder reads the model files of a folder.
func readFolder(ctx context.Context, loc artifact.Location) (map[string][]byte, string, error) {
	st := loc.Store
	man, err := artifact.ReadManifest(ctx, st, loc.Key)
	_, isFS := st.(*artifact.FS)
	switch {
	case err == nil:
	case errors.Is(err, artifact.ErrNotCommitted) && isFS:
		// A plain local folder (hand-made, or baked into a serving image)
		// is served as is. A folder with a staging area is a tweetflow
		// output whose commit did not finish (or is under way): its files
		// may be half old, half new, and readers trust only committed
		// outputs, so it is refused.
		if hasStaging(st.(*artifact.FS), loc.Key) {
			return nil, "", fmt.Errorf("%w; it has a %s area, so it is a tweetflow output whose commit did not finish: rerun the step that writes it, or serve a committed output", err, artifact.StagingDir)
		}
		man = nil
	default:
		return nil, "", err
	}
	want := map[string]string{} // name -> sha256 from the manifest
	if man != nil {
		for _, f := range man.Files {
			want[f.Name] = f.SHA256
		}
	}
	files := map[string][]byte{}
	for _, name := range []string{ONNXFile, FeaturizerFile, VocabFile, MetadataFile, RulesFile} {
		if man != nil {
			if _, ok := want[name]; !ok {
				continue
			}
		}
		b, err := readObject(ctx, st, path.Join(loc.Key, name))
		if errors.Is(err, artifact.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		if sum, ok := want[name]; ok {
			got := sha256.Sum256(b)
			if hex.EncodeToString(got[:]) != strings.TrimPrefix(sum, "sha256:") {
				return nil, "", fmt.Errorf("checking %q: sha256 %x does not match the manifest's %s", name, got, sum)
			}
		}
		files[name] = b
	}
	if _, ok := files[ONNXFile]; !ok {
		return nil, "", fmt.Errorf("reading %q: %w", st.URI(path.Join(loc.Key, ONNXFile)), artifact.ErrNotExist)
	}
	if man != nil {
		return files, man.Digest(), nil
	}
	return files, contentDigest(files), nil
}

func readObject(ctx context.Context, st artifact.Store, key string) ([]byte, error) {
	r, err := st.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, maxModelFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", st.URI(key), err)
	}
	if len(b) > maxModelFile {
		return nil, fmt.Errorf("reading %q: larger than %d bytes", st.URI(key), maxModelFile)
	}
	return b, nil
}

func build(files map[string][]byte, fallbackName string) (*Model, error) {
	raw, ok := files[ONNXFile]
	if !ok {
		return nil, fmt.Errorf("reading %q: missing", ONNXFile)
	}
	g, err := runtime.LoadBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("compiling %q: %w", ONNXFile, err)
	}
	if err := checkSignature(g); err != nil {
		return nil, err
	}
	var md folderMetadata
	if b, ok := files[MetadataFile]; ok {
		if err := json.Unmarshal(b, &md); err != nil {
			return nil, fmt.Errorf("decoding %q: %w", MetadataFile, err)
		}
	}
	m := &Model{graph: g, created: md.CreatedAt}

	// Featurizer: featurizer.json + vocab.txt, or settings in the ONNX metadata.
	settings, ok := files[FeaturizerFile]
	if !ok {
		s, found := g.Metadata(FeaturizerKey)
		if !found {
			return nil, fmt.Errorf("reading featurizer: no %q and no %q metadata in %q", FeaturizerFile, FeaturizerKey, ONNXFile)
		}
		settings = []byte(s)
	}
	vocab, ok := files[VocabFile]
	if !ok {
		return nil, fmt.Errorf("reading %q: missing", VocabFile)
	}
	m.feat, err = featurize.Load(bytes.NewReader(settings), bytes.NewReader(vocab))
	if err != nil {
		return nil, fmt.Errorf("loading featurizer: %w", err)
	}
	if m.feat.HasRules() {
		b, ok := files[RulesFile]
		if !ok {
			return nil, fmt.Errorf("reading %q: missing (the featurizer has rule features %q)", RulesFile, m.feat.Settings().RuleFeatures)
		}
		if err := classifier.AttachRules(m.feat, b); err != nil {
			return nil, err
		}
	}
	if tok := m.feat.Settings().Tokenizer; tok != featurize.TokenizerName {
		return nil, fmt.Errorf("checking tokenizer %q: this server tokenizes with %q", tok, featurize.TokenizerName)
	}

	// Text cleaning options.
	m.textOpts = text.DefaultOptions()
	switch {
	case md.TextOptions != nil:
		m.textOpts = *md.TextOptions
	default:
		if s, found := g.Metadata(TextOptionsKey); found {
			if err := json.Unmarshal([]byte(s), &m.textOpts); err != nil {
				return nil, fmt.Errorf("decoding %q metadata: %w", TextOptionsKey, err)
			}
		} else if s, found := md.Extra[TextOptionsKey]; found {
			if err := json.Unmarshal([]byte(s), &m.textOpts); err != nil {
				return nil, fmt.Errorf("decoding %q of %q: %w", TextOptionsKey, MetadataFile, err)
			}
		}
	}
	m.cleaner, err = text.NewCleaner(text.WithOptions(m.textOpts))
	if err != nil {
		return nil, fmt.Errorf("configuring text cleaner: %w", err)
	}

	// Labels.
	if s, found := g.Metadata(onnx.LabelsKey); found {
		if err := json.Unmarshal([]byte(s), &m.labels); err != nil {
			return nil, fmt.Errorf("decoding %q metadata: %w", onnx.LabelsKey, err)
		}
	} else {
		m.labels = md.Labels
	}

	m.positive = md.Positive
	if s, found := g.Metadata(PositiveKey); found {
		m.positive = s
	}
	if m.positive != "" && !slices.Contains(m.labels, m.positive) {
		return nil, fmt.Errorf("checking positive label %q: not one of the labels %q", m.positive, m.labels)
	}

	// Version and creation time.
	m.version, _ = g.Metadata(VersionKey)
	if m.version == "" {
		m.version = md.ModelVersion
	}
	if m.version == "" {
		if v := g.Info().ModelVersion; v != 0 {
			m.version = fmt.Sprint(v)
		}
	}
	if m.version == "" {
		m.version = fallbackName
	}
	if err := artifact.ValidateName("model version", m.version); err != nil {
		return nil, err
	}
	if m.created.IsZero() {
		if s, found := g.Metadata(CreatedKey); found {
			m.created, _ = time.Parse(time.RFC3339, s)
		}
	}

	// Probe the graph once: the number of classes must match the labels.
	probs, err := m.Predict([]string{""})
	if err != nil {
		return nil, fmt.Errorf("running %q on an empty text: %w", ONNXFile, err)
	}
	classes := len(probs[0])
	if len(m.labels) == 0 {
		for i := range classes {
			m.labels = append(m.labels, fmt.Sprintf("class%d", i))
		}
	}
	if len(m.labels) != classes {
		return nil, fmt.Errorf("checking labels %q: the model has %d classes", m.labels, classes)
	}
	if err := checkLabels(m.labels); err != nil {
		return nil, err
	}
	m.jsonVersion, _ = json.Marshal(m.version)
	if m.jsonTextOpts, err = json.Marshal(m.textOpts); err != nil {
		return nil, fmt.Errorf("encoding the text options: %w", err)
	}
	for _, l := range m.labels {
		b, _ := json.Marshal(l)
		m.jsonLabels = append(m.jsonLabels, b)
	}
	return m, nil
}

func checkLabels(labels []string) error {
	seen := map[string]bool{}
	for _, l := range labels {
		if l == "" || seen[l] {
			return fmt.Errorf("checking labels %q: empty or duplicate label %q", labels, l)
		}
		seen[l] = true
	}
	return nil
}

// checkSignature verifies the serving contract: one int64 input token_ids
// [batch, seq] and a float output probabilities [batch, classes].
func checkSignature(g *runtime.Model) error {
	in := g.Inputs()
	var found bool
	for _, v := range in {
		if v.Name == onnx.InputName {
			found = true
			if v.Type != runtime.Int64 || (v.Shape != nil && len(v.Shape) != 2) {
				return fmt.Errorf("checking input %q: %s %v, want INT64 [batch, seq]", v.Name, v.Type, v.Shape)
			}
		}
	}
	if !found {
		return fmt.Errorf("checking inputs: no input %q", onnx.InputName)
	}
	for _, v := range g.Outputs() {
		if v.Name == onnx.OutputName {
			if v.Type != runtime.Float32 {
				return fmt.Errorf("checking output %q: %s, want FLOAT", v.Name, v.Type)
			}
			return nil
		}
	}
	return fmt.Errorf("checking outputs: no output %q", onnx.OutputName)
}

// hasStaging reports whether the folder key of a folder store has a
// staging area (an uncommitted or half-committed output).
func hasStaging(fs *artifact.FS, key string) bool {
	st, err := os.Stat(filepath.Join(fs.Root(), filepath.FromSlash(key), artifact.StagingDir))
	return err == nil && st.IsDir()
}
