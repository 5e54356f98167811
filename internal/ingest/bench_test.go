package ingest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// memSources loads files once so benchmarks measure parsing, not disk.
func memSources(b *testing.B, patterns ...string) ([]Source, int64) {
	b.Helper()
	if _, err := os.Stat(realData); err != nil {
		b.Skipf("no real data at %s", realData)
	}
	var full []string
	for _, p := range patterns {
		full = append(full, filepath.Join(realData, p))
	}
	files, err := ExpandLocal(full)
	if err != nil {
		b.Fatal(err)
	}
	var srcs []Source
	var size int64
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		size += int64(len(data))
		srcs = append(srcs, Source{Name: f, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }})
	}
	return srcs, size
}

func benchIngest(b *testing.B, srcs []Source, size int64, sink func(*dataset.Tweet) error, finish func()) {
	b.ReportAllocs()
	b.SetBytes(size)
	var rows int64
	cpu0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		st, err := Ingest(context.Background(), srcs, sink, Options{MaxBadRows: -1})
		if err != nil {
			b.Fatal(err)
		}
		if finish != nil {
			finish()
		}
		rows += st.RowsOut
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "tweets/s")
	// CPU time of the whole process (all threads, GC included): robust
	// on a shared machine where wall time depends on other load.
	b.ReportMetric(float64(rows)/(cpuSeconds()-cpu0), "tweets/cpu-s")
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// BenchmarkIngestSemEval parses all SemEval files (50k tweets) per op.
func BenchmarkIngestSemEval(b *testing.B) {
	srcs, size := memSources(b, "semeval2017-task4a/*-A.txt")
	benchIngest(b, srcs, size, func(*dataset.Tweet) error { return nil }, nil)
}

// BenchmarkIngestSentiment140 parses both Sentiment140 files (30k tweets) per op.
func BenchmarkIngestSentiment140(b *testing.B) {
	srcs, size := memSources(b, "sentiment140/*.csv")
	benchIngest(b, srcs, size, func(*dataset.Tweet) error { return nil }, nil)
}

// BenchmarkIngestNLTK parses both NLTK files (10k tweets) per op.
func BenchmarkIngestNLTK(b *testing.B) {
	srcs, size := memSources(b, "nltk-twitter-samples/*.txt")
	benchIngest(b, srcs, size, func(*dataset.Tweet) error { return nil }, nil)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) Close() error                { return nil }

// BenchmarkIngestToParquet ingests every shared file (90k tweets) and
// writes them with a ShardWriter (default options) to discarding sinks.
func BenchmarkIngestToParquet(b *testing.B) {
	srcs, size := memSources(b, "semeval2017-task4a/*-A.txt", "sentiment140/*.csv", "nltk-twitter-samples/*.txt")
	for _, c := range []dataset.Compression{dataset.Snappy, dataset.Zstd} {
		b.Run(c.String(), func(b *testing.B) {
			var w *dataset.ShardWriter
			newW := func() {
				w = dataset.NewShardWriter(func(string) (io.WriteCloser, error) { return discard{}, nil }, dataset.WithCompression(c))
			}
			newW()
			benchIngest(b, srcs, size, func(t *dataset.Tweet) error { return w.Write(t) }, func() {
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				newW()
			})
		})
	}
}

// BenchmarkResample1600kToParquet builds the 1.6M-tweet corpus (all shared
// files resampled with dataset.Resample, PerturbRate 0.1) and writes it with
// a ShardWriter to discarding sinks; it reports tweets/s and the peak heap
// in use (sampled every 50k rows). Run alone:
// go test -run XXX -bench Resample1600k -benchtime 1x ./internal/ingest/
func BenchmarkResample1600kToParquet(b *testing.B) {
	srcs, _ := memSources(b, "semeval2017-task4a/*-A.txt", "sentiment140/*.csv", "nltk-twitter-samples/*.txt")
	var pool []dataset.Tweet
	if _, err := Ingest(context.Background(), srcs, func(t *dataset.Tweet) error { pool = append(pool, *t); return nil }, Options{}); err != nil {
		b.Fatal(err)
	}
	const rows = 1_600_000
	b.ReportAllocs()
	cpu0 := cpuSeconds()
	var peak uint64
	var ms runtime.MemStats
	for i := 0; i < b.N; i++ {
		shards := 0
		w := dataset.NewShardWriter(func(string) (io.WriteCloser, error) { shards++; return discard{}, nil })
		n := 0
		err := dataset.Resample(uint64(i), pool, rows, dataset.ResampleOptions{PerturbRate: 0.1}, func(t *dataset.Tweet) error {
			if n++; n%50_000 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			return w.Write(t)
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil || shards != 2 {
			b.Fatal(err, shards)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "tweets/s")
	b.ReportMetric(float64(rows)*float64(b.N)/(cpuSeconds()-cpu0), "tweets/cpu-s")
	b.ReportMetric(float64(peak)/(1<<20), "peak_heap_MB")
}

// BenchmarkReadJSONL reads the shared tweets written as JSONL in
// hack/gencorpus's layout (90k rows, all good) with Read, through the
// encoding/json path (std) and the fast scanner (fast), and reports
// rows/s and rows per CPU second:
//
//	go test -run '^$' -bench ReadJSONL -benchmem ./internal/ingest/
func BenchmarkReadJSONL(b *testing.B) {
	data := realJSONL(b, true)
	for _, c := range []struct {
		name string
		std  bool
	}{{"std", true}, {"fast", false}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			var rows int64
			cpu0 := cpuSeconds()
			for b.Loop() {
				err := read(context.Background(), bytes.NewReader(data), ReadOptions{Name: "bench.jsonl", Format: FormatJSONL}, c.std,
					func(*dataset.Tweet) error { rows++; return nil },
					func(br BadRow) error { return fmt.Errorf("bad row %v", &br) })
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(rows)/(cpuSeconds()-cpu0), "rows/cpu-s")
		})
	}
}

// BenchmarkReadBYOD reads the airline fixture repeated to about 100k rows
// as header CSV, and the shared Twitter v1.1 stream sample (1,000 full API
// objects) as JSONL:
//
//	go test -run '^$' -bench ReadBYOD -benchmem ./internal/ingest/
func BenchmarkReadBYOD(b *testing.B) {
	air, err := os.ReadFile(filepath.Join(byodDir, "airline_tweets.csv"))
	if err != nil {
		b.Fatal(err)
	}
	head, body, _ := bytes.Cut(air, []byte{'\n'})
	csvData := append(append([]byte{}, head...), '\n')
	for len(csvData) < 8<<20 {
		csvData = append(csvData, body...)
	}
	v1, err := os.ReadFile(filepath.Join(realData, "ssp-ai-tweets", "stream_v1_raw_1000.jsonl"))
	if err != nil {
		b.Skip(err)
	}
	cols := Columns{Text: "text", Label: "airline_sentiment", ID: "tweet_id", Time: "tweet_created", User: "name"}
	for _, c := range []struct {
		name   string
		data   []byte
		format Format
	}{{"csv", csvData, FormatCSV}, {"v1.1", v1, FormatJSONL}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.data)))
			var rows int64
			cpu0 := cpuSeconds()
			for b.Loop() {
				err := Read(context.Background(), bytes.NewReader(c.data), ReadOptions{Name: "bench", Format: c.format, Columns: cols},
					func(*dataset.Tweet) error { rows++; return nil },
					func(br BadRow) error { return fmt.Errorf("bad row %v", &br) })
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(rows)/(cpuSeconds()-cpu0), "rows/cpu-s")
		})
	}
}
