package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/pgload"
	"github.com/tweetflow/tweetflow/internal/settings"
	"github.com/tweetflow/tweetflow/internal/stageio"
)

func run(ctx context.Context, env *component.Env) (err error) {
	table := env.String("table")
	if _, err := pgload.ParseTable(table); err != nil {
		return component.Usagef("--table: %w", err)
	}
	dsn := env.String("postgres-dsn") // with its env aliases (settings.PostgresDSN)
	if dsn == "" {
		return component.Usagef("no database: set --postgres-dsn or %s", strings.Join(settings.PostgresDSN.Env, " or "))
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return component.Usagef("--postgres-dsn: parsing the connection string: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL at %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	l, err := pgload.New(ctx, conn, table, env.Int("batch-size"))
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
