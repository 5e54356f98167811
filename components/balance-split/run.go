package main

import (
	"context"
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/split"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
)

var outputs = []string{"train", "validation", "validation-balanced", "test"}

func run(ctx context.Context, env *component.Env, p stages.BalanceSplitParams) error {
	in, _ := env.Input("tweets")
	spec := p.Labels.Spec
	var err error

	// Pass 1 ("all" only): the labels present.
	var seen []string
	if spec.IsAll() {
		set := map[string]bool{}
		if err := stageio.ReadDataset(ctx, in, func(t *dataset.Tweet) error {
			if t.Label != "" && !set[t.Label] {
				set[t.Label] = true
				seen = append(seen, t.Label)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	// Unlabeled data ("none") is one class: every row, a random split.
	labels := []string{""}
	if !spec.IsNone() {
		if labels, err = spec.Labels(seen); err != nil {
			return component.Usagef("--labels: %w", err)
		}
	}
	if len(labels) > 255 {
		return fmt.Errorf("splitting %q: %d labels, at most 255 supported", in.URI(), len(labels))
	}
	idx := map[string]uint8{}
	for i, l := range labels {
		idx[l] = uint8(i)
	}
	classOf := func(label string) (uint8, bool) {
		if spec.IsNone() {
			return 0, true
		}
		c, ok := idx[label]
		return c, ok
	}

	// Pass 2: the class of every row (one byte a row).
	var classes []uint8
	var rowsIn, dropped, labeled int64
	var other []string // a few labels outside the set, for the error
	prog := env.Progress("planning split", "rows", 0)
	err = stageio.ReadDataset(ctx, in, func(t *dataset.Tweet) error {
		rowsIn++
		prog.Add(1)
		if t.Label != "" {
			labeled++
		}
		c, ok := classOf(t.Label)
		if !ok {
			dropped++
			if t.Label != "" && len(other) < 10 && !slices.Contains(other, t.Label) {
				other = append(other, t.Label)
			}
			return nil
		}
		classes = append(classes, c)
		return nil
	})
	prog.Done()
	if err != nil {
		return err
	}
	if len(classes) == 0 {
		if labeled == 0 && rowsIn > 0 {
			return fmt.Errorf("splitting %q: none of the %d rows has a label; split unlabeled data with --labels none, or label it first", in.URI(), rowsIn)
		}
		return fmt.Errorf("splitting %q: no rows with labels %q (%d rows read, labels seen include %q); check --labels", in.URI(), labels, rowsIn, other)
	}
	if spec.IsNone() && labeled > 0 {
		env.Log.Warn("--labels none: rows with labels are split like the others, at random", "labeled_rows", labeled)
	}
	plan, err := split.New(classes, len(labels), split.Config{
		Seed:           uint64(p.Seed),
		Train:          p.TrainFraction,
		Validation:     p.ValidationFraction,
		TrainBalance:   p.TrainBalance,
		TestRows:       p.TestRows,
		ValidationRows: p.ValidationRows,
	})
	if err != nil {
		return component.Usagef("%w", err)
	}

	// Pass 2: stream rows again, in input order, into the four outputs.
	writers := map[string]*dataset.ShardWriter{}
	for _, o := range outputs {
		writers[o] = stageio.DatasetWriter(ctx, env.Output(o), p.ShardRows)
	}
	var rowsOut int64
	i := 0
	prog = env.Progress("writing splits", "rows", rowsIn)
	write := func(name string, n int, t *dataset.Tweet) error {
		for range n {
			if err := writers[name].Write(t); err != nil {
				return fmt.Errorf("writing %s: %w", name, err)
			}
			rowsOut++
		}
		return nil
	}
	err = stageio.ReadDataset(ctx, in, func(t *dataset.Tweet) error {
		prog.Add(1)
		if _, ok := classOf(t.Label); !ok {
			return nil
		}
		c := plan.Copies(i)
		i++
		for _, w := range []struct {
			name string
			n    int
		}{{"train", c.Train}, {"validation", c.Validation}, {"validation-balanced", c.ValidationBalanced}, {"test", c.Test}} {
			if err := write(w.name, w.n, t); err != nil {
				return err
			}
		}
		return nil
	})
	prog.Done()
	if err != nil {
		return err
	}
	if i != plan.Rows() {
		return fmt.Errorf("splitting %q: the dataset changed between passes (%d rows, then %d)", in.URI(), plan.Rows(), i)
	}
	for _, o := range outputs {
		if err := writers[o].Close(); err != nil {
			return fmt.Errorf("closing %s: %w", o, err)
		}
		if err := stageio.CopyFile(ctx, in, stageio.CleanerFile, env.Output(o), true); err != nil {
			return err
		}
	}
	env.AddRows(rowsIn, rowsOut)
	counts := plan.Counts(len(labels))
	if spec.IsNone() {
		labels = []string{"(unlabeled)"}
	}
	env.SetExtra("labels", labels)
	env.SetExtra("class_counts", counts)
	env.SetExtra("dropped_other_labels", dropped)
	printTable(env, labels, counts)
	return nil
}

func printTable(env *component.Env, labels []string, counts map[string][]int) {
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "split\t")
	for _, l := range labels {
		fmt.Fprintf(tw, "%s\t", l)
	}
	fmt.Fprintln(tw, "total\t")
	for _, o := range outputs {
		fmt.Fprintf(tw, "%s\t", o)
		total := 0
		for _, n := range counts[o] {
			fmt.Fprintf(tw, "%d\t", n)
			total += n
		}
		fmt.Fprintf(tw, "%d\t\n", total)
	}
	tw.Flush()
}
