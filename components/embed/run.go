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
	"github.com/tweetflow/tweetflow/internal/stages"
)

// Files of the vectors output.
const (
	BinaryFile = "vectors.bin" // tweetflow binary format (word2vec.WriteBinary)
	TextFile   = "vectors.txt" // word2vec text format, loadable by gensim
	VocabFile  = "vocab.txt"   // word and count per line
)

var errStop = errors.New("stop")

func run(ctx context.Context, env *component.Env, p stages.EmbedParams) error {
	in, _ := env.Input("train")
	arch := word2vec.SkipGram
	if p.Algorithm == "cbow" {
		arch = word2vec.CBOW
	}
	opts := []word2vec.Option{
		word2vec.WithArch(arch),
		word2vec.WithDim(p.Dim),
		word2vec.WithWindow(p.Window),
		word2vec.WithNegative(p.Negative),
		word2vec.WithMinCount(p.MinCount),
		word2vec.WithSample(p.Sample),
		word2vec.WithEpochs(p.Epochs),
		word2vec.WithAlpha(p.Alpha, p.Alpha/250),
		word2vec.WithSeed(uint64(p.Seed)),
		word2vec.WithShuffle(true), // the data is grouped by topic and date: shuffled, the loss falls every epoch
	}
	if n := p.Threads; n > 0 {
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
			return fmt.Errorf("training word2vec on %q: no word appears --min-count=%d times in %d rows; lower --min-count or give more data: %w", in.URI(), p.MinCount, rows, err)
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
		m.Len(), p.Dim, rows, st.WordsPerSec(), st.EpochLoss)
	return nil
}
