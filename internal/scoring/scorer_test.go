package scoring

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/text"
)

func TestScorerMatchesModel(t *testing.T) {
	m, tm := testModel(t, "v1")
	clock := fixedClock()
	s, err := NewScorer(m, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	in := tweets(30)
	in[3].URLs = []string{"https://given.example/x"} // a cleaned dataset's urls are kept
	rows, err := s.Score(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(in) {
		t.Fatalf("got %d rows for %d tweets", len(rows), len(in))
	}
	raw := make([]string, len(in))
	for i := range in {
		raw[i] = in[i].Text
	}
	want, err := m.Predict(raw) // the model on the raw texts
	if err != nil {
		t.Fatal(err)
	}
	cleaner, _ := text.NewCleaner(text.WithOptions(m.TextOptions()))
	scoredAt := rows[0].ScoredAt
	if scoredAt.Location() != time.UTC || scoredAt.Nanosecond()%int(time.Millisecond) != 0 {
		t.Errorf("ScoredAt %v: want UTC, millisecond precision", scoredAt)
	}
	for i, r := range rows {
		tw := in[i]
		if r.ID != tw.ID || r.Text != tw.Text || r.User != tw.User || !r.CreatedAt.Equal(tw.CreatedAt) {
			t.Errorf("row %d: tweet fields %+v differ from %+v", i, r, tw)
		}
		if r.CleanText != cleaner.Clean(tw.Text) {
			t.Errorf("row %d: clean_text %q, want %q", i, r.CleanText, cleaner.Clean(tw.Text))
		}
		wantURLs := text.ExtractURLs(tw.Text)
		if tw.URLs != nil {
			wantURLs = tw.URLs
		}
		if !slices.Equal(r.URLs, wantURLs) {
			t.Errorf("row %d: urls %q, want %q", i, r.URLs, wantURLs)
		}
		if !slices.Equal(r.Labels, m.Labels()) || r.ModelVersion != "v1" || !r.ScoredAt.Equal(scoredAt) {
			t.Errorf("row %d: labels %q version %q scored_at %v", i, r.Labels, r.ModelVersion, r.ScoredAt)
		}
		var sum float64
		best := 0
		for j, p := range r.Probabilities {
			sum += float64(p)
			if p != want[i][j] {
				t.Errorf("row %d class %d: probability %v, model on raw text gives %v", i, j, p, want[i][j])
			}
			if ref := tm.Reference(tw.Text)[j]; math.Abs(float64(p-ref)) > 1e-5 {
				t.Errorf("row %d class %d: probability %v, reference forward pass %v", i, j, p, ref)
			}
			if p > r.Probabilities[best] {
				best = j
			}
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Errorf("row %d: probabilities sum to %v", i, sum)
		}
		if r.Label != m.Labels()[best] || r.Score != r.Probabilities[best] {
			t.Errorf("row %d: label %q score %v, want argmax %q %v", i, r.Label, r.Score, m.Labels()[best], r.Probabilities[best])
		}
		if p, ok := r.Probability(r.Label); !ok || p != r.Score {
			t.Errorf("row %d: Probability(%q) = %v, %v", i, r.Label, p, ok)
		}
	}
	// The URL test tweet has its link extracted.
	for i, r := range rows {
		if in[i].URLs == nil && in[i].Text == "RT @friend: so happy for you!!! congrats 🎉 https://t.co/abc" &&
			!slices.Equal(r.URLs, []string{"https://t.co/abc"}) {
			t.Errorf("row %d: urls %q", i, r.URLs)
		}
	}
	// A second batch gets a later timestamp.
	rows2, err := s.ScoreInto(context.Background(), rows[:0], in[:2])
	if err != nil || len(rows2) != 2 || !rows2[0].ScoredAt.After(scoredAt) {
		t.Fatalf("second batch: %d rows, %v, scored_at %v", len(rows2), err, rows2[0].ScoredAt)
	}
	if empty, err := s.Score(nil); err != nil || len(empty) != 0 {
		t.Fatalf("empty batch: %v, %v", empty, err)
	}
}

type failingModel struct {
	labels []string
	opts   *text.Options
}

func (f failingModel) PredictInto(dst []float32, texts []string) ([]float32, error) {
	return dst, errors.New("graph exploded")
}
func (f failingModel) Labels() []string { return f.labels }
func (f failingModel) Version() string  { return "bad" }
func (f failingModel) TextOptions() text.Options {
	if f.opts != nil {
		return *f.opts
	}
	return text.DefaultOptions()
}

type shortModel struct{ failingModel }

func (shortModel) PredictInto(dst []float32, texts []string) ([]float32, error) {
	return append(dst, 1), nil
}

func TestScorerErrors(t *testing.T) {
	if _, err := NewScorer(failingModel{}); err == nil {
		t.Error("NewScorer accepted a model without labels")
	}
	bad := text.DefaultOptions()
	bad.Version = 99
	if _, err := NewScorer(failingModel{labels: []string{"a"}, opts: &bad}); err == nil {
		t.Error("NewScorer accepted text options of another cleaner version")
	}
	s, err := NewScorer(failingModel{labels: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Score([]dataset.Tweet{{ID: "1", Text: "x"}}); err == nil || !strings.Contains(err.Error(), "graph exploded") {
		t.Errorf("model error not returned: %v", err)
	}
	s, _ = NewScorer(shortModel{failingModel{labels: []string{"a", "b"}}})
	if _, err := s.Score([]dataset.Tweet{{ID: "1", Text: "x"}, {ID: "2", Text: "y"}}); err == nil {
		t.Error("a model returning too few probabilities was accepted")
	}
}
