package main

import (
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/benchutil"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

// writeCorpus writes a corpus of rows tweets resampled from the real tweets
// (benchutil, seed 1, perturbation 0.1) in the given format into dir.
func writeCorpus(b *testing.B, dir string, format benchutil.Format, rows int) string {
	b.Helper()
	root, _ := filepath.Abs("../..")
	pool, err := benchutil.LoadPool(context.Background(), benchutil.DataDir("/work/shared/data", root))
	if err != nil {
		b.Fatal(err)
	}
	name := filepath.Join(dir, "corpus-"+benchutil.ItoaRows(rows)+"."+string(format))
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := benchutil.WriteCorpus(f, format, pool, benchutil.Options{Rows: rows, Seed: 1, PerturbRate: benchutil.DefaultPerturbRate}); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return name
}

// BenchmarkIngestStage runs the ingest stage (run through component.Run,
// default parameters) on a 200k-row corpus resampled from the real tweets,
// once per input format (a Sentiment140-style CSV and Twitter API v2 style
// JSONL), into a local FS store. It reports tweets/s, tweets per CPU second
// of the process and the peak Go heap in use (sampled every 10ms), with the
// GC settings of main (tuneGC).
//
//	go test -run '^$' -bench IngestStage -benchtime 3x ./components/ingest/
func BenchmarkIngestStage(b *testing.B) {
	for _, format := range []benchutil.Format{benchutil.CSV, benchutil.JSONL} {
		b.Run(string(format), func(b *testing.B) { benchIngestStage(b, format) })
	}
}

func benchIngestStage(b *testing.B, format benchutil.Format) {
	const rows = 200_000
	dir := b.TempDir()
	corpus := writeCorpus(b, dir, format, rows)
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	component.TuneGC(200) // as main does; the soft limit is --memory-limit below
	b.ReportAllocs()
	b.ResetTimer()
	hs := benchutil.StartHeapSampler(0)
	cpu0 := benchutil.CPUSeconds()
	for i := 0; i < b.N; i++ {
		args := []string{"ingest", "--store", filepath.Join(dir, "store"), "--run-id", "bench" + strconv.Itoa(i),
			"--progress", "none", "--log-format", "json", "--termination-log", "", "--memory-limit", "224MiB", "--sources", corpus}
		var errOut strings.Builder
		if code := component.Run(context.Background(), stages.Ingest, component.Typed(run), args, io.Discard, &errOut); code != 0 {
			b.Fatalf("ingest exited %d: %s", code, errOut.String())
		}
	}
	b.StopTimer()
	peak := hs.Stop()
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "tweets/s")
	b.ReportMetric(float64(rows)*float64(b.N)/(benchutil.CPUSeconds()-cpu0), "tweets/cpu-s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}
