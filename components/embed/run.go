package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/model/word2vec"
	"github.com/tweetflow/tweetflow/internal/stageio"
)

// Files of the vectors output.
const (
	BinaryFile = "vectors.bin" // tweetflow binary format (word2vec.WriteBinary)
	TextFile   = "vectors.txt" // word2vec text format, loadable by gensim
	VocabFile  = "vocab.txt"   // word and count per line
)

var errStop = errors.New("stop")

func run(ctx context.Context, env *component.Env) error {
	in, _ := env.Input("train")
	arch := word2vec.SkipGram
	if env.String("algorithm") == "cbow" {
		arch = word2vec.CBOW
	}
	opts := []word2vec.Option{
		word2vec.WithArch(arch),
		word2vec.WithDim(env.Int("dim")),
		word2vec.WithWindow(env.Int("window")),
		word2vec.WithNegative(env.Int("negative")),
		word2vec.WithMinCount(env.Int("min-count")),
		word2vec.WithSample(env.Float("sample")),
		word2vec.WithEpochs(env.Int("epochs")),
		word2vec.WithAlpha(env.Float("alpha"), env.Float("alpha")/250),
		word2vec.WithSeed(uint64(env.Int("seed"))),
		word2vec.WithShuffle(true), // the data is grouped by topic and date: shuffled, the loss falls every epoch
	}
	if n := env.Int("threads"); n > 0 {
		opts = append(opts, word2vec.WithThreads(n))
	}
	var prog *component.Progress
	opts = append(opts, word2vec.WithProgress(func(p word2vec.Progress) {
		if prog == nil {
			prog = env.Progress("word2vec", "words", p.TotalWords)
		}
		prog.Set(p.Words)
		if p.EpochDone {
			env.Log.Info("epoch", "epoch", p.Epoch, "of", p.Epochs, "loss", p.Loss, "words_per_second", int64(p.WordsPerSec), "alpha", p.Alpha)
		}
	}, 100000))

	var rows int64
	var readErr error
	sentences := func(yield func([]string) bool) {
		readErr = stageio.ReadDataset(ctx, in, func(t *dataset.Tweet) error {
			rows++
			if !yield(featurize.Tokenize(t.CleanText)) {
				return errStop
			}
			return nil
		})
		if errors.Is(readErr, errStop) {
			readErr = nil
		}
	}
	m, err := word2vec.Train(ctx, sentences, opts...)
	if prog != nil {
		prog.Done()
	}
	if readErr != nil {
		return readErr
	}
	if err != nil {
		if errors.Is(err, word2vec.ErrEmptyVocabulary) {
			return fmt.Errorf("training word2vec on %q: no word appears --min-count=%d times in %d rows; lower --min-count or give more data: %w", in.URI(), env.Int("min-count"), rows, err)
		}
		return fmt.Errorf("training word2vec on %q: %w", in.URI(), err)
	}
	out := env.Output("vectors")
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{{BinaryFile, m.WriteBinary}, {TextFile, m.WriteText}, {VocabFile, m.WriteVocab}} {
		if err := stageio.WriteWith(ctx, out, f.name, f.write); err != nil {
			return err
		}
	}
	st := m.Stats
	env.AddRows(rows, int64(m.Len()))
	env.SetExtra("word2vec", map[string]any{"vocabulary": m.Len(), "raw_words": st.RawWords, "epoch_loss": st.EpochLoss,
		"words_per_second": st.WordsPerSec(), "train_seconds": st.TrainTime.Seconds()})
	fmt.Fprintf(env.Stdout, "embed: %d words x %d dims from %d tweets, %.0f words/s, loss per epoch %.4f\n",
		m.Len(), env.Int("dim"), rows, st.WordsPerSec(), st.EpochLoss)
	return nil
}
