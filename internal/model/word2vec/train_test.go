package word2vec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
)

// plantedOpts are fast settings for the planted corpus: its vocabulary is
// tiny, so subsampling is off (every word would count as frequent).
func plantedOpts(extra ...Option) []Option {
	return append([]Option{WithDim(32), WithEpochs(5), WithMinCount(1), WithSample(0), WithThreads(1), WithSeed(42), WithChunkSize(2000)}, extra...)
}

func mustTrain(t *testing.T, sents [][]string, opts ...Option) *Model {
	t.Helper()
	m, err := Train(context.Background(), slices.Values(sents), opts...)
	if err != nil {
		t.Fatalf("Train: %v", err)
	}
	return m
}

func binaryBytes(t *testing.T, m *Model) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := m.WriteBinary(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDeterministicSingleThread(t *testing.T) {
	sents := plantedCorpus(6, 3000, 1)
	for _, arch := range []Arch{SkipGram, CBOW} {
		t.Run(arch.String(), func(t *testing.T) {
			a := mustTrain(t, sents, plantedOpts(WithArch(arch))...)
			b := mustTrain(t, sents, plantedOpts(WithArch(arch))...)
			if !bytes.Equal(binaryBytes(t, a), binaryBytes(t, b)) {
				t.Fatal("two runs with Threads=1 and the same seed differ")
			}
			c := mustTrain(t, sents, plantedOpts(WithArch(arch), WithSeed(43))...)
			if slices.Equal(a.Vectors, c.Vectors) {
				t.Fatal("runs with different seeds gave identical vectors")
			}
			if !slices.Equal(a.Words, c.Words) {
				t.Fatal("the vocabulary must not depend on the seed")
			}
		})
	}
}

func TestPlantedNeighbours(t *testing.T) {
	const groups = 8
	sents := plantedCorpus(groups, 8000, 3)
	cases := []struct {
		name string
		opts []Option
	}{
		{"skipgram", plantedOpts()},
		{"cbow", plantedOpts(WithArch(CBOW))},
		{"skipgram-2-threads", plantedOpts(WithThreads(2))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := mustTrain(t, sents, tc.opts...)
			checked := 0
			for _, w := range m.Words {
				if w[0] != 'm' {
					continue
				}
				nb, err := m.MostSimilar(w, 4)
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range nb {
					if topicOf(n.Word) != topicOf(w) {
						t.Errorf("%s: neighbour %s (%.3f) is not of topic %d; neighbours %v", w, n.Word, n.Similarity, topicOf(w), nb)
					}
				}
				checked++
			}
			if checked != groups*5 {
				t.Fatalf("checked %d member words, want %d", checked, groups*5)
			}
		})
	}
}

func TestLossDecreasesPerEpoch(t *testing.T) {
	sents := plantedCorpus(8, 800, 5) // small, so that no epoch has converged yet
	for _, arch := range []Arch{SkipGram, CBOW} {
		t.Run(arch.String(), func(t *testing.T) {
			var reported []float64
			m := mustTrain(t, sents, plantedOpts(WithArch(arch), WithEpochs(6), WithProgress(func(p Progress) {
				if p.EpochDone {
					reported = append(reported, p.Loss)
				}
			}, 0))...)
			loss := m.Stats.EpochLoss
			if len(loss) != 6 {
				t.Fatalf("got %d epoch losses, want 6", len(loss))
			}
			if !slices.Equal(loss, reported) {
				t.Errorf("progress losses %v differ from Stats.EpochLoss %v", reported, loss)
			}
			for i := 1; i < len(loss); i++ {
				if !(loss[i] < loss[i-1]) {
					t.Errorf("epoch %d loss %.4f not below epoch %d loss %.4f (all %v)", i+1, loss[i], i, loss[i-1], loss)
				}
			}
			// Untrained, each example costs 6*log 2 = 4.16 (1 positive, 5 noise).
			if loss[0] >= 4.16 || loss[len(loss)-1] > 0.8*loss[0] {
				t.Errorf("losses %v do not show learning", loss)
			}
		})
	}
}

// TestLossDecreasesRealTweets trains on 30k real tweets in file order with
// WithShuffle (the shared files are grouped by topic and date; unshuffled,
// the online loss of the last, low-learning-rate epoch can rise).
// Skipped with -short.
func TestLossDecreasesRealTweets(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: trains on 30k real tweets")
	}
	tw := loadTweets(t)
	tw = tw[:min(len(tw), 30000)]
	m := mustTrain(t, tw, WithDim(50), WithEpochs(4), WithThreads(2), WithShuffle(true))
	loss := m.Stats.EpochLoss
	for i := 1; i < len(loss); i++ {
		if !(loss[i] < loss[i-1]) {
			t.Errorf("epoch %d loss %.4f not below epoch %d loss %.4f (all %v)", i+1, loss[i], i, loss[i-1], loss)
		}
	}
	t.Logf("vocab %d, losses %v, %.0f words/s", m.Len(), loss, m.Stats.WordsPerSec())
}

func TestProgress(t *testing.T) {
	sents := plantedCorpus(4, 4000, 2) // 24000 raw words
	var got []Progress
	m := mustTrain(t, sents, plantedOpts(WithEpochs(3), WithChunkSize(1000), WithProgress(func(p Progress) { got = append(got, p) }, 5000))...)
	var ends, mids int
	var last int64
	for _, p := range got {
		if p.Words < last {
			t.Errorf("words went back from %d to %d", last, p.Words)
		}
		last = p.Words
		if p.TotalWords != 3*24000 || p.Epochs != 3 {
			t.Errorf("bad totals in %+v", p)
		}
		if p.EpochDone {
			ends++
			if p.Words != int64(ends)*24000 {
				t.Errorf("end of epoch %d reports %d words, want %d", ends, p.Words, ends*24000)
			}
		} else {
			mids++
		}
		if p.Alpha <= 0 || p.Alpha > 0.025 || p.Loss <= 0 || p.WordsPerSec <= 0 {
			t.Errorf("implausible progress %+v", p)
		}
	}
	if ends != 3 {
		t.Errorf("got %d end-of-epoch reports, want 3", ends)
	}
	// 72000 words with a report every 5000: 14 intermediate reports, some
	// of which may coincide with the chunk that ends an epoch.
	if mids < 12 || mids > 14 {
		t.Errorf("got %d intermediate reports, want about 14", mids)
	}
	if m.Stats.RawWords != 24000 || m.Stats.Sentences != 4000 || m.Stats.EffectiveWords != 3*24000 {
		t.Errorf("stats %+v", m.Stats)
	}
}

func TestTrainErrors(t *testing.T) {
	sents := plantedCorpus(2, 100, 1)
	cases := []struct {
		name string
		opts []Option
	}{
		{"dim", []Option{WithDim(0)}},
		{"window", []Option{WithWindow(0)}},
		{"negative", []Option{WithNegative(0)}},
		{"epochs", []Option{WithEpochs(0)}},
		{"min-count", []Option{WithMinCount(0)}},
		{"max-vocab", []Option{WithMaxVocab(-1)}},
		{"sample", []Option{WithSample(-1)}},
		{"alpha", []Option{WithAlpha(0, 0)}},
		{"min-alpha", []Option{WithAlpha(0.01, 0.02)}},
		{"threads", []Option{WithThreads(0)}},
		{"chunk", []Option{WithChunkSize(0)}},
		{"arch", []Option{WithArch(Arch(7))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Train(context.Background(), slices.Values(sents), tc.opts...); err == nil {
				t.Fatal("want an error")
			}
		})
	}
	t.Run("empty-vocabulary", func(t *testing.T) {
		_, err := Train(context.Background(), slices.Values(sents), WithMinCount(1_000_000))
		if !errors.Is(err, ErrEmptyVocabulary) {
			t.Fatalf("got %v, want ErrEmptyVocabulary", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Train(ctx, slices.Values(sents), WithMinCount(1))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	})
}

func TestSubsamplingDropsFrequentWords(t *testing.T) {
	// "the" makes half of the corpus; with sample=1e-3 most of its
	// occurrences must be dropped, the rare words kept.
	var sents [][]string
	for i := range 2000 {
		sents = append(sents, []string{"the", fmt.Sprintf("w%d", i%500), "the", fmt.Sprintf("v%d", i%700)})
	}
	m := mustTrain(t, sents, WithDim(8), WithEpochs(1), WithMinCount(1), WithThreads(1))
	raw := m.Stats.RawWords
	kept := m.Stats.EffectiveWords
	// Expected kept: rare words ~all (4000), "the": p=(sqrt(0.5/1e-3)+1)*1e-3/0.5 = 0.0467 of 4000.
	if kept < 4000 || kept > 4000+400 {
		t.Errorf("kept %d of %d raw words, want about 4190", kept, raw)
	}
}
