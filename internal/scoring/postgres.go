package scoring

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tweetflow/tweetflow/internal/pgident"
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
	id, err := pgident.ParseTable(table)
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

// PostgresOption configures a PostgresSink.
type PostgresOption func(*PostgresSink)

// WithTable sets the table, "name" or "schema.name" (default DefaultTable).
func WithTable(name string) PostgresOption { return func(s *PostgresSink) { s.tableName = name } }

// WithOnReject sets the function called, from Write, for each row of a
// batch that the server refuses (see PostgresSink); Write then stores the
// other rows and returns nil. Without it, Write returns a *RejectedError
// naming the refused rows (the others are stored all the same).
func WithOnReject(fn func(RejectedRow)) PostgresOption {
	return func(s *PostgresSink) { s.onReject = fn }
}

// PostgresSink upserts scored rows into a PostgreSQL table (see
// CreateTableSQL), one transaction per Write: the batch is copied (COPY)
// straight into the table or, when one of its keys is already stored,
// copied into a session-local staging table and merged with INSERT ... ON
// CONFLICT (tweet_id, model_version) DO UPDATE, so a batch is stored
// whole or not at all, and writing the same rows again changes nothing
// but scored_at. Within one batch the last row of a key wins.
type PostgresSink struct {
	conn       *pgx.Conn
	own        bool
	cfg        *pgx.ConnConfig // set when the sink owns its connection: it can reconnect
	reconnects int
	merged     int // batches merged through the staging table
	mergeRun   int // batches merged without trying COPY after the last conflict
	mergeNext  int // batches still to merge without trying COPY
	tableName  string
	table      pgx.Identifier
	merge      string

	onReject func(RejectedRow)

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
	if s.table, err = pgident.ParseTable(s.tableName); err != nil {
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
	// The schema steps run under an advisory lock: scorers starting
	// together apply each once.
	if _, err := migrate(ctx, conn, s.tableName, scoresMigration); err != nil {
		return err
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
	rows, rejected := validRows(rows)
	var err error
	if len(rows) > 0 {
		err = s.writeRetry(ctx, rows)
	}
	if err != nil && isRowError(err) {
		// One row or a few were refused (a value the server rejects):
		// store the others and report those.
		if len(rows) == 1 {
			rejected, err = append(rejected, RejectedRow{Row: rows[0], Err: err}), nil
		} else {
			var more []RejectedRow
			more, err = s.isolate(ctx, rows)
			rejected = append(rejected, more...)
		}
	}
	if err == nil && len(rejected) > 0 {
		if s.onReject == nil {
			return &RejectedError{Table: s.tableName, Rows: rejected}
		}
		for _, r := range rejected {
			s.onReject(r)
		}
	}
	if err != nil {
		return fmt.Errorf("storing %d scores in table %q: %w", len(rows), s.tableName, err)
	}
	return nil
}

// writeRetry writes rows in one transaction, once more on a new connection
// when the connection was lost.
func (s *PostgresSink) writeRetry(ctx context.Context, rows []Row) error {
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
	return err
}

// isolate stores rows, of which the server refused at least one, by
// halves (each half in its own transaction) down to single rows, and
// returns the rows refused one by one (rows holds at least two): k bad rows in n cost about
// 2k·log2(n) transactions. Any error that is not a row's fails the batch.
func (s *PostgresSink) isolate(ctx context.Context, rows []Row) ([]RejectedRow, error) {
	var out []RejectedRow
	mid := len(rows) / 2
	for _, half := range [][]Row{rows[:mid], rows[mid:]} {
		err := s.writeRetry(ctx, half)
		if err == nil {
			continue
		}
		if !isRowError(err) {
			return out, err
		}
		if len(half) == 1 {
			out = append(out, RejectedRow{Row: half[0], Err: err})
			continue
		}
		r, err := s.isolate(ctx, half)
		out = append(out, r...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// RejectedRow is a row the server refused, with its reason.
type RejectedRow struct {
	Row Row
	Err error
}

// RejectedError is returned by PostgresSink.Write, when no reject
// function is set (WithOnReject), for the rows of a batch the server
// refused; the other rows of the batch are stored.
type RejectedError struct {
	Table string
	Rows  []RejectedRow
}

func (e *RejectedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "table %q refused %d row(s) (the others were stored):", e.Table, len(e.Rows))
	for i, r := range e.Rows {
		if i == 5 {
			fmt.Fprintf(&b, " ... %d more", len(e.Rows)-5)
			break
		}
		fmt.Fprintf(&b, " tweet %s (%s): %v;", r.Row.ID, r.Row.Source, r.Err)
	}
	return strings.TrimSuffix(b.String(), ";")
}

// isRowError reports whether err is a refusal of a value in the batch
// rather than a failure of the connection or the server: a value the
// client cannot encode, or a PostgreSQL data exception (class 22, e.g. a
// NUL character or invalid UTF-8), integrity constraint violation (23)
// or program limit (54, e.g. a value too large to index).
func isRowError(err error) bool {
	var ve *rowValueError
	if errors.As(err, &ve) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && len(pe.Code) == 5 {
		switch pe.Code[:2] {
		case "22", "23", "54":
			return true
		}
	}
	return false
}

// rowValueError is a row the client cannot encode.
type rowValueError struct{ err error }

func (e *rowValueError) Error() string { return e.err.Error() }
func (e *rowValueError) Unwrap() error { return e.err }

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

// write stores rows in one transaction: COPY straight into the table,
// the cheap path of a stream of new tweets; when a row's key is already
// stored (a redelivered batch, a rerun, a rescore), that transaction is
// rolled back and the batch is merged instead (copied into the staging
// table and upserted), in a new transaction. After such a batch the next
// ones are merged at once, 1, 2, 4, ... up to maxMergeRun of them while
// every attempt to copy meets a stored key (a rerun over a table that
// holds the rows wastes few COPYs), until a COPY goes through.
func (s *PostgresSink) write(ctx context.Context, rows []Row) error {
	if s.mergeNext > 0 {
		s.mergeNext--
		return s.mergeRows(ctx, rows)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		return s.copyRows(ctx, tx, s.table, rows)
	})
	if !isUniqueViolation(err) {
		if err == nil {
			s.mergeRun = 0
		}
		return err
	}
	s.mergeRun = min(max(2*s.mergeRun, 1), maxMergeRun)
	s.mergeNext = s.mergeRun
	return s.mergeRows(ctx, rows)
}

// maxMergeRun bounds the batches merged without trying COPY first.
const maxMergeRun = 64

// mergeRows copies rows into the staging table and upserts them into the
// table, in one transaction.
func (s *PostgresSink) mergeRows(ctx context.Context, rows []Row) error {
	s.merged++
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := s.copyRows(ctx, tx, pgx.Identifier{stageTable}, rows); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, s.merge)
		return err
	})
}

// inTx runs fn in a transaction and commits it, or rolls it back when fn fails.
func (s *PostgresSink) inTx(ctx context.Context, fn func(pgx.Tx) error) (err error) {
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
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// isUniqueViolation reports whether err is PostgreSQL's unique_violation
// (a key already stored).
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// MergedBatches counts the batches (and parts of batches, when refused
// rows were isolated) that held a key already stored and were upserted
// through the staging table rather than copied straight into the table.
func (s *PostgresSink) MergedBatches() int { return s.merged }

// validRows splits off the rows the client cannot encode (a probability
// that is not a number, probabilities that do not match the labels).
func validRows(rows []Row) ([]Row, []RejectedRow) {
	var bad []RejectedRow
	var keep []Row
	for i := range rows {
		err := checkRow(&rows[i])
		if err != nil && keep == nil {
			keep = append(make([]Row, 0, len(rows)), rows[:i]...)
		}
		switch {
		case err != nil:
			bad = append(bad, RejectedRow{Row: rows[i], Err: err})
		case keep != nil:
			keep = append(keep, rows[i])
		}
	}
	if keep == nil {
		return rows, nil
	}
	return keep, bad
}

func checkRow(row *Row) error {
	if len(row.Probabilities) != len(row.Labels) {
		return &rowValueError{fmt.Errorf("tweet %q: %d probabilities for %d labels", row.ID, len(row.Probabilities), len(row.Labels))}
	}
	for _, p := range row.Probabilities {
		if math.IsNaN(float64(p)) || math.IsInf(float64(p), 0) {
			return &rowValueError{fmt.Errorf("tweet %q: probability %v is not a number", row.ID, p)}
		}
	}
	return nil
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

// copyRows copies rows into table (COPY in PostgreSQL's binary format,
// encoded by copyReader) within tx.
func (s *PostgresSink) copyRows(ctx context.Context, tx pgx.Tx, table pgx.Identifier, rows []Row) error {
	_, err := tx.Conn().PgConn().CopyFrom(ctx, &copyReader{rows: rows, hook: s.copyHook}, `COPY `+table.Sanitize()+` (`+copyColumns+`) FROM STDIN BINARY`)
	return err
}

// copyColumns is pgColumns as a COPY column list.
var copyColumns = func() string {
	q := make([]string, len(pgColumns))
	for i, c := range pgColumns {
		q[i] = pgx.Identifier{c}.Sanitize()
	}
	return strings.Join(q, ", ")
}()

// PostgreSQL's binary COPY framing and the type OID of text.
const (
	copySignature = "PGCOPY\n\xff\r\n\x00"
	textOID       = 25
	// copyChunk is about how many bytes copyReader encodes at a time.
	copyChunk = 64 << 10
	// microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC).
	pgEpochMicros = 946_684_800 * 1_000_000
)

// copyReader renders rows (the columns pgColumns) in PostgreSQL's binary
// COPY format, a chunk of rows at a time, without a value boxed per
// column: text as its bytes (U+0000 as NULEscape), timestamptz as
// microseconds since 2000-01-01 UTC (NULL for a zero created_at), real as
// its IEEE bits, text[] as a one-dimension array (none when empty),
// jsonb as version 1 and the JSON text.
type copyReader struct {
	rows    []Row
	i       int
	hook    func(int) error
	started bool
	done    bool
	buf     []byte
	off     int

	keyLabels []string // the labels keys was made for
	keys      [][]byte // `"label":` per label
	js        []byte
}

func (r *copyReader) Read(p []byte) (int, error) {
	for r.off >= len(r.buf) {
		if r.done {
			return 0, io.EOF
		}
		r.buf, r.off = r.buf[:0], 0
		if !r.started {
			r.started = true
			r.buf = append(r.buf, copySignature...)
			r.buf = binary.BigEndian.AppendUint32(r.buf, 0) // flags
			r.buf = binary.BigEndian.AppendUint32(r.buf, 0) // header extension length
		}
		for ; r.i < len(r.rows) && len(r.buf) < copyChunk; r.i++ {
			if r.hook != nil {
				if err := r.hook(r.i); err != nil {
					return 0, err
				}
			}
			if err := r.appendRow(&r.rows[r.i]); err != nil {
				return 0, err
			}
		}
		if r.i >= len(r.rows) {
			r.buf = binary.BigEndian.AppendUint16(r.buf, 0xffff) // trailer: -1
			r.done = true
		}
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

func (r *copyReader) appendRow(row *Row) error {
	if err := checkRow(row); err != nil {
		return err // validRows keeps such rows out
	}
	b := binary.BigEndian.AppendUint16(r.buf, uint16(len(pgColumns)))
	b = appendCopyText(b, row.ID)
	b = appendCopyText(b, row.ModelVersion)
	if row.CreatedAt.IsZero() {
		b = binary.BigEndian.AppendUint32(b, 0xffffffff) // NULL
	} else {
		b = appendCopyTime(b, row.CreatedAt)
	}
	b = appendCopyText(b, row.User)
	b = appendCopyText(b, row.Text)
	b = appendCopyText(b, row.CleanText)
	b = appendCopyTextArray(b, row.URLs)
	b = appendCopyText(b, row.Label)
	b = binary.BigEndian.AppendUint32(b, 4)
	b = binary.BigEndian.AppendUint32(b, math.Float32bits(row.Score))
	if !slices.Equal(r.keyLabels, row.Labels) {
		r.keyLabels, r.keys = row.Labels, r.keys[:0]
		for _, l := range row.Labels {
			k, _ := json.Marshal(l)
			r.keys = append(r.keys, append(k, ':'))
		}
	}
	r.js = appendProbabilities(r.js[:0], r.keys, row.Probabilities)
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.js)+1))
	b = append(b, 1) // jsonb version
	b = append(b, r.js...)
	b = appendCopyTime(b, row.ScoredAt)
	r.buf = b
	return nil
}

// appendCopyText appends a text value, each U+0000 as NULEscape
// (EscapeNUL allocates only for a text that holds one).
func appendCopyText(b []byte, s string) []byte {
	s = EscapeNUL(s)
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// appendCopyTime appends a timestamptz value.
func appendCopyTime(b []byte, t time.Time) []byte {
	us := t.Unix()*1_000_000 + int64(t.Nanosecond())/1000 - pgEpochMicros
	b = binary.BigEndian.AppendUint32(b, 8)
	return binary.BigEndian.AppendUint64(b, uint64(us))
}

// appendCopyTextArray appends a text[] value: no dimension when empty,
// else one of len(ss) elements from index 1.
func appendCopyTextArray(b []byte, ss []string) []byte {
	at := len(b)
	b = binary.BigEndian.AppendUint32(b, 0) // length, set below
	if len(ss) == 0 {
		b = binary.BigEndian.AppendUint32(b, 0) // dimensions
	} else {
		b = binary.BigEndian.AppendUint32(b, 1)
	}
	b = binary.BigEndian.AppendUint32(b, 0) // no NULL
	b = binary.BigEndian.AppendUint32(b, textOID)
	if len(ss) > 0 {
		b = binary.BigEndian.AppendUint32(b, uint32(len(ss)))
		b = binary.BigEndian.AppendUint32(b, 1) // lower bound
		for _, s := range ss {
			b = appendCopyText(b, s)
		}
	}
	binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	return b
}

// NULEscape is what PostgresSink stores for a U+0000 character, which
// PostgreSQL text cannot hold: the six characters \u0000, as JSON writes
// it. The Parquet output keeps the character itself.
const NULEscape = `\u0000`

func hasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

// EscapeNUL replaces each U+0000 in s by NULEscape.
func EscapeNUL(s string) string {
	if !hasNUL(s) {
		return s
	}
	return strings.ReplaceAll(s, "\x00", NULEscape)
}

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
	return closeOwned(conn, s.own)
}

// closeOwned closes a sink's connection when the sink opened it (a
// connection handed in belongs to the caller).
func closeOwned(conn *pgx.Conn, own bool) error {
	if !own {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return conn.Close(ctx)
}

// Labels returns the labels of the newest row of the table (the keys of
// its probabilities, sorted), or nil when the table is empty: what a
// scorer must keep writing into it.
func (s *PostgresSink) Labels(ctx context.Context) ([]string, error) {
	var raw []byte
	err := s.conn.QueryRow(ctx, `SELECT probabilities FROM `+s.table.Sanitize()+` ORDER BY scored_at DESC LIMIT 1`).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the labels of table %q: %w", s.tableName, err)
	}
	var probs map[string]float64
	if err := json.Unmarshal(raw, &probs); err != nil {
		return nil, fmt.Errorf("reading the labels of table %q: decoding probabilities: %w", s.tableName, err)
	}
	return slices.Sorted(maps.Keys(probs)), nil
}
