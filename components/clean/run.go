package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/clean"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/text"
)

func run(ctx context.Context, env *component.Env, p stages.CleanParams) error {
	in, _ := env.Input("tweets")
	opts := p.CleanerOptions()
	cleaner, err := text.NewCleaner(text.WithOptions(opts))
	if err != nil {
		return component.Usagef("configuring the cleaner: %w", err)
	}
	popts := []clean.Option{clean.WithCleaner(cleaner)}
	// Counting labels needs only id, text and label: skip decoding the rest.
	observeCols := []string{dataset.ColLabel}
	switch mode := p.Mode; mode {
	case "map":
		return runMap(ctx, env, in, p.ShardRows, cleaner)
	case "reduce":
		if err := checkMapped(ctx, in, cleaner.Options()); err != nil {
			return err
		}
		popts = append(popts, clean.WithPrecleaned())
		observeCols = append(observeCols, dataset.ColCleanText)
	}
	if p.State == "disk" {
		dir := p.SpillDir
		if dir != "" {
			fi, err := os.Stat(dir)
			if err == nil && !fi.IsDir() {
				err = fmt.Errorf("not a folder")
			}
			if err != nil {
				return component.Usagef("checking --spill-dir %q: %w: give an existing, writable folder, or leave it empty for $TMPDIR", dir, err)
			}
		}
		popts = append(popts, clean.WithSpill(dir, 0))
	}
	proc, err := clean.NewProcessor(popts...)
	if err != nil {
		return err
	}
	defer proc.Close()
	// Pass 1: count labels (majority) and, with --state disk, decide every
	// row on disk; in memory with --conflicts first, one pass is enough.
	if majority := p.Conflicts == "majority"; majority || proc.Spills() {
		prog := env.Progress("planning (pass 1 of 2)", "rows", 0)
		err := proc.Plan(ctx, readRows(ctx, in, prog, observeCols), 0, majority)
		prog.Done()
		if err != nil {
			return err
		}
	}
	err = writeCleaned(ctx, env, in, p.ShardRows, cleaner, func(rows clean.RowSource, write func(*dataset.Tweet) error) error {
		return proc.ProcessAll(ctx, rows, 0, write)
	})
	if err != nil {
		return err
	}
	st := proc.Stats()
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

// writeCleaned runs process over the input rows (with a progress line)
// into the tweets output, then closes it and writes the cleaner's options
// beside the shards: what every mode of clean ends with.
func writeCleaned(ctx context.Context, env *component.Env, in artifact.Location, shardRows int, cleaner *text.Cleaner,
	process func(rows clean.RowSource, write func(*dataset.Tweet) error) error) error {
	out := env.Output("tweets")
	w := stageio.DatasetWriter(ctx, out, shardRows)
	prog := env.Progress("cleaning", "rows", 0)
	err := process(readRows(ctx, in, prog, nil), w.Write)
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
	return nil
}

// runMap is --mode map: it cleans the text of every row (no row is
// dropped) and writes them with the cleaner's options, for a later
// --mode reduce over the gathered shards.
func runMap(ctx context.Context, env *component.Env, in artifact.Location, shardRows int, cleaner *text.Cleaner) error {
	var n int64
	err := writeCleaned(ctx, env, in, shardRows, cleaner, func(rows clean.RowSource, write func(*dataset.Tweet) error) error {
		return rows(func(t *dataset.Tweet) error {
			clean.Preclean(cleaner, t)
			n++
			return write(t)
		})
	})
	if err != nil {
		return err
	}
	env.AddRows(n, n)
	env.Log.Info("cleaned text (map)", "rows", n)
	fmt.Fprintf(env.Stdout, "clean (map): cleaned the text of %d rows; duplicates are dropped by --mode reduce\n", n)
	return nil
}

// checkMapped checks that the dataset at in was written by --mode map with
// the cleaner options want: its cleaner.json, or, for the gathered output
// of a fan-out (shard-<index>/ folders), the cleaner.json of every folder
// holding data files. A mismatch or a missing file is a usage error.
func checkMapped(ctx context.Context, in artifact.Location, want text.Options) error {
	open, m, err := stageio.Opener(ctx, in)
	if err != nil {
		return fmt.Errorf("reading dataset %q: %w", in.URI(), err)
	}
	var names []string
	if stageio.HasFile(m, stageio.CleanerFile) {
		names = append(names, stageio.CleanerFile)
	} else {
		dirs := map[string]bool{}
		for _, f := range dataset.ShardFiles(m) {
			if d := path.Dir(f.Name); d != "." && !dirs[d] {
				dirs[d] = true
				names = append(names, path.Join(d, stageio.CleanerFile))
			}
		}
		for _, name := range names {
			if !stageio.HasFile(m, name) {
				return component.Usagef("--mode reduce: dataset %q has no %s: want the output of --mode map", in.URI(), name)
			}
		}
	}
	if len(names) == 0 {
		return component.Usagef("--mode reduce: dataset %q has no %s: want the output of --mode map", in.URI(), stageio.CleanerFile)
	}
	for _, name := range names {
		got, err := readOptions(open, name)
		if err != nil {
			return fmt.Errorf("reading %q of %q: %w", name, in.URI(), err)
		}
		if got != want {
			return component.Usagef("--mode reduce: %s of %q is %+v, but this step cleans with %+v: give both steps the same options", name, in.URI(), got, want)
		}
	}
	return nil
}

func readOptions(open func(string) (io.ReadCloser, error), name string) (text.Options, error) {
	var o text.Options
	r, err := open(name)
	if err != nil {
		return o, err
	}
	defer r.Close()
	if err := json.NewDecoder(r).Decode(&o); err != nil {
		return o, fmt.Errorf("decoding: %w", err)
	}
	if err := o.Validate(); err != nil {
		return o, fmt.Errorf("checking: %w", err)
	}
	return o, nil
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
