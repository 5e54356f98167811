package scoring

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
)

func TestPostgresUpsertIdempotent(t *testing.T) {
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	ctx := context.Background()
	rows := tweetsRows(t, 50)
	for run := 0; run < 2; run++ { // the same input scored and stored twice
		s, err := OpenPostgres(ctx, db.DSN(), WithTable("scores"))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(rows); i += 20 {
			if err := s.Write(ctx, rows[i:min(i+20, len(rows))]); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if n := count(t, conn, "SELECT count(*) FROM scores"); n != 50 {
			t.Fatalf("run %d: %d rows in the table, want 50", run, n)
		}
	}
	if got, want := cmpRows(normalizeURLs(readTable(t, conn, "scores"))), cmpRows(normalizeURLs(tweetsRows(t, 50))); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows after rerun differ:\n got %+v\nwant %+v", got[:2], want[:2])
	}

	// A rescore with a new scored_at and label overwrites; another model
	// version adds rows beside the first.
	s, err := OpenPostgres(ctx, db.DSN(), WithTable("scores"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	re := tweetsRows(t, 3)
	later := re[0].ScoredAt.Add(time.Hour)
	for i := range re {
		re[i].ScoredAt = later
		re[i].Label = "rescored"
	}
	if err := s.Write(ctx, re); err != nil {
		t.Fatal(err)
	}
	if n := count(t, conn, "SELECT count(*) FROM scores WHERE label = 'rescored' AND scored_at = $1", later); n != 3 {
		t.Errorf("%d rescored rows, want 3", n)
	}
	other := tweetsRows(t, 5)
	for i := range other {
		other[i].ModelVersion = "run-3"
	}
	if err := s.Write(ctx, other); err != nil {
		t.Fatal(err)
	}
	if n := count(t, conn, "SELECT count(*) FROM scores"); n != 55 {
		t.Errorf("%d rows after scoring 5 tweets with another version, want 55", n)
	}
	// probabilities is queryable JSON.
	if n := count(t, conn, `SELECT count(*) FROM scores WHERE abs((probabilities->>label)::real - score) > 1e-6 AND label <> 'rescored'`); n != 0 {
		t.Errorf("%d rows whose probabilities->>label differs from score", n)
	}
}

func TestPostgresFailedBatchLeavesNothing(t *testing.T) {
	ctx := context.Background()
	_, conn, s, rows := sinkWith10Rows(t)
	// The second batch fails after COPY has sent 7 of its 20 rows.
	injected := errors.New("injected failure")
	s.copyHook = func(i int) error {
		if i == 7 {
			return injected
		}
		return nil
	}
	err := s.Write(ctx, rows[10:])
	if err == nil || !strings.Contains(err.Error(), injected.Error()) {
		t.Fatalf("Write = %v, want the injected error", err)
	}
	if n := count(t, conn, "SELECT count(*) FROM tweet_scores"); n != 10 {
		t.Fatalf("%d rows after a failed batch, want the 10 of the first batch", n)
	}
	// The sink recovers: the batch goes through once it is fixed.
	s.copyHook = nil
	if err := s.Write(ctx, rows[10:]); err != nil {
		t.Fatal(err)
	}
	if n := count(t, conn, "SELECT count(*) FROM tweet_scores"); n != 30 {
		t.Fatalf("%d rows after the retry, want 30", n)
	}
	// The session's staging table is empty between batches.
	if n := count(t, s.conn, "SELECT count(*) FROM "+stageTable); n != 0 {
		t.Errorf("%d rows left in the staging table", n)
	}
}

// TestPostgresBatchWithStoredKeys: a batch whose last rows are already
// stored (its COPY straight into the table fails on them) is merged
// whole, and so are the next 1, 2, 4, ... batches without trying COPY
// first while COPY keeps meeting stored keys; a failure while merging
// leaves nothing of its batch.
func TestPostgresBatchWithStoredKeys(t *testing.T) {
	ctx := context.Background()
	_, conn, s, _ := sinkWith10Rows(t)
	rows := tweetsRows(t, 60)
	copies := 0 // COPYs started: straight into the table or into the staging table
	var failAt int
	injected := errors.New("injected failure")
	s.copyHook = func(i int) error {
		if i == 0 {
			copies++
		}
		if failAt > 0 && i == failAt {
			return injected
		}
		return nil
	}
	rescored := func(rs []Row) []Row {
		out := slices.Clone(rs)
		for i := range out {
			out[i].Label = "rescored"
		}
		return out
	}
	steps := []struct {
		name           string
		batch          []Row
		failAt         int
		copies, merged int // COPYs of the write, batches merged so far
		rows, rescored int // in the table after the write
	}{
		{"10 new rows, then 5 stored ones: COPY fails, merge", append(slices.Clone(rows[10:20]), rescored(rows[:5])...), 0, 2, 1, 20, 5},
		{"the next batch is merged at once; the merge fails", append(slices.Clone(rows[20:30]), rescored(rows[5:10])...), 12, 1, 2, 20, 5},
		{"the same batch again: COPY fails, merge", append(slices.Clone(rows[20:30]), rescored(rows[5:10])...), 0, 2, 3, 30, 10},
		{"new rows, merged at once (1 of 2)", rows[30:40], 0, 1, 4, 40, 10},
		{"new rows, merged at once (2 of 2)", rows[40:50], 0, 1, 5, 50, 10},
		{"new rows: COPY goes through", rows[50:60], 0, 1, 5, 60, 10},
	}
	for _, st := range steps {
		copies, failAt = 0, st.failAt
		err := s.Write(ctx, st.batch)
		if st.failAt > 0 {
			if err == nil || !strings.Contains(err.Error(), injected.Error()) {
				t.Fatalf("%s: Write = %v, want the injected error", st.name, err)
			}
		} else if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if copies != st.copies || s.MergedBatches() != st.merged {
			t.Fatalf("%s: %d COPYs, %d batches merged; want %d, %d", st.name, copies, s.MergedBatches(), st.copies, st.merged)
		}
		if n := count(t, conn, "SELECT count(*) FROM tweet_scores"); n != st.rows {
			t.Fatalf("%s: %d rows, want %d", st.name, n, st.rows)
		}
		if n := count(t, conn, "SELECT count(*) FROM tweet_scores WHERE label = 'rescored'"); n != st.rescored {
			t.Fatalf("%s: %d rescored rows, want %d", st.name, n, st.rescored)
		}
	}
}

func TestPostgresDuplicateKeysInBatch(t *testing.T) {
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	ctx := context.Background()
	s, err := NewPostgresSink(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	rows := tweetsRows(t, 4)
	dup := rows[1]
	dup.Label, dup.Text = "last", "the last copy wins"
	batch := append(rows, dup)
	if err := s.Write(ctx, batch); err != nil {
		t.Fatalf("a batch with a repeated tweet: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, conn, "SELECT count(*) FROM tweet_scores"); n != 4 {
		t.Fatalf("%d rows, want 4", n)
	}
	var label, text string
	if err := conn.QueryRow(ctx, "SELECT label, text FROM tweet_scores WHERE tweet_id = $1", dup.ID).Scan(&label, &text); err != nil {
		t.Fatal(err)
	}
	if label != "last" || text != dup.Text {
		t.Errorf("repeated tweet stored as %q %q, want the last copy", label, text)
	}
	// NewPostgresSink leaves the caller's connection open.
	if err := conn.Ping(ctx); err != nil {
		t.Errorf("connection closed by the sink: %v", err)
	}
}

func TestPostgresTableNames(t *testing.T) {
	for _, bad := range []string{"", "a b", "x;drop table y", `q"uote`, "a.b.c", "1abc", strings.Repeat("x", 64)} {
		if _, err := CreateTableSQL(bad); err == nil {
			t.Errorf("table name %q accepted", bad)
		}
	}
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA analytics"); err != nil {
		t.Fatal(err)
	}
	s, err := NewPostgresSink(ctx, conn, WithTable("analytics.Scores_2026"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, edgeRows()); err != nil {
		t.Fatal(err)
	}
	if n := count(t, conn, `SELECT count(*) FROM analytics."Scores_2026"`); n != len(edgeRows()) {
		t.Errorf("%d rows in analytics.\"Scores_2026\"", n)
	}
	// A second sink on an existing table, with the documented columns.
	if _, err := NewPostgresSink(ctx, conn, WithTable("analytics.Scores_2026")); err != nil {
		t.Fatal(err)
	}
	if n := count(t, conn, `SELECT count(*) FROM information_schema.columns WHERE table_schema = 'analytics' AND table_name = 'Scores_2026'`); n != len(pgColumns) {
		t.Errorf("table has %d columns, want %d", n, len(pgColumns))
	}
	if _, err := OpenPostgres(ctx, "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"); err == nil {
		t.Error("OpenPostgres succeeded with an unreachable server")
	}
	if _, err := OpenPostgres(ctx, "postgres://u:secret-pw@host:notaport/db"); err == nil || strings.Contains(err.Error(), "secret-pw") {
		t.Errorf("a bad DSN: %v (must fail without showing the password)", err)
	}
}

func TestPostgresReconnects(t *testing.T) {
	ctx := context.Background()
	db, admin, s, rows := sinkWith10Rows(t)
	// The server ends the sink's session (as a restart or a network cut would).
	pid := s.conn.PgConn().PID()
	var ok bool
	if err := admin.QueryRow(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminating backend %d: %v %v", pid, ok, err)
	}
	if err := s.Write(ctx, rows[10:20]); err != nil {
		t.Fatalf("Write after the session was killed: %v", err)
	}
	if s.Reconnects() != 1 || s.conn.PgConn().PID() == pid {
		t.Errorf("reconnects %d, backend %d (was %d)", s.Reconnects(), s.conn.PgConn().PID(), pid)
	}
	if n := count(t, admin, "SELECT count(*) FROM tweet_scores"); n != 20 {
		t.Fatalf("%d rows, want 20", n)
	}
	// A sink on a caller's connection does not reconnect.
	conn := db.Connect(t)
	s2, err := NewPostgresSink(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.QueryRow(ctx, "SELECT pg_terminate_backend($1)", conn.PgConn().PID()).Scan(&ok); err != nil || !ok {
		t.Fatal(err)
	}
	if err := s2.Write(ctx, rows[20:]); err == nil {
		t.Error("a sink on a killed caller's connection reported success")
	}
	if n := count(t, admin, "SELECT count(*) FROM tweet_scores"); n != 20 {
		t.Fatalf("%d rows, want 20", n)
	}
}

func TestPostgresRejectsNaN(t *testing.T) {
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	ctx := context.Background()
	s, err := NewPostgresSink(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	rows := edgeRows()
	rows[3].Probabilities = []float32{float32(math.NaN()), 0.5, 0.5}
	rows[3].Source = "in.jsonl:4"
	// The row is refused by name; the others of its batch are stored.
	err = s.Write(ctx, rows)
	var re *RejectedError
	if !errors.As(err, &re) || len(re.Rows) != 1 || re.Rows[0].Row.ID != rows[3].ID ||
		!strings.Contains(err.Error(), "not a number") || !strings.Contains(err.Error(), "in.jsonl:4") {
		t.Fatalf("Write of a NaN probability = %v", err)
	}
	if n := count(t, conn, "SELECT count(*) FROM tweet_scores"); n != len(rows)-1 {
		t.Errorf("%d rows stored, want the %d good ones", n, len(rows)-1)
	}
}

// TestPostgresNUL: PostgreSQL text cannot hold U+0000 (issue 11, defect
// 3). The sink stores it escaped as the six characters \u0000 in every
// text column, and the row is stored with the rest of its batch.
func TestPostgresNUL(t *testing.T) {
	_, conn, s, rows := sinkWith10Rows(t)
	ctx := context.Background()
	batch := rows[10:]
	batch[3].Text = "nul \x00 in the text"
	batch[3].User = "us\x00er"
	batch[3].URLs = []string{"http://x.example/\x00"}
	batch[7].Text = "\x00\x00"
	if err := s.Write(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if n := count(t, conn, "SELECT count(*) FROM tweet_scores"); n != 30 {
		t.Fatalf("%d rows, want 30", n)
	}
	var text, user string
	var urls []string
	if err := conn.QueryRow(ctx, "SELECT text, user_name, urls FROM tweet_scores WHERE tweet_id = $1", batch[3].ID).Scan(&text, &user, &urls); err != nil {
		t.Fatal(err)
	}
	if text != `nul \u0000 in the text` || user != `us\u0000er` || len(urls) != 1 || urls[0] != `http://x.example/\u0000` {
		t.Errorf("stored %q %q %q", text, user, urls)
	}
	if n := count(t, conn, `SELECT count(*) FROM tweet_scores WHERE text = '\u0000\u0000'`); n != 1 {
		t.Errorf("%d rows with the escaped text of row 7, want 1", n)
	}
}

// TestPostgresRefusedRowsIsolated: rows the server refuses (here a CHECK
// constraint) are found and reported by tweet id and source; the rest of
// the batch is stored, and the sink goes on.
func TestPostgresRefusedRowsIsolated(t *testing.T) {
	_, conn, s, rows := sinkWith10Rows(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `ALTER TABLE tweet_scores ADD CONSTRAINT no_poison CHECK (text NOT LIKE '%poison%')`); err != nil {
		t.Fatal(err)
	}
	batch := rows[10:]
	for i := range batch {
		batch[i].Source = fmt.Sprintf("in.jsonl:%d", 11+i)
	}
	batch[0].Text, batch[13].Text, batch[14].Text = "poison 1", "poison 2", "poison 3"
	var got []RejectedRow
	s.onReject = func(r RejectedRow) { got = append(got, r) }
	if err := s.Write(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if n := count(t, conn, "SELECT count(*) FROM tweet_scores"); n != 27 {
		t.Fatalf("%d rows, want 10 + the 17 good rows of the batch", n)
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.Row.ID+"@"+r.Row.Source)
		if !isRowError(r.Err) || !strings.Contains(r.Err.Error(), "no_poison") {
			t.Errorf("rejected %s with %v", r.Row.ID, r.Err)
		}
	}
	want := []string{batch[0].ID + "@in.jsonl:11", batch[13].ID + "@in.jsonl:24", batch[14].ID + "@in.jsonl:25"}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("rejected %v, want %v", ids, want)
	}
	// Without a reject function, Write names the rows in its error (and
	// still stores the rest).
	s.onReject = nil
	if _, err := conn.Exec(ctx, "DELETE FROM tweet_scores"); err != nil {
		t.Fatal(err)
	}
	err := s.Write(ctx, batch)
	var re *RejectedError
	if !errors.As(err, &re) || len(re.Rows) != 3 || !strings.Contains(err.Error(), "in.jsonl:24") {
		t.Fatalf("Write = %v", err)
	}
	if n := count(t, conn, "SELECT count(*) FROM tweet_scores"); n != 17 {
		t.Fatalf("%d rows, want 17", n)
	}
}

// sinkWith10Rows opens a sink on the shared server (closed at the end of
// the test) and writes the first 10 of 30 generated rows; it returns the
// server, an admin connection, the sink and the 30 rows.
func sinkWith10Rows(t *testing.T) (*pgtest.Server, *pgx.Conn, *PostgresSink, []Row) {
	t.Helper()
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	s, err := OpenPostgres(context.Background(), db.DSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	rows := tweetsRows(t, 30)
	if err := s.Write(context.Background(), rows[:10]); err != nil {
		t.Fatal(err)
	}
	return db, conn, s, rows
}

// TestPostgresRefusedSingleRow: a batch of one refused row reports it
// (with its error) and stores nothing.
func TestPostgresRefusedSingleRow(t *testing.T) {
	_, conn, s, rows := sinkWith10Rows(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `ALTER TABLE tweet_scores ADD CONSTRAINT no_poison CHECK (text NOT LIKE '%poison%')`); err != nil {
		t.Fatal(err)
	}
	row := rows[10]
	row.Text = "poison"
	var got []RejectedRow
	s.onReject = func(r RejectedRow) { got = append(got, r) }
	if err := s.Write(ctx, []Row{row}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Row.ID != row.ID || got[0].Err == nil || !strings.Contains(got[0].Err.Error(), "no_poison") {
		t.Fatalf("rejected %+v", got)
	}
	if n := count(t, conn, "SELECT count(*) FROM tweet_scores"); n != 10 {
		t.Errorf("%d rows, want 10", n)
	}
}
