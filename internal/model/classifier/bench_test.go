package classifier

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/benchutil"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/text"
)

// benchData is the shared data folder beside the repository (CI clones
// the repository with shared/ beside it); TWEETFLOW_DATA overrides it.
func benchData(b *testing.B) string {
	if d := os.Getenv("TWEETFLOW_DATA"); d != "" {
		return d
	}
	d, _ := filepath.Abs("../../../../shared/data")
	if _, err := os.Stat(filepath.Join(d, "semeval2017-task4a")); err != nil {
		b.Skipf("no real data at %s (set TWEETFLOW_DATA)", d)
	}
	return d
}

// realTweets reads the SemEval training files (not the 2016 test file),
// cleans them like the clean stage and resamples n tweets with
// replacement.
func realTweets(b *testing.B, n int) ([]string, []int) {
	dir := filepath.Join(benchData(b), "semeval2017-task4a")
	files, _ := filepath.Glob(filepath.Join(dir, "twitter-201[345]*-A.txt"))
	cleaner, err := text.NewCleaner()
	if err != nil {
		b.Fatal(err)
	}
	index := map[string]int{"negative": 0, "neutral": 1, "positive": 2}
	var texts []string
	var labels []int
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			parts := strings.Split(sc.Text(), "\t")
			if len(parts) < 3 {
				continue
			}
			if y, ok := index[parts[1]]; ok {
				texts = append(texts, cleaner.Clean(parts[2]))
				labels = append(labels, y)
			}
		}
		fh.Close()
	}
	if len(texts) == 0 {
		b.Skip("no SemEval rows found")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	outT, outL := make([]string, n), make([]int, n)
	for i := range outT {
		k := rng.IntN(len(texts))
		outT[i], outL[i] = texts[k], labels[k]
	}
	return outT, outL
}

// BenchmarkTrain50k featurizes 50,000 real tweets (resampled) and trains
// the default model for 5 epochs on all cores, with a 5,000-tweet
// validation set, the ids stored up front ("docs", Builder.Build and
// Featurizer.AppendIDs) or computed per example every epoch ("corpus",
// Builder.BuildCorpus and NewCorpusBuilder, as the train stage does). See
// benchTrain for the metrics.
//
//	go test -run '^$' -bench Train50k -benchtime 1x ./internal/model/classifier/
func BenchmarkTrain50k(b *testing.B) {
	texts, labels := realTweets(b, 55000)
	for _, mode := range []string{"corpus", "docs"} {
		b.Run(mode, func(b *testing.B) { benchTrain(b, texts, labels, 50000, 5, mode == "corpus") })
	}
}

// BenchmarkTrain1600k is BenchmarkTrain50k at 1.6M training tweets and 1
// epoch (like hack/bench.sh train-1600k), with a 50,000-tweet validation
// set. It takes minutes and gigabytes ("docs" peaks at ~3 GB), so it runs
// only with TWEETFLOW_BENCH_LARGE=1:
//
//	TWEETFLOW_BENCH_LARGE=1 go test -run '^$' -bench Train1600k -benchtime 1x -timeout 30m ./internal/model/classifier/
func BenchmarkTrain1600k(b *testing.B) {
	if os.Getenv("TWEETFLOW_BENCH_LARGE") != "1" {
		b.Skip("set TWEETFLOW_BENCH_LARGE=1 to run (minutes, GBs of memory)")
	}
	const n = 1600000
	texts, labels := realTweets(b, n+50000)
	for _, mode := range []string{"corpus", "docs"} {
		b.Run(mode, func(b *testing.B) { benchTrain(b, texts, labels, n, 1, mode == "corpus") })
	}
}

// benchTrain trains on texts[:n] for epochs with texts[n:] as validation
// set, featurizing like the train stage, and reports tweet-epochs/s of the
// whole run (featurizing included), cpu-s/op, the peak Go heap in use
// sampled every 10 ms (peak-heap-MB), and the peak resident set of the
// process during the last iteration (peak-rss-MB; VmHWM after resetting it
// through /proc/self/clear_refs, or since process start, with the texts of
// all benchmarks, when that fails: peak-rss-since-start-MB).
func benchTrain(b *testing.B, texts []string, labels []int, n, epochs int, corpus bool) {
	s := featurize.DefaultSettings()
	var peakHeap uint64
	rssReset := false
	cpu0 := benchutil.CPUSeconds()
	for b.Loop() {
		runtime.GC()
		debug.FreeOSMemory()
		rssReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
		hs := benchutil.StartHeapSampler(10 * time.Millisecond)
		fb, err := featurize.NewBuilder(s)
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range texts[:n] {
			fb.Add(t)
		}
		train := &Dataset{}
		for _, y := range labels[:n] {
			train.Labels = append(train.Labels, int32(y))
		}
		var f *featurize.Featurizer
		if corpus {
			f, train.Corpus, err = fb.BuildCorpus()
		} else {
			var docs *featurize.Docs
			f, docs, err = fb.Build()
			if docs != nil {
				train.Docs = *docs
			}
		}
		if err != nil {
			b.Fatal(err)
		}
		valid := &Dataset{}
		if corpus {
			vb := featurize.NewCorpusBuilder(f)
			for i, t := range texts[n:] {
				vb.Add(t)
				valid.Labels = append(valid.Labels, int32(labels[n+i]))
			}
			if _, valid.Corpus, err = vb.BuildCorpus(); err != nil {
				b.Fatal(err)
			}
		} else {
			for i, t := range texts[n:] {
				valid.Add(f.AppendIDs(nil, t), labels[n+i])
			}
		}
		_, _, err = Train(context.Background(), f, threeLabels, train, valid,
			WithEpochs(epochs), WithPatience(epochs))
		if err != nil {
			b.Fatal(err)
		}
		peakHeap = max(peakHeap, hs.Stop())
	}
	b.ReportMetric(float64(n*epochs)*float64(b.N)/b.Elapsed().Seconds(), "tweet-epochs/s")
	b.ReportMetric((benchutil.CPUSeconds()-cpu0)/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
	if kb, ok := vmHWM(); ok {
		unit := "peak-rss-MB"
		if !rssReset {
			unit = "peak-rss-since-start-MB"
		}
		b.ReportMetric(kb/1024, unit)
	}
}

// vmHWM returns the process's peak resident set in KiB.
func vmHWM() (float64, bool) {
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(st), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb float64
			if _, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &kb); err == nil {
				return kb, true
			}
		}
	}
	return 0, false
}
