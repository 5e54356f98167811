package collect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/ingest"
	"github.com/tweetflow/tweetflow/internal/scoring"
	"github.com/tweetflow/tweetflow/internal/text"
)

// Defaults.
const (
	DefaultPrefix       = "raw_tweet_dataset_"
	DefaultBatchSize    = 1000
	DefaultWriteTimeout = time.Minute
)

// stageTable is the session-local table each batch is copied into.
const stageTable = "tweetflow_collect_stage"

// columns written by COPY, in order (collected_at takes its default).
var columns = []string{"id", "raw", "text", "user_name", "created_at", "urls", "label", "source", "kafka_partition", "position"}

// Steps returns the schema steps of a raw table (see scoring.Migrate).
// Step 1 creates it, one row per tweet id:
//
//	id               text PRIMARY KEY  the tweet id
//	raw              text              the record as received: the Kafka message, the file line (JSONL: the JSON object);
//	                                   NULL for Parquet rows. Invalid UTF-8 is replaced (U+FFFD), U+0000 stored as \u0000.
//	text             text NOT NULL     the tweet text as ingest decodes it (full text of API objects)
//	user_name        text NOT NULL     author handle or id; '' when unknown
//	created_at       timestamptz       NULL when unknown
//	urls             text[] NOT NULL   the links (expanded ones of API objects, else those in the text)
//	label            text NOT NULL     the record's label; '' when unlabeled
//	source           text NOT NULL     Kafka topic, or the file
//	kafka_partition  integer NOT NULL  Kafka partition; -1 for a file
//	position         bigint NOT NULL   Kafka offset, or the 1-based line of the file
//	collected_at     timestamptz NOT NULL  when it was stored
//
// Step 2 indexes created_at.
func Steps(id pgx.Identifier) []string {
	t := id.Sanitize()
	idx := id[len(id)-1] + "_created_at_idx"
	if len(idx) > 63 {
		idx = idx[len(idx)-63:]
	}
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + t + ` (
	id              text PRIMARY KEY,
	raw             text,
	text            text NOT NULL,
	user_name       text NOT NULL DEFAULT '',
	created_at      timestamptz,
	urls            text[] NOT NULL DEFAULT '{}',
	label           text NOT NULL DEFAULT '',
	source          text NOT NULL,
	kafka_partition integer NOT NULL,
	position        bigint NOT NULL,
	collected_at    timestamptz NOT NULL DEFAULT now()
)`,
		`CREATE INDEX IF NOT EXISTS ` + pgx.Identifier{idx}.Sanitize() + ` ON ` + t + ` (created_at)`,
	}
}

// Stats counts what a Table stored.
type Stats struct {
	Tweets     int64 // tweets given to Write
	Inserted   int64 // new ids stored
	Duplicates int64 // ids already in the table or repeated in a batch (skipped)
	Batches    int64 // transactions committed
}

// Table writes raw tweets into one table. It is not safe for concurrent use.
type Table struct {
	conn         *pgx.Conn
	name         string
	insert       string
	writeTimeout time.Duration
	stats        Stats
	vals         [][]any
}

// Open migrates table (creating it when missing) and prepares the
// session's staging table. conn must not be used concurrently with the
// Table and stays open after it.
func Open(ctx context.Context, conn *pgx.Conn, table string) (*Table, error) {
	if _, err := scoring.Migrate(ctx, conn, table, Steps); err != nil {
		return nil, err
	}
	id := pgx.Identifier(strings.Split(table, ".")) // checked by Migrate
	stage := `CREATE TEMP TABLE IF NOT EXISTS ` + stageTable + ` (LIKE ` + id.Sanitize() + ` INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`
	if _, err := conn.Exec(ctx, stage); err != nil {
		return nil, fmt.Errorf("creating the staging table of %q: %w", table, err)
	}
	cols := strings.Join(columns, ", ")
	return &Table{conn: conn, name: table, writeTimeout: DefaultWriteTimeout,
		insert: `INSERT INTO ` + id.Sanitize() + ` (` + cols + `) SELECT ` + cols + ` FROM ` + stageTable + ` ON CONFLICT (id) DO NOTHING`}, nil
}

// Name is the table's name.
func (t *Table) Name() string { return t.name }

// Stats returns the counts so far.
func (t *Table) Stats() Stats { return t.stats }

// Write stores tweets (raw[i] is the record of tweets[i]; raw may be nil
// or hold nil records) in one transaction; ids already stored, and
// repeats within the batch after the first, are skipped. Kafka tweets
// (Source "kafka:<topic>:<partition>:<offset>") record their topic,
// partition and offset; file tweets ("<file>:<line>") their file and line.
func (t *Table) Write(ctx context.Context, tweets []dataset.Tweet, raw [][]byte) error {
	if len(tweets) == 0 {
		return nil
	}
	t.stats.Tweets += int64(len(tweets))
	t.vals = t.vals[:0]
	seen := make(map[string]bool, len(tweets))
	for i := range tweets {
		tw := &tweets[i]
		if seen[tw.ID] {
			continue
		}
		seen[tw.ID] = true
		var r any // NULL without a record
		if i < len(raw) && raw[i] != nil {
			r = scoring.EscapeNUL(strings.ToValidUTF8(string(raw[i]), "\uFFFD"))
		}
		var created any
		if !tw.CreatedAt.IsZero() {
			created = tw.CreatedAt
		}
		urls := tw.URLs
		if len(urls) == 0 {
			urls = text.ExtractURLs(tw.Text)
		}
		if urls == nil {
			urls = []string{}
		}
		clean := make([]string, len(urls))
		for j, u := range urls {
			clean[j] = scoring.EscapeNUL(u)
		}
		src, part, pos := scoring.ParseRowSource(tw.Source)
		if src == "" {
			src = tw.Source
		}
		t.vals = append(t.vals, []any{scoring.EscapeNUL(tw.ID), r, scoring.EscapeNUL(tw.Text), scoring.EscapeNUL(tw.User), created, clean,
			scoring.EscapeNUL(tw.Label), scoring.EscapeNUL(src), part, pos})
	}
	inserted, err := t.write(ctx)
	if err != nil {
		return fmt.Errorf("storing %d raw tweets in table %q: %w", len(t.vals), t.name, err)
	}
	t.stats.Inserted += inserted
	t.stats.Duplicates += int64(len(tweets)) - inserted
	t.stats.Batches++
	return nil
}

func (t *Table) write(ctx context.Context) (inserted int64, err error) {
	tx, err := t.conn.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_ = tx.Rollback(rctx)
		}
	}()
	if _, err = tx.CopyFrom(ctx, pgx.Identifier{stageTable}, columns, pgx.CopyFromRows(t.vals)); err != nil {
		return 0, err
	}
	tag, err := tx.Exec(ctx, t.insert)
	if err != nil {
		return 0, err
	}
	if err = tx.Commit(ctx); err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// StoreBatch writes a batch (now, in the caller's goroutine) and then
// runs after; both get a context that outlives ctx's cancellation,
// bounded by the write timeout, so a stopping consumer still stores and
// commits the batch in hand. It makes Table a scoring.BatchStore.
func (t *Table) StoreBatch(ctx context.Context, tweets []dataset.Tweet, raw [][]byte, after func(context.Context) error) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.writeTimeout)
	defer cancel()
	if err := t.Write(wctx, tweets, raw); err != nil {
		return err
	}
	if after != nil {
		return after(wctx)
	}
	return nil
}

// Wait returns nil: StoreBatch writes synchronously.
func (t *Table) Wait() error { return nil }

var _ scoring.BatchStore = (*Table)(nil)

// FileOptions configures Collect.
type FileOptions struct {
	BatchSize int // tweets per transaction (default DefaultBatchSize)
	Ingest    ingest.Options
}

// Collect reads sources (ingest.Ingest with opts.Ingest: bad rows
// counted and bounded by MaxBadRows, reported through OnBadRow) and
// stores their tweets with their lines in batches. A batch is written
// once its rows are read; an error stops it after the batches before
// were committed.
func (t *Table) Collect(ctx context.Context, sources []ingest.Source, opts FileOptions) (ingest.Stats, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	var tweets []dataset.Tweet
	var raw [][]byte
	var cur []byte
	io := opts.Ingest
	io.OnRaw = func(b []byte) { cur = b }
	flush := func() error {
		err := t.StoreBatch(ctx, tweets, raw, nil)
		clear(tweets)
		tweets, raw = tweets[:0], raw[:0]
		return err
	}
	st, err := ingest.Ingest(ctx, sources, func(tw *dataset.Tweet) error {
		tweets = append(tweets, *tw)
		var r []byte
		if cur != nil {
			r = append([]byte(nil), cur...)
		}
		raw = append(raw, r)
		cur = nil
		if len(tweets) >= opts.BatchSize {
			return flush()
		}
		return nil
	}, io)
	if err != nil && !errors.Is(err, ingest.ErrNoRows) {
		return st, err
	}
	if ferr := flush(); ferr != nil {
		return st, ferr
	}
	return st, err
}
