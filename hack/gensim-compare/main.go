// Command gensim-compare trains this repository's word2vec on a corpus file
// (one sentence per line, tokens separated by whitespace) and prints one
// JSON line with its timing, for compare.sh. It is a benchmark helper, not
// a tweetflow component.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tweetflow/tweetflow/internal/model/word2vec"
)

func main() {
	corpus := flag.String("corpus", "", "corpus file, one whitespace-tokenized sentence per line")
	dim := flag.Int("dim", 100, "vector size")
	window := flag.Int("window", 5, "window")
	negative := flag.Int("negative", 5, "negative samples")
	minCount := flag.Int("min-count", 5, "minimum count")
	sample := flag.Float64("sample", 1e-3, "subsampling threshold")
	epochs := flag.Int("epochs", 5, "epochs")
	sg := flag.Int("sg", 1, "1 = skip-gram, 0 = CBOW")
	workers := flag.Int("workers", 2, "threads")
	seed := flag.Uint64("seed", 1, "seed")
	out := flag.String("out", "", "optional word2vec text output")
	flag.Parse()
	if err := run(*corpus, *dim, *window, *negative, *minCount, *sample, *epochs, *sg, *workers, *seed, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gensim-compare:", err)
		os.Exit(1)
	}
}

// cpuSeconds returns the user+system CPU time of the process.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func run(path string, dim, window, negative, minCount int, sample float64, epochs, sg, workers int, seed uint64, out string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening corpus %q: %w", path, err)
	}
	defer f.Close()
	var sents [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	for sc.Scan() {
		if toks := strings.Fields(sc.Text()); len(toks) > 0 {
			sents = append(sents, toks)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading corpus %q: %w", path, err)
	}
	arch := word2vec.SkipGram
	if sg == 0 {
		arch = word2vec.CBOW
	}
	runtime.GC()
	cpu0 := cpuSeconds()
	m, err := word2vec.Train(context.Background(), slices.Values(sents),
		word2vec.WithArch(arch), word2vec.WithDim(dim), word2vec.WithWindow(window),
		word2vec.WithNegative(negative), word2vec.WithMinCount(minCount), word2vec.WithSample(sample),
		word2vec.WithEpochs(epochs), word2vec.WithThreads(workers), word2vec.WithSeed(seed))
	if err != nil {
		return err
	}
	// CPU time of training: all of Train minus the (single-threaded)
	// vocabulary phase, whose CPU time is about its wall time.
	cpu := cpuSeconds() - cpu0 - m.Stats.VocabTime.Seconds()
	if out != "" {
		o, err := os.Create(out)
		if err != nil {
			return fmt.Errorf("creating %q: %w", out, err)
		}
		if err := m.WriteText(o); err != nil {
			o.Close()
			return err
		}
		if err := o.Close(); err != nil {
			return fmt.Errorf("closing %q: %w", out, err)
		}
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"impl":              "go",
		"vocab":             m.Len(),
		"raw_words":         m.Stats.RawWords,
		"epochs":            epochs,
		"train_seconds":     m.Stats.TrainTime.Seconds(),
		"vocab_seconds":     m.Stats.VocabTime.Seconds(),
		"words_per_sec":     m.Stats.WordsPerSec(),
		"cpu_seconds":       cpu,
		"words_per_cpu_sec": float64(m.Stats.RawWords) * float64(epochs) / cpu,
		"epoch_loss":        m.Stats.EpochLoss,
	})
}
