package annotate

import (
	"fmt"
	"hash/fnv"
	"math"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// Task is one tweet to label.
type Task struct {
	ID             int64 // task id in the store (0 before it is stored)
	TweetID        string
	Text           string
	CleanText      string // kept for the exported dataset ("" = clean later)
	URLs           []string
	WeakLabel      string  // the weak label, "" when the tweet has none
	WeakConfidence float64 // its confidence in [0, 1]; 0 when unknown
	Prediction     string  // the model's label, "" without a model
	PredConfidence float64 // the model's probability of Prediction
	Wanted         int     // annotators wanted: 1, or 2 for overlap tasks
}

// Predictor scores raw texts: one probability row per text, columns in
// Labels() order. *serving.Model implements it.
type Predictor interface {
	Predict(texts []string) ([][]float32, error)
	Labels() []string
}

// TaskFromTweet maps a dataset row to a task: the row's label is the weak
// label and its label_confidence (the label stage's output) the weak
// confidence; rows not labeled by the label stage have confidence 0, which
// the page hides.
func TaskFromTweet(t *dataset.Tweet) Task {
	return Task{TweetID: t.ID, Text: t.Text, CleanText: t.CleanText, URLs: t.URLs, WeakLabel: t.Label, WeakConfidence: t.LabelConfidence}
}

// Predict fills Prediction and PredConfidence of tasks with the model's
// most probable label, in batches.
func Predict(p Predictor, tasks []Task) error {
	const batch = 256
	labels := p.Labels()
	for lo := 0; lo < len(tasks); lo += batch {
		hi := min(lo+batch, len(tasks))
		texts := make([]string, 0, hi-lo)
		for _, t := range tasks[lo:hi] {
			texts = append(texts, t.Text)
		}
		probs, err := p.Predict(texts)
		if err != nil {
			return fmt.Errorf("predicting tasks %d-%d: %w", lo, hi-1, err)
		}
		for i, row := range probs {
			best := 0
			for j := range row {
				if row[j] > row[best] {
					best = j
				}
			}
			if best < len(labels) {
				tasks[lo+i].Prediction = labels[best]
				tasks[lo+i].PredConfidence = float64(row[best])
			}
		}
	}
	return nil
}

// InOverlap reports whether the tweet is one of the overlap share of tasks
// shown to two annotators: a seeded FNV hash of the id mapped to [0, 1),
// so the choice is the same on every start and independent of row order.
func InOverlap(tweetID string, share float64, seed int64) bool {
	if share <= 0 {
		return false
	}
	if share >= 1 {
		return true
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s", seed, tweetID)
	return float64(h.Sum64())/math.Exp2(64) < share
}
