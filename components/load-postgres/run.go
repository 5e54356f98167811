package main

import (
	"context"
	"fmt"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/pgident"
	"github.com/tweetflow/tweetflow/internal/pgload"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
)

func run(ctx context.Context, env *component.Env, p stages.LoadPostgresParams) (err error) {
	table := p.Table
	if _, err := pgident.ParseTable(table); err != nil {
		return component.Usagef("--table: %w", err)
	}
	conn, err := stageio.ConnectPostgres(ctx, p.PostgresDSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	l, err := pgload.New(ctx, conn, table, p.BatchSize)
	if err != nil {
		return err
	}
	in, _ := env.Input("data")
	prog := env.Progress("loading", "rows", 0)
	err = stageio.ReadDataset(ctx, in, func(t *dataset.Tweet) error {
		prog.Add(1)
		return l.Add(ctx, t)
	})
	if err == nil {
		err = l.Flush(ctx)
	}
	prog.Done()
	st := l.Stats()
	env.AddRows(st.Rows, st.Inserted+st.Updated)
	env.SetExtra("postgres_table", table)
	env.SetExtra("inserted", st.Inserted)
	env.SetExtra("updated", st.Updated)
	env.SetExtra("unchanged", st.Unchanged)
	env.SetExtra("batches", st.Batches)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "load-postgres: %d rows of %s into table %s in %d batches: %d inserted, %d updated, %d unchanged\n",
		st.Rows, in.URI(), table, st.Batches, st.Inserted, st.Updated, st.Unchanged)
	return nil
}
