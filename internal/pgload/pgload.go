package pgload

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/pgident"
)

// Defaults.
const (
	DefaultTable     = "tweets"
	DefaultBatchSize = 10000
)

// stageTable is the session-local table each batch is copied into.
const stageTable = "tweetflow_load_stage"

// columns of the table, in COPY order.
var columns = []string{"id", "created_at", "user_name", "text", "label", "clean_text", "urls",
	"label_confidence", "label_probs", "source"}

// CreateTableSQL returns the statement creating the table when missing:
//
//	id                text PRIMARY KEY  the tweet id
//	created_at        timestamptz       NULL when unknown
//	user_name         text NOT NULL     '' when unknown
//	text              text NOT NULL     raw text
//	label             text NOT NULL     '' when unlabeled
//	clean_text        text NOT NULL     '' before the clean stage
//	urls              text[] NOT NULL   '{}' when none
//	label_confidence  double precision  weak label's probability; NULL when unset
//	label_probs       jsonb             weak label's probability per class; NULL when unset
//	source            text NOT NULL     where the row was read ("<file>:<line>")
func CreateTableSQL(table string) (string, error) {
	id, err := pgident.ParseTable(table)
	if err != nil {
		return "", err
	}
	return `CREATE TABLE IF NOT EXISTS ` + id.Sanitize() + ` (
	id               text PRIMARY KEY,
	created_at       timestamptz,
	user_name        text NOT NULL DEFAULT '',
	text             text NOT NULL,
	label            text NOT NULL DEFAULT '',
	clean_text       text NOT NULL DEFAULT '',
	urls             text[] NOT NULL DEFAULT '{}',
	label_confidence double precision,
	label_probs      jsonb,
	source           text NOT NULL DEFAULT ''
)`, nil
}

// Stats counts what a Loader wrote.
type Stats struct {
	Rows      int64 // rows given to Add
	Inserted  int64 // new ids
	Updated   int64 // existing ids whose values changed
	Unchanged int64 // existing ids stored with the same values (or repeated in a batch)
	Batches   int64
}

// Loader writes tweets into a table in batches. It is not safe for
// concurrent use.
type Loader struct {
	conn      *pgx.Conn
	name      string
	table     pgx.Identifier
	batchSize int
	buf       []dataset.Tweet
	index     map[string]int // id -> position in buf
	merge     string
	stats     Stats
}

// New creates table when missing and returns a loader writing batches of
// batchSize rows (DefaultBatchSize when <= 0) through conn.
func New(ctx context.Context, conn *pgx.Conn, table string, batchSize int) (*Loader, error) {
	create, err := CreateTableSQL(table)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, create); err != nil {
		return nil, fmt.Errorf("creating table %q: %w", table, err)
	}
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	id, _ := pgident.ParseTable(table)
	var set, cmpOld, cmpNew []string
	for _, c := range columns[1:] {
		set = append(set, c+" = EXCLUDED."+c)
		cmpOld = append(cmpOld, "t."+c)
		cmpNew = append(cmpNew, "EXCLUDED."+c)
	}
	cols := strings.Join(columns, ", ")
	// xmax = 0 marks a row inserted by this statement, not updated.
	merge := `WITH m AS (INSERT INTO ` + id.Sanitize() + ` AS t (` + cols + `) SELECT ` + cols + ` FROM ` + stageTable +
		` ON CONFLICT (id) DO UPDATE SET ` + strings.Join(set, ", ") +
		` WHERE (` + strings.Join(cmpOld, ", ") + `) IS DISTINCT FROM (` + strings.Join(cmpNew, ", ") + `)` +
		` RETURNING (xmax = 0) AS inserted) SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM m`
	return &Loader{conn: conn, name: table, table: id, batchSize: batchSize, index: map[string]int{}, merge: merge}, nil
}

// Add buffers t (copied) and writes a batch when the buffer is full.
func (l *Loader) Add(ctx context.Context, t *dataset.Tweet) error {
	l.stats.Rows++
	if i, ok := l.index[t.ID]; ok {
		l.buf[i] = *t // the last row of an id wins
		l.stats.Unchanged++
		return nil
	}
	l.index[t.ID] = len(l.buf)
	l.buf = append(l.buf, *t)
	if len(l.buf) >= l.batchSize {
		return l.Flush(ctx)
	}
	return nil
}

// Flush writes the buffered rows as one transaction.
func (l *Loader) Flush(ctx context.Context) error {
	if len(l.buf) == 0 {
		return nil
	}
	var ins, upd int64
	err := pgx.BeginFunc(ctx, l.conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS `+stageTable+` (LIKE `+l.table.Sanitize()+` INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`); err != nil {
			return fmt.Errorf("creating the staging table: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{stageTable}, columns, &rowSource{rows: l.buf, i: -1}); err != nil {
			return fmt.Errorf("copying rows: %w", err)
		}
		if err := tx.QueryRow(ctx, l.merge).Scan(&ins, &upd); err != nil {
			return fmt.Errorf("merging rows: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("loading a batch of %d rows (ids %s .. %s) into table %q: %w", len(l.buf), l.buf[0].ID, l.buf[len(l.buf)-1].ID, l.name, err)
	}
	l.stats.Inserted += ins
	l.stats.Updated += upd
	l.stats.Unchanged += int64(len(l.buf)) - ins - upd
	l.stats.Batches++
	clear(l.buf)
	l.buf = l.buf[:0]
	clear(l.index)
	return nil
}

// Stats returns the counts so far.
func (l *Loader) Stats() Stats { return l.stats }

// rowSource feeds the buffered tweets to COPY.
type rowSource struct {
	rows []dataset.Tweet
	i    int
	err  error
}

func (r *rowSource) Next() bool {
	r.i++
	return r.i < len(r.rows)
}

func (r *rowSource) Values() ([]any, error) {
	t := &r.rows[r.i]
	var created any
	if !t.CreatedAt.IsZero() {
		created = t.CreatedAt.UTC().Truncate(time.Microsecond)
	}
	urls := make([]string, len(t.URLs))
	for i, u := range t.URLs {
		urls[i] = escapeNUL(u)
	}
	var conf, probs any
	if t.LabelConfidence != 0 {
		conf = t.LabelConfidence
	}
	if t.LabelProbs != nil {
		b, err := json.Marshal(t.LabelProbs)
		if err != nil {
			return nil, fmt.Errorf("tweet %q (%s): encoding label_probs: %w", t.ID, t.Source, err)
		}
		probs = string(b)
	}
	return []any{escapeNUL(t.ID), created, escapeNUL(t.User), escapeNUL(t.Text), escapeNUL(t.Label),
		escapeNUL(t.CleanText), urls, conf, probs, escapeNUL(t.Source)}, nil
}

func (r *rowSource) Err() error { return r.err }

// escapeNUL stores U+0000, which PostgreSQL text cannot hold, as \u0000.
func escapeNUL(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", `\u0000`)
}
