package main

import (
	"context"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/benchutil"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/stages"
)

var (
	poolOnce sync.Once
	pool     []dataset.Tweet
	poolErr  error
)

// benchPool is the real tweets of /work/shared/data (testdata/demo when
// missing), loaded once.
func benchPool(b *testing.B) []dataset.Tweet {
	b.Helper()
	poolOnce.Do(func() {
		root, _ := filepath.Abs("../..")
		pool, poolErr = benchutil.LoadPool(context.Background(), benchutil.DataDir("/work/shared/data", root))
	})
	if poolErr != nil {
		b.Fatal(poolErr)
	}
	return pool
}

// BenchmarkCleanStage runs the clean stage (run through component.Run,
// default parameters: --conflicts majority, two passes) on a 200k-row
// dataset resampled from the real tweets (benchutil.WriteDataset, seed 1,
// perturbation 0.1, 100k-row shards) in a local FS store. It reports
// input tweets/s, tweets per CPU second of the process and the peak Go heap
// in use (sampled every 10ms), with the GC settings of main (tuneGC).
//
//	go test -run '^$' -bench CleanStage -benchtime 3x ./components/clean/
func BenchmarkCleanStage(b *testing.B) {
	const rows = 200_000
	ctx := context.Background()
	dir := b.TempDir()
	store, err := artifact.NewFS(dir)
	if err != nil {
		b.Fatal(err)
	}
	in := "input/tweets"
	if err := benchutil.WriteDataset(ctx, store, in, benchPool(b), benchutil.Options{Rows: rows, Seed: 1, PerturbRate: benchutil.DefaultPerturbRate}, 100_000); err != nil {
		b.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	component.TuneGC(200) // as main does; the soft limit is --memory-limit below
	b.ReportAllocs()
	b.ResetTimer()
	hs := benchutil.StartHeapSampler(0)
	cpu0 := benchutil.CPUSeconds()
	for i := 0; i < b.N; i++ {
		args := []string{"clean", "--store", dir, "--run-id", "bench" + strconv.Itoa(i), "--progress", "none",
			"--log-format", "json", "--termination-log", "", "--memory-limit", "224MiB", "--tweets", filepath.Join(dir, in)}
		var errOut strings.Builder
		if code := component.Run(ctx, stages.Clean, component.Typed(run), args, io.Discard, &errOut); code != 0 {
			b.Fatalf("clean exited %d: %s", code, errOut.String())
		}
	}
	b.StopTimer()
	peak := hs.Stop()
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "tweets/s")
	b.ReportMetric(float64(rows)*float64(b.N)/(benchutil.CPUSeconds()-cpu0), "tweets/cpu-s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	_ = os.RemoveAll(dir)
}

// BenchmarkIngestClean1600k measures the real stage binaries end to end
// on 1.6M tweets: it builds bin/ingest and bin/clean (CGO off) into a
// temporary folder, writes a 1.6M-row Sentiment140-style CSV resampled
// from the real tweets (benchutil: seed 1, perturbation 0.1), then runs
// `ingest --sources corpus.csv` and `clean` on its output in a local FS
// store, and reports tweets/s (1.6M / the sum of both wall times), each
// stage's wall seconds, CPU seconds and peak RSS (MiB, from the kernel's
// rusage of the child). Slow (about a minute): it runs only with
// TWEETFLOW_BENCH_LARGE=1,
//
//	TWEETFLOW_BENCH_LARGE=1 go test -run '^$' -bench IngestClean1600k -benchtime 1x ./components/clean/
//
// hack/bench.sh makes the same measurement with /usr/bin/time.
func BenchmarkIngestClean1600k(b *testing.B) {
	if os.Getenv("TWEETFLOW_BENCH_LARGE") != "1" {
		b.Skip("set TWEETFLOW_BENCH_LARGE=1 to run the 1.6M-tweet benchmark")
	}
	const rows = 1_600_000
	dir := b.TempDir()
	build := exec.Command("go", "build", "-o", dir+"/", "../ingest", ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building the stages: %v\n%s", err, out)
	}
	corpus := filepath.Join(dir, "corpus.csv")
	f, err := os.Create(corpus)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := benchutil.WriteCorpus(f, benchutil.CSV, benchPool(b), benchutil.Options{Rows: rows, Seed: 1, PerturbRate: benchutil.DefaultPerturbRate}); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var ing, cl benchutil.Process
	for i := 0; i < b.N; i++ {
		store := filepath.Join(dir, "store"+strconv.Itoa(i))
		common := []string{"--store", store, "--run-id", "bench", "--progress", "none", "--log-format", "json", "--termination-log", ""}
		if ing, err = benchutil.RunProcess(exec.Command(filepath.Join(dir, "ingest"), append(common, "--sources", corpus)...)); err != nil {
			b.Fatal(err)
		}
		if cl, err = benchutil.RunProcess(exec.Command(filepath.Join(dir, "clean"), common...)); err != nil {
			b.Fatal(err)
		}
		_ = os.RemoveAll(store)
	}
	b.StopTimer()
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	b.ReportMetric(rows/(ing.Wall+cl.Wall).Seconds(), "tweets/s")
	b.ReportMetric(ing.Wall.Seconds(), "ingest-s")
	b.ReportMetric((ing.User + ing.Sys).Seconds(), "ingest-cpu-s")
	b.ReportMetric(mib(ing.MaxRSS), "ingest-rss-MiB")
	b.ReportMetric(cl.Wall.Seconds(), "clean-s")
	b.ReportMetric((cl.User + cl.Sys).Seconds(), "clean-cpu-s")
	b.ReportMetric(mib(cl.MaxRSS), "clean-rss-MiB")
}
