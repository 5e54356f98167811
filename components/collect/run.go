package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tweetflow/tweetflow/internal/collect"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/scoring"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
)

// run collects; the Kafka SASL/TLS settings are the contract's
// environment-only settings (Env.SettingEnv).
func run(ctx context.Context, env *component.Env, p stages.CollectParams) error {
	kcfg, topics, err := p.KafkaFields.Config(env.Contract.Name, env.SettingEnv())
	if err != nil {
		return err
	}
	files := env.InputList("tweets")
	switch {
	case topics == nil && len(files) == 0:
		return component.Usagef("nothing to collect: give --tweets files or --kafka-topics and --kafka-brokers")
	case topics != nil && len(files) > 0:
		return component.Usagef("--tweets and --kafka-topics: collect reads one or the other")
	}
	table, err := scoring.VersionedTable(p.TablePrefix, p.TableVersion)
	if err != nil {
		return component.Usagef("--table-prefix: %w", err)
	}
	ro := p.ReadOptions()
	conn, err := stageio.ConnectPostgres(ctx, p.PostgresDSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tbl, err := collect.Open(ctx, conn, table)
	if err != nil {
		return err
	}
	env.SetExtra("postgres_table", table)
	var dead *scoring.DeadLetterSink
	deadTable := p.DeadLetterTable
	if deadTable == "" && topics != nil {
		deadTable = scoring.DeadLetterTableFor(table)
	}
	if deadTable != "" {
		// The same connection: dead letters are written between batches.
		if dead, err = scoring.NewDeadLetterSink(ctx, conn, deadTable); err != nil {
			return component.Usagef("--dead-letter-table: %w", err)
		}
		env.SetExtra("dead_letter_table", deadTable)
	}
	defer func() {
		st := tbl.Stats()
		env.SetExtra("inserted", st.Inserted)
		env.SetExtra("duplicates", st.Duplicates)
		env.SetExtra("batches", st.Batches)
		if dead != nil {
			env.SetExtra("dead_letters", dead.Stored())
		}
	}()

	if topics != nil {
		opts, err := p.KafkaFields.Options(env, kcfg, topics, p.BatchSize, p.FlushInterval, dead)
		if err != nil {
			return err
		}
		sinceStop, release := scoring.StopClock(ctx)
		defer release()
		kst, err := scoring.ConsumeKafka(ctx, tbl, opts)
		st := tbl.Stats()
		env.AddRows(kst.Records, st.Inserted)
		fmt.Fprintf(env.Stdout, "collect: %d Kafka records into %s: %d new tweets, %d duplicates, %d dead letters, %d batches, %d offset commits\n",
			kst.Records, table, st.Inserted, st.Duplicates, kst.DeadLetters, st.Batches, kst.Commits)
		if scoring.StoppedCleanly(ctx, err) {
			// SIGTERM: the batch in flight was stored in PostgreSQL, then
			// its offsets committed; a graceful stop is the normal end of a
			// consumer (exit 0).
			env.Log.Info("stopped on signal: the batch in flight was stored and its Kafka offsets committed",
				"records", kst.Records, "offset_commits", kst.Commits, "stop_seconds", sinceStop().Seconds())
			env.Stopped()
			return nil
		}
		return err
	}

	sources, err := stageio.ExpandSources(ctx, files, ro)
	if err != nil {
		return component.Usagef("--tweets: %w", err)
	}
	prog := env.Progress("collecting", "rows", 0)
	ist, err := tbl.Collect(ctx, sources, collect.FileOptions{BatchSize: p.BatchSize, Ingest: scoring.FileIngestOptions(env.Log, p.MaxBadRows, dead)})
	prog.Add(ist.RowsOut)
	prog.Done()
	if dead != nil {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		if ferr := dead.Flush(fctx); ferr != nil {
			err = errors.Join(err, ferr)
		}
		cancel()
	}
	st := tbl.Stats()
	env.AddRows(ist.RowsIn, st.Inserted)
	env.AddBytesIn(ist.BytesRead)
	env.SetExtra("bad_rows", ist.BadRows)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "collect: %d rows from %d sources into %s: %d new tweets, %d duplicates, %d bad rows, %d batches\n",
		ist.RowsIn, len(ist.Sources), table, st.Inserted, st.Duplicates, ist.BadRows, st.Batches)
	return nil
}
