package scoring

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/text"
)

// Row is one scored tweet.
type Row struct {
	ID        string    // tweet id
	CreatedAt time.Time // zero when unknown
	User      string    // author handle or id; empty when unknown
	Text      string    // raw text
	CleanText string    // text as cleaned for the model
	URLs      []string  // links in the raw text; nil when none
	Label     string    // predicted label: the most probable class
	Score     float32   // probability of Label
	// Labels names the classes of Probabilities, in model output order. It
	// is the model's slice, shared by every row: do not modify it.
	Labels        []string
	Probabilities []float32 // one per label, summing to 1
	ModelVersion  string
	ScoredAt      time.Time // UTC, millisecond precision
	// Source is where the tweet was read, "<source>:<line>" (Kafka:
	// "kafka:<topic>:<partition>:<offset>"); sinks use it to report a
	// row they reject. It is not stored.
	Source string
}

// Probability returns the probability of label, and false when the row has
// no such class.
func (r *Row) Probability(label string) (float32, bool) {
	for i, l := range r.Labels {
		if l == label && i < len(r.Probabilities) {
			return r.Probabilities[i], true
		}
	}
	return 0, false
}

// Sink stores scored rows. Write stores one batch (all of it or, on error,
// as little as the sink can manage: the PostgreSQL sink stores nothing of
// a failed batch); the rows may be reused by the caller after Write
// returns. Close flushes and releases the sink; a sink is not safe for
// concurrent use.
type Sink interface {
	Write(ctx context.Context, rows []Row) error
	Close() error
}

// Model is what the Scorer needs of a model; *serving.Model implements it.
type Model interface {
	// PredictInto appends the probabilities of texts to dst, row-major
	// [len(texts), len(Labels())].
	PredictInto(dst []float32, texts []string) ([]float32, error)
	Labels() []string
	Version() string
	// TextOptions are the options the model's training text was cleaned with.
	TextOptions() text.Options
}

// Scorer turns batches of tweets into scored rows. ModelScorer scores in
// process with a loaded model; HTTPScorer scores through a model server's
// batch endpoint. A Pipeline calls ScoreInto from one goroutine at a time.
type Scorer interface {
	// ScoreInto cleans and scores tweets and appends one Row per tweet, in
	// order, to dst (reusing its capacity), but for tweets the scorer
	// refused and reported (HTTPOptions.OnRefused). On error it returns
	// dst without rows of the batch.
	ScoreInto(ctx context.Context, dst []Row, tweets []dataset.Tweet) ([]Row, error)
	// Labels names the classes in output order (those of the latest
	// model version that scored).
	Labels() []string
	// Version is the model version of the latest scored batch (for an
	// in-process model, its only version).
	Version() string
}

// ModelScorer cleans and scores batches of tweets with one model, in
// process. It is safe for concurrent use when its model is.
type ModelScorer struct {
	model   Model
	cleaner *text.Cleaner
	labels  []string
	version string
	now     func() time.Time
}

var _ Scorer = (*ModelScorer)(nil)

// Option configures a ModelScorer.
type Option func(*ModelScorer)

// WithClock sets the clock that stamps ScoredAt (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *ModelScorer) { s.now = now } }

// NewScorer returns a ModelScorer for model, cleaning text with the
// model's text options.
func NewScorer(model Model, opts ...Option) (*ModelScorer, error) {
	labels := model.Labels()
	if len(labels) == 0 {
		return nil, errors.New("creating scorer: the model has no labels")
	}
	c, err := text.NewCleaner(text.WithOptions(model.TextOptions()))
	if err != nil {
		return nil, fmt.Errorf("creating scorer: configuring the model's text cleaner: %w", err)
	}
	s := &ModelScorer{model: model, cleaner: c, labels: labels, version: model.Version(), now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Labels names the model's classes in output order.
func (s *ModelScorer) Labels() []string { return s.labels }

// Version is the model version stamped on every row.
func (s *ModelScorer) Version() string { return s.version }

// Score cleans and scores tweets and returns one Row per tweet, in order.
func (s *ModelScorer) Score(tweets []dataset.Tweet) ([]Row, error) {
	return s.ScoreInto(context.Background(), nil, tweets)
}

// ScoreInto is Score appending to dst (reusing its capacity). Every row of
// the batch shares one ScoredAt and one backing array of probabilities.
// Scoring in process is not interrupted by ctx.
func (s *ModelScorer) ScoreInto(_ context.Context, dst []Row, tweets []dataset.Tweet) ([]Row, error) {
	if len(tweets) == 0 {
		return dst, nil
	}
	clean := make([]string, len(tweets))
	for i := range tweets {
		clean[i] = s.cleaner.Clean(tweets[i].Text)
	}
	// Clean is idempotent (Clean(Clean(x)) == Clean(x)), so the model,
	// which cleans its input again, scores exactly what clean_text holds.
	c := len(s.labels)
	probs, err := s.model.PredictInto(make([]float32, 0, len(tweets)*c), clean)
	if err != nil {
		return dst, fmt.Errorf("scoring %d tweets: %w", len(tweets), err)
	}
	if len(probs) != len(tweets)*c {
		return dst, fmt.Errorf("scoring %d tweets: the model returned %d probabilities, want %d", len(tweets), len(probs), len(tweets)*c)
	}
	return appendRows(dst, tweets, clean, probs, s.labels, s.version, s.now().UTC().Truncate(time.Millisecond)), nil
}

// appendRows appends the rows of tweets scored as probs (row-major,
// len(labels) per tweet) by model version, cleaned as clean.
func appendRows(dst []Row, tweets []dataset.Tweet, clean []string, probs []float32, labels []string, version string, at time.Time) []Row {
	c := len(labels)
	for i := range tweets {
		t := &tweets[i]
		p := probs[i*c : (i+1)*c : (i+1)*c]
		best := 0
		for j := 1; j < c; j++ {
			if p[j] > p[best] {
				best = j
			}
		}
		urls := t.URLs
		if urls == nil {
			urls = text.ExtractURLs(t.Text)
		}
		dst = append(dst, Row{
			ID: t.ID, CreatedAt: t.CreatedAt, User: t.User, Text: t.Text,
			CleanText: clean[i], URLs: urls,
			Label: labels[best], Score: p[best], Labels: labels, Probabilities: p,
			ModelVersion: version, ScoredAt: at, Source: t.Source,
		})
	}
	return dst
}
