package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

const byodDir = "../../testdata/byod"

// TestIngestAirlineCSV runs the component on the Kaggle-airline-shaped
// fixture with the flags a new user would give, and checks the dataset
// against encoding/csv's reading of the file.
func TestIngestAirlineCSV(t *testing.T) {
	path := filepath.Join(byodDir, "airline_tweets.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	header, recs := recs[0], recs[1:]
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	s := stagetest.NewFS(t)
	res := s.MustRun(t, stages.Ingest, runFn, "r", "--sources", path,
		"--text-column", "text", "--label-column", "airline_sentiment", "--id-column", "tweet_id", "--time-column", "tweet_created")
	if !lineHas(res.Stdout, path, "csv", "rows, 0 bad") || !strings.Contains(res.Stdout, "columns text=text, label=airline_sentiment, id=tweet_id, time=tweet_created") {
		t.Errorf("stdout:\n%s", res.Stdout)
	}
	tw := s.Tweets(t, "r", "ingest", "tweets")
	if len(tw) != len(recs) {
		t.Fatalf("%d rows, want %d", len(tw), len(recs))
	}
	for i, r := range recs {
		created, err := time.Parse("2006-01-02 15:04:05 -0700", r[col["tweet_created"]])
		if err != nil {
			t.Fatal(err)
		}
		got := tw[i]
		if got.ID != r[col["tweet_id"]] || got.Text != r[col["text"]] || got.Label != r[col["airline_sentiment"]] || !got.CreatedAt.Equal(created) {
			t.Errorf("row %d: %+v, want record %q", i, got, r)
		}
	}
	if sum := s.Summary(t, "r", "ingest"); sum.RowsOut != int64(len(recs)) || sum.Extra["bad_rows"] != float64(0) {
		t.Errorf("summary %+v", sum)
	}

	// A misspelt column fails the stage with the columns present.
	r := s.Run(t, stages.Ingest, runFn, "bad", "--sources", path, "--label-column", "sentiment")
	if r.Code == 0 || !strings.Contains(r.Stderr, `column "sentiment" (--label-column) is not in the header`) ||
		!strings.Contains(r.Stderr, `"airline_sentiment"`) || !strings.Contains(r.Stderr, path) {
		t.Errorf("exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
	if _, ok := s.Manifest(t, "bad", "ingest", "tweets"); ok {
		t.Error("a failed ingest committed output")
	}
}

// TestIngestTwitterAPIUnlabeled ingests the v1.1 and v2 samples: unlabeled
// rows with full texts and expanded URLs.
func TestIngestTwitterAPIUnlabeled(t *testing.T) {
	s := stagetest.NewFS(t)
	v1, v2 := filepath.Join(byodDir, "stream_v1_sample.jsonl"), filepath.Join(byodDir, "stream_v2_sample.jsonl")
	s.MustRun(t, stages.Ingest, runFn, "r", "--sources", v1+","+v2)
	tw := s.Tweets(t, "r", "ingest", "tweets")
	if len(tw) != 15+4 {
		t.Fatalf("%d rows, want 19", len(tw))
	}
	urls := 0
	for _, r := range tw {
		if r.Label != "" || r.User == "" || r.CreatedAt.IsZero() {
			t.Errorf("row %+v: want unlabeled with user and time", r)
		}
		urls += len(r.URLs)
	}
	if urls == 0 {
		t.Error("no URLs from entities")
	}
}
