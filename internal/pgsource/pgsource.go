package pgsource

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tweetflow/tweetflow/internal/ingest"
	"github.com/tweetflow/tweetflow/internal/pgident"
)

// DefaultFetch is how many rows one FETCH reads.
const DefaultFetch = 2000

// cursorName is the server-side cursor of a source.
const cursorName = "tweetflow_source"

// IsURI reports whether s names a PostgreSQL source (postgres:// or postgresql://).
func IsURI(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// Spec is a parsed source URI.
type Spec struct {
	DSN   string // the connection string: the URI without table, query and fetch
	Table string // table or schema.table; empty when Query is set
	Query string // a SELECT (or any statement a cursor takes); empty when Table is set
	Fetch int    // rows per FETCH
	Name  string // the URI with its password hidden, for messages and Tweet.Source
}

// ParseURI parses postgres://[user[:password]@]host[:port]/db?table=T
// (or ?query=SELECT ..., URL-encoded) with optional fetch=N (rows per
// FETCH, default DefaultFetch); the other parameters (sslmode, ...) stay
// in the connection string. Errors never show the password.
func ParseURI(uri string) (Spec, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return Spec{}, errors.New("parsing the PostgreSQL source URI: not a URL (postgres://user@host/db?table=name)")
	}
	s := Spec{Name: u.Redacted(), Fetch: DefaultFetch}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Spec{}, fmt.Errorf("parsing %s: %w (URL-encode ; & + # and %% inside a query: %%3B %%26 %%2B %%23 %%25)", s.Name, err)
	}
	s.Table, s.Query = strings.TrimSpace(q.Get("table")), strings.TrimSpace(q.Get("query"))
	if f := q.Get("fetch"); f != "" {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return Spec{}, fmt.Errorf("parsing %s: fetch=%q: want a positive number of rows", s.Name, f)
		}
		s.Fetch = n
	}
	q.Del("table")
	q.Del("query")
	q.Del("fetch")
	switch {
	case s.Table == "" && s.Query == "":
		return Spec{}, fmt.Errorf("parsing %s: name a table (?table=raw_tweet_dataset_0) or a query (?query=SELECT ...)", s.Name)
	case s.Table != "" && s.Query != "":
		return Spec{}, fmt.Errorf("parsing %s: give table or query, not both", s.Name)
	case s.Table != "":
		if _, err := pgident.ParseTable(s.Table); err != nil {
			return Spec{}, fmt.Errorf("parsing %s: %w", s.Name, err)
		}
	}
	u.RawQuery = q.Encode()
	s.DSN = u.String()
	// The name shows what is read, without the password.
	u.RawQuery = ""
	what := "table=" + s.Table
	if s.Table == "" {
		what = "query=" + s.Query
	}
	s.Name = u.Redacted() + "?" + what
	return s, nil
}

// Options tunes Open.
type Options struct {
	// OrderBy, for a table, is the column the rows are read in order of
	// when the table has it (matched case-insensitively), so that reading
	// is repeatable; empty or absent: the table's physical order.
	OrderBy string
	// Password is used when the connection string has none.
	Password string
}

// Rows is an opened result, read through a cursor. It implements
// ingest.TableRows.
type Rows struct {
	conn  *pgx.Conn
	tx    pgx.Tx
	cols  []string
	fetch string
	name  string

	batch [][]ingest.TableValue // fetched, not yet returned
	next  int
	done  bool
}

// Open connects to spec.DSN and opens its table or query in a read-only
// transaction (repeatable read: one snapshot for the whole read) through
// a cursor. A missing table or a bad query fails here, with the server's
// message.
func Open(ctx context.Context, spec Spec, opts Options) (_ *Rows, err error) {
	cfg, err := pgx.ParseConfig(spec.DSN)
	if err != nil {
		return nil, fmt.Errorf("parsing the connection string of %s: %w", spec.Name, err)
	}
	if cfg.Password == "" {
		cfg.Password = opts.Password
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL at %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	r := &Rows{conn: conn, name: spec.Name, fetch: fmt.Sprintf("FETCH FORWARD %d FROM %s", max(spec.Fetch, 1), cursorName)}
	defer func() {
		if err != nil {
			_ = conn.Close(context.WithoutCancel(ctx))
		}
	}()
	r.tx, err = conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("starting a read-only transaction: %w", err)
	}
	query := spec.Query
	if spec.Table != "" {
		id, _ := pgident.ParseTable(spec.Table)
		query = "SELECT * FROM " + id.Sanitize()
		cols, err := r.describe(ctx, query+" LIMIT 0")
		if err != nil {
			return nil, fmt.Errorf("reading table %q: %w", spec.Table, err)
		}
		if opts.OrderBy != "" {
			if i := ingestColumn(cols, opts.OrderBy); i >= 0 {
				query += " ORDER BY " + pgx.Identifier{cols[i]}.Sanitize()
			}
		}
	}
	// The extended protocol takes one statement: a query cannot end the
	// transaction and go on.
	declare := "DECLARE " + cursorName + " NO SCROLL CURSOR FOR " + query
	if err := conn.PgConn().ExecParams(ctx, declare, nil, nil, nil, nil).Read().Err; err != nil {
		if spec.Table != "" {
			return nil, fmt.Errorf("reading table %q: %w", spec.Table, err)
		}
		return nil, fmt.Errorf("running query %q: %w", spec.Query, err)
	}
	// The column names come with the first FETCH (also of an empty result).
	if err := r.fill(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// ingestColumn finds name as ingest matches header columns: exactly, else
// the only case-insensitive match.
func ingestColumn(cols []string, name string) int {
	found := -1
	for i, c := range cols {
		if c == name {
			return i
		}
		if strings.EqualFold(c, name) {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}

// describe returns the column names of a query (run with LIMIT 0).
func (r *Rows) describe(ctx context.Context, query string) ([]string, error) {
	rows, err := r.tx.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []string
	for _, f := range rows.FieldDescriptions() {
		cols = append(cols, f.Name)
	}
	rows.Close()
	return cols, rows.Err()
}

// fill fetches the next batch.
func (r *Rows) fill(ctx context.Context) error {
	rows, err := r.tx.Query(ctx, r.fetch)
	if err != nil {
		return fmt.Errorf("fetching from %s: %w", r.name, err)
	}
	defer rows.Close()
	if r.cols == nil {
		r.cols = []string{}
		for _, f := range rows.FieldDescriptions() {
			r.cols = append(r.cols, f.Name)
		}
	}
	r.batch, r.next = r.batch[:0], 0
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return fmt.Errorf("fetching from %s: row %d: %w", r.name, len(r.batch)+1, err)
		}
		row := make([]ingest.TableValue, len(vals))
		for i, v := range vals {
			row[i] = text(v)
		}
		r.batch = append(r.batch, row)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("fetching from %s: %w", r.name, err)
	}
	if len(r.batch) == 0 {
		r.done = true
	}
	return nil
}

// text renders a value as text: times in RFC 3339 (UTC), numbers in
// decimal, byte strings as they are.
func text(v any) ingest.TableValue {
	switch x := v.(type) {
	case nil:
		return ingest.TableValue{Null: true}
	case string:
		return ingest.TableValue{Text: x}
	case []byte:
		return ingest.TableValue{Text: string(x)}
	case time.Time:
		return ingest.TableValue{Text: x.UTC().Format(time.RFC3339Nano)}
	case int64:
		return ingest.TableValue{Text: strconv.FormatInt(x, 10)}
	case int32:
		return ingest.TableValue{Text: strconv.FormatInt(int64(x), 10)}
	case int16:
		return ingest.TableValue{Text: strconv.FormatInt(int64(x), 10)}
	case float64:
		return ingest.TableValue{Text: strconv.FormatFloat(x, 'g', -1, 64)}
	case float32:
		return ingest.TableValue{Text: strconv.FormatFloat(float64(x), 'g', -1, 32)}
	case driver.Valuer: // numeric and the other pgtype values
		dv, err := x.Value()
		if err != nil {
			return ingest.TableValue{Text: fmt.Sprint(v)}
		}
		return text(dv)
	}
	return ingest.TableValue{Text: fmt.Sprint(v)}
}

// Columns names the result's columns.
func (r *Rows) Columns() []string { return r.cols }

// Next returns the next row (dst is not used: rows are fetched in batches).
func (r *Rows) Next(ctx context.Context, _ []ingest.TableValue) ([]ingest.TableValue, bool, error) {
	if r.next >= len(r.batch) {
		if r.done {
			return nil, false, nil
		}
		if err := r.fill(ctx); err != nil {
			return nil, false, err
		}
		if r.done {
			return nil, false, nil
		}
	}
	row := r.batch[r.next]
	r.batch[r.next] = nil
	r.next++
	return row, true, nil
}

// Close ends the transaction and the connection.
func (r *Rows) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := r.tx.Rollback(ctx) // read only: nothing to commit
	if errors.Is(err, pgx.ErrTxClosed) {
		err = nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		err = nil // the transaction already failed; the read reported why
	}
	return errors.Join(err, r.conn.Close(ctx))
}

// Source returns the ingest source of a parsed URI: read with ro's label
// map and columns, in the order of ro's id column (default "id") when the
// table has one.
func Source(spec Spec, ro ingest.ReadOptions, password string) ingest.Source {
	order := ro.Columns.ID
	if order == "" {
		order = ingest.DefaultIDColumn
	}
	return ingest.Source{Name: spec.Name, Format: ingest.FormatTable, LabelMap: ro.LabelMap, Columns: ro.Columns,
		OpenTable: func(ctx context.Context) (ingest.TableRows, error) {
			return Open(ctx, spec, Options{OrderBy: order, Password: password})
		}}
}
