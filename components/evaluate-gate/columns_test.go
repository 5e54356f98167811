package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

// TestGateRawCSVColumns evaluates on the Kaggle-airline-shaped CSV given
// with the column flags, as raw --data: every row with its label is
// scored; a misspelt column is an error naming the file and the columns.
func TestGateRawCSVColumns(t *testing.T) {
	s := stagetest.NewFS(t)
	setup(t, s, "sa", nil)
	raw := filepath.Join("..", "..", "testdata", "byod", "airline_tweets.csv")
	out := s.URI("sa", "eval-csv", "metrics")
	s.MustRun(t, stages.EvaluateGate, runFn, "", "--model", s.URI("sa", "train", "model"), "--data", raw,
		"--text-column", "text", "--label-column", "airline_sentiment", "--id-column", "tweet_id",
		"--min-roc-auc", "0", "--min-pr-auc", "0", "--out-metrics", out)
	mf := readMetrics(t, s.File(t, "sa", "eval-csv", "metrics", MetricsFile))
	if mf.N != 32 {
		t.Errorf("evaluated %d rows, want the fixture's 32", mf.N)
	}
	r := s.Run(t, stages.EvaluateGate, runFn, "", "--model", s.URI("sa", "train", "model"), "--data", raw,
		"--label-column", "sentiment", "--min-roc-auc", "0", "--min-pr-auc", "0")
	if r.Code == 0 || !strings.Contains(r.Stderr, `column "sentiment" (--label-column)`) || !strings.Contains(r.Stderr, "airline_tweets.csv") {
		t.Errorf("exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
}
