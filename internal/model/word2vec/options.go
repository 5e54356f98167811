package word2vec

import (
	"fmt"
	"runtime"
)

// Arch selects the training architecture.
type Arch int

const (
	// SkipGram predicts the centre word from each context word (the
	// default, gensim sg=1).
	SkipGram Arch = iota
	// CBOW predicts the centre word from the mean of its context vectors
	// (gensim sg=0, cbow_mean=1).
	CBOW
)

// String returns "skipgram" or "cbow".
func (a Arch) String() string {
	switch a {
	case SkipGram:
		return "skipgram"
	case CBOW:
		return "cbow"
	}
	return fmt.Sprintf("Arch(%d)", int(a))
}

// MarshalText encodes the architecture as "skipgram" or "cbow".
func (a Arch) MarshalText() ([]byte, error) {
	if a != SkipGram && a != CBOW {
		return nil, fmt.Errorf("encoding architecture %d: unknown", int(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText decodes "skipgram" or "cbow".
func (a *Arch) UnmarshalText(b []byte) error {
	switch string(b) {
	case "skipgram":
		*a = SkipGram
	case "cbow":
		*a = CBOW
	default:
		return fmt.Errorf("decoding architecture %q: want skipgram or cbow", b)
	}
	return nil
}

// Params are the training hyper-parameters. They are recorded in the binary
// model file. Defaults follow gensim 4 (and the original word2vec where
// gensim has none).
type Params struct {
	Arch      Arch    `json:"arch"`
	Dim       int     `json:"dim"`        // vector size (default 100)
	Window    int     `json:"window"`     // max distance to a context word (default 5)
	Negative  int     `json:"negative"`   // noise words per positive example (default 5)
	Epochs    int     `json:"epochs"`     // passes over the corpus (default 5)
	MinCount  int     `json:"min_count"`  // drop words seen fewer times (default 5)
	MaxVocab  int     `json:"max_vocab"`  // keep only the most frequent words; 0 = no limit
	Sample    float64 `json:"sample"`     // subsampling threshold (default 1e-3); 0 disables
	Alpha     float64 `json:"alpha"`      // initial learning rate (default 0.025)
	MinAlpha  float64 `json:"min_alpha"`  // final learning rate (default 0.0001)
	Seed      uint64  `json:"seed"`       // seed of every random choice (default 1)
	Threads   int     `json:"-"`          // worker goroutines (default GOMAXPROCS)
	ChunkSize int     `json:"chunk_size"` // words per work unit (default 10000)
	Shuffle   bool    `json:"shuffle"`    // train on the sentences in a seeded random order (default false)
}

// DefaultParams returns the defaults used by Train.
func DefaultParams() Params {
	return Params{
		Arch:      SkipGram,
		Dim:       100,
		Window:    5,
		Negative:  5,
		Epochs:    5,
		MinCount:  5,
		Sample:    1e-3,
		Alpha:     0.025,
		MinAlpha:  0.0001,
		Seed:      1,
		Threads:   runtime.GOMAXPROCS(0),
		ChunkSize: 10000,
	}
}

func (p Params) validate() error {
	switch {
	case p.Arch != SkipGram && p.Arch != CBOW:
		return fmt.Errorf("checking arch %d: unknown architecture", int(p.Arch))
	case p.Dim < 1:
		return fmt.Errorf("checking dim %d: must be positive", p.Dim)
	case p.Window < 1:
		return fmt.Errorf("checking window %d: must be positive", p.Window)
	case p.Negative < 1:
		return fmt.Errorf("checking negative %d: must be positive", p.Negative)
	case p.Epochs < 1:
		return fmt.Errorf("checking epochs %d: must be positive", p.Epochs)
	case p.MinCount < 1:
		return fmt.Errorf("checking min count %d: must be positive", p.MinCount)
	case p.MaxVocab < 0:
		return fmt.Errorf("checking max vocab %d: must not be negative", p.MaxVocab)
	case p.Sample < 0:
		return fmt.Errorf("checking sample %g: must not be negative", p.Sample)
	case !(p.Alpha > 0):
		return fmt.Errorf("checking alpha %g: must be positive", p.Alpha)
	case p.MinAlpha < 0 || p.MinAlpha > p.Alpha:
		return fmt.Errorf("checking min alpha %g: must be in [0, alpha=%g]", p.MinAlpha, p.Alpha)
	case p.Threads < 1:
		return fmt.Errorf("checking threads %d: must be positive", p.Threads)
	case p.ChunkSize < 1:
		return fmt.Errorf("checking chunk size %d: must be positive", p.ChunkSize)
	}
	return nil
}

// Option configures Train.
type Option func(*settings)

type settings struct {
	Params
	progress      func(Progress)
	progressEvery int64
}

// WithArch selects SkipGram (default) or CBOW.
func WithArch(a Arch) Option { return func(s *settings) { s.Arch = a } }

// WithDim sets the vector dimension.
func WithDim(n int) Option { return func(s *settings) { s.Dim = n } }

// WithWindow sets the maximum context distance. As in the original
// word2vec, the effective window of each centre word is drawn uniformly
// from 1..n.
func WithWindow(n int) Option { return func(s *settings) { s.Window = n } }

// WithNegative sets the number of negative samples per positive example.
func WithNegative(n int) Option { return func(s *settings) { s.Negative = n } }

// WithEpochs sets the number of passes over the corpus.
func WithEpochs(n int) Option { return func(s *settings) { s.Epochs = n } }

// WithMinCount drops words seen fewer than n times.
func WithMinCount(n int) Option { return func(s *settings) { s.MinCount = n } }

// WithMaxVocab keeps only the n most frequent words (0 = unlimited).
func WithMaxVocab(n int) Option { return func(s *settings) { s.MaxVocab = n } }

// WithSample sets the subsampling threshold of frequent words (0 disables).
func WithSample(t float64) Option { return func(s *settings) { s.Sample = t } }

// WithAlpha sets the initial and final learning rates; the rate decays
// linearly from alpha to minAlpha over the whole training.
func WithAlpha(alpha, minAlpha float64) Option {
	return func(s *settings) { s.Alpha, s.MinAlpha = alpha, minAlpha }
}

// WithSeed sets the seed of all random choices.
func WithSeed(seed uint64) Option { return func(s *settings) { s.Seed = seed } }

// WithThreads sets the number of Hogwild worker goroutines. Only Threads=1
// gives bit-identical results for a given seed.
func WithThreads(n int) Option { return func(s *settings) { s.Threads = n } }

// WithChunkSize sets the number of corpus words in one unit of work (whole
// sentences are kept together). The learning rate is updated per chunk.
func WithChunkSize(n int) Option { return func(s *settings) { s.ChunkSize = n } }

// WithShuffle trains on the sentences in a random order (drawn once from
// the seed) instead of the input order. gensim and the original word2vec do
// not shuffle; shuffling helps when the input is grouped by topic or date
// (the shared tweet files are), where the online loss of the late,
// low-learning-rate epochs can otherwise rise as the model stops tracking
// the current topic.
func WithShuffle(on bool) Option { return func(s *settings) { s.Shuffle = on } }

// WithProgress registers a callback called at the end of every epoch and,
// when every > 0, each time roughly every more raw words were processed.
// Calls are serialised; the callback must be quick.
func WithProgress(fn func(Progress), every int64) Option {
	return func(s *settings) { s.progress, s.progressEvery = fn, every }
}
