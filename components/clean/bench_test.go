package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
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
// input tweets/s and the peak Go heap in use (sampled every 10ms).
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
	b.ReportAllocs()
	b.ResetTimer()
	hs := benchutil.StartHeapSampler(0)
	for i := 0; i < b.N; i++ {
		args := []string{"clean", "--store", dir, "--run-id", "bench" + strconv.Itoa(i), "--progress", "none",
			"--log-format", "json", "--termination-log", "", "--tweets", filepath.Join(dir, in)}
		var errOut strings.Builder
		if code := component.Run(ctx, stages.Clean, run, args, io.Discard, &errOut); code != 0 {
			b.Fatalf("clean exited %d: %s", code, errOut.String())
		}
	}
	b.StopTimer()
	peak := hs.Stop()
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "tweets/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	_ = os.RemoveAll(dir)
}
