package scoring

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/tweetflow/tweetflow/internal/benchutil"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/ingest"
	"github.com/tweetflow/tweetflow/internal/serving"
	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
)

// benchTweetsDir holds real tweets (NLTK twitter samples, ~30k); the
// benchmarks fall back to servingtest.Texts without it.
const benchTweetsDir = "/work/shared/data/nltk-twitter-samples"

// benchTweets returns n real tweets (cycled) with ids.
func benchTweets(b *testing.B, n int) []dataset.Tweet {
	b.Helper()
	var texts []string
	if paths, err := ingest.ExpandLocal([]string{benchTweetsDir}); err == nil {
		_, err = ingest.Ingest(context.Background(), ingest.LocalSources(paths, ingest.FormatAuto, nil), func(t *dataset.Tweet) error {
			texts = append(texts, t.Text)
			return nil
		}, ingest.Options{MaxBadRows: -1})
		if err != nil {
			b.Fatal(err)
		}
	}
	if len(texts) == 0 {
		texts = servingtest.Texts
	}
	out := make([]dataset.Tweet, n)
	for i := range out {
		out[i] = dataset.Tweet{ID: fmt.Sprint(i + 1), Text: texts[i%len(texts)], User: fmt.Sprint("u", i%1000)}
	}
	return out
}

// benchModel is a random-weight model of the production shape (dim 50,
// 100k hash buckets, word and character n-grams) over a vocabulary of the
// benchmark tweets.
func benchModel(b *testing.B, tw []dataset.Tweet) *serving.Model {
	b.Helper()
	var texts []string
	for i := 0; i < len(tw) && i < 20000; i++ {
		texts = append(texts, tw[i].Text)
	}
	tm, err := servingtest.Random(servingtest.Options{Version: "bench", Dim: 50, Buckets: 100000, Seed: 1, Texts: texts})
	if err != nil {
		b.Fatal(err)
	}
	m, err := serving.LoadFiles(tm.Files, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkScorer cleans and scores batches of real tweets (no sink).
//
//	go test -run '^$' -bench Scorer ./internal/scoring/
func BenchmarkScorer(b *testing.B) {
	tw := benchTweets(b, 20000)
	m := benchModel(b, tw)
	s, err := NewScorer(m)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{32, 512} {
		b.Run(fmt.Sprint("batch", n), func(b *testing.B) {
			var rows []Row
			i := 0
			b.ReportAllocs()
			cpu0 := benchutil.CPUSeconds()
			for b.Loop() {
				lo := (i * n) % (len(tw) - n)
				i++
				if rows, err = s.ScoreInto(rows[:0], tw[lo:lo+n]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tweets/s")
			b.ReportMetric(float64(n*b.N)/(benchutil.CPUSeconds()-cpu0), "tweets/cpu-s")
		})
	}
}

// BenchmarkStream is the whole stream scorer on 20k real tweets as JSONL
// (standard input's path: ingest, batches of 512, score, store) into a
// Parquet sink in memory, and into PostgreSQL (a local test server with
// fsync off; skipped without PostgreSQL).
//
//	go test -run '^$' -bench Stream -benchtime 3x ./internal/scoring/
func BenchmarkStream(b *testing.B) {
	const n = 20000
	tw := benchTweets(b, n)
	m := benchModel(b, tw)
	s, err := NewScorer(m)
	if err != nil {
		b.Fatal(err)
	}
	var in bytes.Buffer
	for _, t := range tw {
		line, _ := json.Marshal(map[string]string{"id": t.ID, "text": t.Text, "author_id": t.User})
		in.Write(append(line, '\n'))
	}
	run := func(b *testing.B, sinks func() []Sink) {
		b.ReportAllocs()
		cpu0 := benchutil.CPUSeconds()
		for b.Loop() {
			ss := sinks()
			p := NewPipeline(s, ss, WithBatchSize(512))
			src := ingest.Source{Name: "-", Format: ingest.FormatJSONL,
				Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(in.Bytes())), nil }}
			st, err := Stream(context.Background(), []ingest.Source{src}, p, ingest.Options{})
			if err != nil || st.RowsOut != n {
				b.Fatalf("stored %d rows: %v", st.RowsOut, err)
			}
			for _, s := range ss {
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tweets/s")
		b.ReportMetric(float64(n*b.N)/(benchutil.CPUSeconds()-cpu0), "tweets/cpu-s") // this process only
	}
	b.Run("parquet", func(b *testing.B) {
		run(b, func() []Sink { return []Sink{NewParquetSink(newMemFiles().create)} })
	})
	b.Run("postgres", func(b *testing.B) {
		db := pgtest.Shared(b)
		run(b, func() []Sink {
			pg, err := OpenPostgres(context.Background(), db.DSN())
			if err != nil {
				b.Fatal(err)
			}
			return []Sink{pg}
		})
		conn := db.Connect(b)
		var rows int
		if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM tweet_scores").Scan(&rows); err != nil || rows != n {
			b.Fatalf("%d rows in the table, want %d: %v", rows, n, err)
		}
	})
}
