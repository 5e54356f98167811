package main

import (
	"context"
	"fmt"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/clean"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/text"
)

// cleanerOptions maps the stage's parameters to the text cleaner's options.
func cleanerOptions(env *component.Env) text.Options {
	o := text.DefaultOptions()
	o.URLs = text.Mode(env.String("urls"))
	o.Mentions = text.Mode(env.String("mentions"))
	o.Emojis = text.Mode(env.String("emojis"))
	o.Lowercase = env.Bool("lowercase")
	o.StripRT = env.Bool("strip-rt")
	o.SqueezeRepeats = env.Bool("squeeze-repeats")
	o.StripHashSign = env.Bool("strip-hash")
	return o
}

func run(ctx context.Context, env *component.Env) error {
	in, _ := env.Input("tweets")
	opts := cleanerOptions(env)
	cleaner, err := text.NewCleaner(text.WithOptions(opts))
	if err != nil {
		return component.Usagef("configuring the cleaner: %w", err)
	}
	p, err := clean.NewProcessor(clean.WithCleaner(cleaner))
	if err != nil {
		return err
	}
	if env.String("conflicts") == "majority" {
		prog := env.Progress("counting labels", "rows", 0)
		// Counting labels needs only id, text and label: skip decoding the rest.
		err := p.ObserveAll(ctx, readRows(ctx, in, prog, []string{dataset.ColLabel}), 0)
		prog.Done()
		if err != nil {
			return err
		}
	}
	out := env.Output("tweets")
	w := stageio.DatasetWriter(ctx, out, env.Int("shard-rows"))
	prog := env.Progress("cleaning", "rows", 0)
	err = p.ProcessAll(ctx, readRows(ctx, in, prog, nil), 0, w.Write)
	prog.Done()
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing cleaned dataset: %w", err)
	}
	if err := stageio.WriteCleaner(ctx, out, cleaner.Options()); err != nil {
		return fmt.Errorf("writing %s: %w", stageio.CleanerFile, err)
	}
	st := p.Stats()
	env.AddRows(st.In, st.Out)
	env.SetExtra("clean", st)
	env.Log.Info("cleaned", "rows_in", st.In, "rows_out", st.Out,
		"dropped_duplicate_id", st.DroppedDupID, "dropped_duplicate_text", st.DroppedDupText,
		"dropped_empty", st.DroppedEmpty, "dropped_minority_label", st.DroppedMinority,
		"dropped_tied_labels", st.DroppedTie, "conflicts_resolved", st.ConflictsResolved)
	fmt.Fprintf(env.Stdout, "clean: %d rows in, %d out; dropped %d duplicate ids, %d duplicate texts, %d empty, %d minority labels, %d tied labels\n",
		st.In, st.Out, st.DroppedDupID, st.DroppedDupText, st.DroppedEmpty, st.DroppedMinority, st.DroppedTie)
	return nil
}

// readRows streams the dataset at in (only id, text and columns; nil: all
// columns), counting rows in prog. The text work of the Processor runs on
// GOMAXPROCS workers while this reads (see clean.ProcessAll).
func readRows(ctx context.Context, in artifact.Location, prog *component.Progress, columns []string) clean.RowSource {
	return func(yield func(*dataset.Tweet) error) error {
		err := dataset.ReadOutputColumns(ctx, in.Store, in.Key, columns, func(t *dataset.Tweet) error {
			prog.Add(1)
			return yield(t)
		})
		if err != nil {
			return fmt.Errorf("reading dataset %q: %w", in.URI(), err)
		}
		return nil
	}
}
