package main

import (
	"context"
	"fmt"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/ingest"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
)

func run(ctx context.Context, env *component.Env, p stages.IngestParams) error {
	ro := p.ReadOptions()
	sources, err := stageio.ExpandSources(ctx, env.InputList("sources"), ro)
	if err != nil {
		return component.Usagef("--sources: %w", err)
	}
	out := env.Output("tweets")
	w := stageio.DatasetWriter(ctx, out, p.ShardRows)
	prog := env.Progress("ingesting", "rows", 0)
	st, err := ingest.Ingest(ctx, sources, func(t *dataset.Tweet) error {
		prog.Add(1)
		return w.Write(t)
	}, ingest.Options{
		MaxBadRows: p.MaxBadRows,
		OnBadRow: func(b ingest.BadRow) {
			env.Log.Warn("bad row", "source", b.Source, "line", b.Line, "reason", b.Reason)
		},
		OnEmptySource: func(name string) { env.Log.Warn("empty source: no rows", "source", name) },
	})
	prog.Done()
	env.AddRows(st.RowsIn, st.RowsOut)
	env.AddBytesIn(st.BytesRead)
	env.SetExtra("bad_rows", st.BadRows)
	env.SetExtra("sources", st.Sources)
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing dataset: %w", err)
	}
	for _, s := range st.Sources {
		fmt.Fprintf(env.Stdout, "ingest: %-60s %-12s %7d rows, %d bad\n", s.Name, s.Format, s.RowsOut, s.BadRows)
		if s.Format == ingest.FormatCSV || s.Format == ingest.FormatTSV {
			fmt.Fprintf(env.Stdout, "ingest: %-60s columns %s\n", "", ro.Columns)
		}
	}
	fmt.Fprintf(env.Stdout, "ingest: %d rows from %d sources (%d bad rows skipped) -> %s\n", st.RowsOut, len(st.Sources), st.BadRows, out.URI())
	return nil
}
