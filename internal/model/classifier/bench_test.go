package classifier

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

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
// validation set. It reports tweets/s (tweet-epochs per second of the
// whole run) and the peak heap in use sampled after featurizing and after
// training (MB).
//
//	go test -run '^$' -bench Train50k -benchtime 1x ./internal/model/classifier/
func BenchmarkTrain50k(b *testing.B) {
	texts, labels := realTweets(b, 55000)
	s := featurize.DefaultSettings()
	var peak uint64
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	const epochs = 5
	for b.Loop() {
		runtime.GC()
		fb, err := featurize.NewBuilder(s)
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range texts[:50000] {
			fb.Add(t)
		}
		f, docs, err := fb.Build()
		if err != nil {
			b.Fatal(err)
		}
		train := &Dataset{Docs: *docs}
		for _, y := range labels[:50000] {
			train.Labels = append(train.Labels, int32(y))
		}
		valid := &Dataset{}
		for i, t := range texts[50000:] {
			valid.Add(f.AppendIDs(nil, t), labels[50000+i])
		}
		sample()
		_, _, err = Train(context.Background(), f, threeLabels, train, valid,
			WithEpochs(epochs), WithPatience(epochs))
		if err != nil {
			b.Fatal(err)
		}
		sample()
	}
	b.ReportMetric(float64(50000*epochs)*float64(b.N)/b.Elapsed().Seconds(), "tweet-epochs/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	if st, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(st), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				var kb float64
				if _, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &kb); err == nil {
					b.ReportMetric(kb/1024, "peak-rss-MB")
				}
			}
		}
	}
}
