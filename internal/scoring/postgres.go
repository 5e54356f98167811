package scoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DefaultTable is the default PostgreSQL table of the scores.
const DefaultTable = "tweet_scores"

// stageTable is the session-local table each batch is copied into before
// it is merged into the target table.
const stageTable = "tweetflow_scores_stage"

// Columns of the PostgreSQL table, in COPY order.
var pgColumns = []string{"tweet_id", "model_version", "created_at", "user_name", "text", "clean_text",
	"urls", "label", "score", "probabilities", "scored_at"}

// CreateTableSQL returns the statement that creates the scores table when
// it is missing. One row per tweet and model version:
//
//	tweet_id       text        NOT NULL   the tweet id (digits, as text)
//	model_version  text        NOT NULL   the version of the model that scored it
//	created_at     timestamptz            the tweet's creation time; NULL when unknown
//	user_name      text        NOT NULL   author handle or id; '' when unknown
//	text           text        NOT NULL   raw text
//	clean_text     text        NOT NULL   the text as cleaned for the model
//	urls           text[]      NOT NULL   links in the raw text ('{}' when none)
//	label          text        NOT NULL   predicted label
//	score          real        NOT NULL   probability of label
//	probabilities  jsonb       NOT NULL   {"<label>": probability, ...} for every class
//	scored_at      timestamptz NOT NULL   when the row was (last) scored
//	PRIMARY KEY (tweet_id, model_version)
//
// Rescoring a tweet with the same model version overwrites its row.
func CreateTableSQL(table string) (string, error) {
	id, err := tableIdent(table)
	if err != nil {
		return "", err
	}
	return `CREATE TABLE IF NOT EXISTS ` + id.Sanitize() + ` (
	tweet_id      text        NOT NULL,
	model_version text        NOT NULL,
	created_at    timestamptz,
	user_name     text        NOT NULL DEFAULT '',
	text          text        NOT NULL,
	clean_text    text        NOT NULL,
	urls          text[]      NOT NULL DEFAULT '{}',
	label         text        NOT NULL,
	score         real        NOT NULL,
	probabilities jsonb       NOT NULL,
	scored_at     timestamptz NOT NULL,
	PRIMARY KEY (tweet_id, model_version)
)`, nil
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// tableIdent parses "table" or "schema.table" (plain SQL identifiers).
func tableIdent(table string) (pgx.Identifier, error) {
	parts := strings.Split(table, ".")
	if len(parts) > 2 {
		return nil, fmt.Errorf("parsing table name %q: want table or schema.table", table)
	}
	for _, p := range parts {
		if !identRe.MatchString(p) {
			return nil, fmt.Errorf("parsing table name %q: %q is not a plain identifier (letters, digits, _)", table, p)
		}
	}
	return pgx.Identifier(parts), nil
}

// PostgresOption configures a PostgresSink.
type PostgresOption func(*PostgresSink)

// WithTable sets the table, "name" or "schema.name" (default DefaultTable).
func WithTable(name string) PostgresOption { return func(s *PostgresSink) { s.tableName = name } }

// PostgresSink upserts scored rows into a PostgreSQL table (see
// CreateTableSQL), one transaction per Write: the batch is copied (COPY)
// into a session-local staging table and merged with INSERT ... ON
// CONFLICT (tweet_id, model_version) DO UPDATE, so a batch is stored
// whole or not at all, and writing the same rows again changes nothing
// but scored_at. Within one batch the last row of a key wins.
type PostgresSink struct {
	conn       *pgx.Conn
	own        bool
	cfg        *pgx.ConnConfig // set when the sink owns its connection: it can reconnect
	reconnects int
	tableName  string
	table      pgx.Identifier
	merge      string

	// copyHook, when set, is called before each row is sent by COPY; an
	// error aborts the batch (tests inject failures with it).
	copyHook func(i int) error
}

// OpenPostgres connects to the database at dsn and returns a sink that
// owns the connection (Close closes it). See NewPostgresSink.
func OpenPostgres(ctx context.Context, dsn string, opts ...PostgresOption) (*PostgresSink, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parsing the PostgreSQL connection string: %w", err) // err never holds the password
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL at %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	s, err := NewPostgresSink(ctx, conn, opts...)
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	s.own, s.cfg = true, cfg
	return s, nil
}

// NewPostgresSink returns a sink writing through conn, creating the table
// when it is missing and the session's staging table. Close leaves conn
// open. conn must not be used concurrently with the sink.
func NewPostgresSink(ctx context.Context, conn *pgx.Conn, opts ...PostgresOption) (*PostgresSink, error) {
	s := &PostgresSink{conn: conn, tableName: DefaultTable}
	for _, o := range opts {
		o(s)
	}
	var err error
	if s.table, err = tableIdent(s.tableName); err != nil {
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	cols := strings.Join(pgColumns, ", ")
	var set []string
	for _, c := range pgColumns[2:] {
		set = append(set, c+" = EXCLUDED."+c)
	}
	s.merge = `INSERT INTO ` + s.table.Sanitize() + ` (` + cols + `) SELECT ` + cols + ` FROM ` + stageTable +
		` ON CONFLICT (tweet_id, model_version) DO UPDATE SET ` + strings.Join(set, ", ")
	return s, nil
}

// prepare creates the table when it is missing and the session's staging table.
func (s *PostgresSink) prepare(ctx context.Context) error {
	conn := s.conn
	ddl, _ := CreateTableSQL(s.tableName)
	if _, err := conn.Exec(ctx, ddl); err != nil {
		// Two scorers creating the table at once: one loses the race on
		// the catalog; the table exists then.
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || (pe.Code != "23505" && pe.Code != "42P07") {
			return fmt.Errorf("creating table %q: %w", s.tableName, err)
		}
	}
	stage := `CREATE TEMP TABLE IF NOT EXISTS ` + stageTable + ` (LIKE ` + s.table.Sanitize() + ` INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`
	if _, err := conn.Exec(ctx, stage); err != nil {
		return fmt.Errorf("creating the staging table of %q: %w", s.tableName, err)
	}
	return nil
}

// Reconnects counts the connections the sink has re-opened after losing one.
func (s *PostgresSink) Reconnects() int { return s.reconnects }

// Table is the table the sink writes.
func (s *PostgresSink) Table() string { return s.tableName }

// Write upserts rows in one transaction.
func (s *PostgresSink) Write(ctx context.Context, rows []Row) error {
	if s.conn == nil {
		return errors.New("writing scores: postgres sink closed")
	}
	if len(rows) == 0 {
		return nil
	}
	rows = dedupe(rows)
	err := s.write(ctx, rows)
	if err != nil && s.cfg != nil && s.conn.IsClosed() && ctx.Err() == nil {
		// The connection was lost (a server restart, a network cut, an
		// idle timeout): the batch was rolled back with it. Reconnect once
		// and write it again; the upsert makes a repeat harmless.
		if rerr := s.reconnect(ctx); rerr != nil {
			err = errors.Join(err, rerr)
		} else {
			err = s.write(ctx, rows)
		}
	}
	if err != nil {
		return fmt.Errorf("storing %d scores in table %q: %w", len(rows), s.tableName, err)
	}
	return nil
}

func (s *PostgresSink) reconnect(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, s.cfg)
	if err != nil {
		return fmt.Errorf("reconnecting to PostgreSQL at %s:%d/%s: %w", s.cfg.Host, s.cfg.Port, s.cfg.Database, err)
	}
	old := s.conn
	s.conn = conn
	_ = old.Close(ctx)
	if err := s.prepare(ctx); err != nil {
		return err
	}
	s.reconnects++
	return nil
}

func (s *PostgresSink) write(ctx context.Context, rows []Row) (err error) {
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// A cancelled ctx cannot roll back: use one that survives it.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_ = tx.Rollback(rctx)
		}
	}()
	src := &rowSource{rows: rows, hook: s.copyHook, i: -1}
	if _, err = tx.CopyFrom(ctx, pgx.Identifier{stageTable}, pgColumns, src); err != nil {
		return err
	}
	if _, err = tx.Exec(ctx, s.merge); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// dedupe keeps the last row of each (id, model version), in order.
func dedupe(rows []Row) []Row {
	type key struct{ id, version string }
	last := make(map[key]int, len(rows))
	for i := range rows {
		last[key{rows[i].ID, rows[i].ModelVersion}] = i
	}
	if len(last) == len(rows) {
		return rows
	}
	out := make([]Row, 0, len(last))
	for i := range rows {
		if last[key{rows[i].ID, rows[i].ModelVersion}] == i {
			out = append(out, rows[i])
		}
	}
	return out
}

// rowSource feeds rows to COPY.
type rowSource struct {
	rows []Row
	i    int
	hook func(int) error
	vals []any
	js   []byte
	err  error

	keyLabels []string // the labels keys was made for
	keys      [][]byte // `"label":` per label
}

func (r *rowSource) Next() bool {
	r.i++
	if r.i >= len(r.rows) {
		return false
	}
	if r.hook != nil {
		if r.err = r.hook(r.i); r.err != nil {
			return false
		}
	}
	return true
}

func (r *rowSource) Values() ([]any, error) {
	row := &r.rows[r.i]
	if len(row.Probabilities) != len(row.Labels) {
		return nil, fmt.Errorf("tweet %q: %d probabilities for %d labels", row.ID, len(row.Probabilities), len(row.Labels))
	}
	var created any // NULL when unknown
	if !row.CreatedAt.IsZero() {
		created = row.CreatedAt
	}
	urls := row.URLs
	if urls == nil {
		urls = []string{}
	}
	for _, p := range row.Probabilities {
		if math.IsNaN(float64(p)) || math.IsInf(float64(p), 0) {
			return nil, fmt.Errorf("tweet %q: probability %v is not a number", row.ID, p)
		}
	}
	if !slices.Equal(r.keyLabels, row.Labels) {
		r.keyLabels, r.keys = row.Labels, r.keys[:0]
		for _, l := range row.Labels {
			b, _ := json.Marshal(l)
			r.keys = append(r.keys, append(b, ':'))
		}
	}
	// The JSON is copied by the encoder before the next call.
	r.js = appendProbabilities(r.js[:0], r.keys, row.Probabilities)
	r.vals = append(r.vals[:0], row.ID, row.ModelVersion, created, row.User, row.Text, row.CleanText,
		urls, row.Label, row.Score, json.RawMessage(r.js), row.ScoredAt)
	return r.vals, nil
}

func (r *rowSource) Err() error { return r.err }

// appendProbabilities renders {"label":p,...} from the encoded keys
// (`"label":`) with the shortest float32 decimal of each probability (it
// parses back to the same float32).
func appendProbabilities(dst []byte, keys [][]byte, probs []float32) []byte {
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, k...)
		dst = strconv.AppendFloat(dst, float64(probs[i]), 'g', -1, 32)
	}
	return append(dst, '}')
}

// Close releases the sink and closes the connection it owns.
func (s *PostgresSink) Close() error {
	if s.conn == nil {
		return nil
	}
	conn := s.conn
	s.conn = nil
	if !s.own {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return conn.Close(ctx)
}
