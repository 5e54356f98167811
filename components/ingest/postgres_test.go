package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

// TestIngestPostgresTable ingests a PostgreSQL table (seed 001's
// raw_tweet_dataset_0) through a cursor in batches of 4 rows: every good
// row in id order with its fields, the NULL-text row a bad row with its
// row number; then a query, a query that tries to write (refused: the
// transaction is read only), a missing table and a missing column.
func TestIngestPostgresTable(t *testing.T) {
	db := pgtest.Start(t)
	conn := db.Connect(t)
	ctx := context.Background()
	const n = 25
	if _, err := conn.Exec(ctx, `CREATE TABLE raw_tweet_dataset_0 (id bigint PRIMARY KEY, text text, label text, created_at timestamptz, user_name text, urls text[]);
		CREATE SEQUENCE side_effect`); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	labels := []string{"positive", "negative", "neutral"}
	// Inserted out of id order: the source reads ORDER BY id.
	for i := n; i >= 1; i-- {
		var text any = fmt.Sprintf("tweet number %d, with a \"quote\",\nand a line break", i)
		if i == 7 {
			text = nil
		}
		if _, err := conn.Exec(ctx, `INSERT INTO raw_tweet_dataset_0 VALUES ($1, $2, $3, $4, $5, '{}')`,
			i, text, labels[i%3], base.Add(time.Duration(i)*time.Minute), "user"+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	// The password is not needed (trust authentication) and must not show.
	dsn := strings.Replace(db.DSN(), "postgres@", "postgres:s3cret@", 1)
	s := stagetest.NewFS(t)
	res := s.MustRun(t, stages.Ingest, runFn, "r", "--sources", dsn+"&table=raw_tweet_dataset_0&fetch=4", "--step-cache")
	tw := s.Tweets(t, "r", "ingest", "tweets")
	if len(tw) != n-1 {
		t.Fatalf("%d rows, want %d", len(tw), n-1)
	}
	want := 1
	for _, got := range tw {
		if want == 7 {
			want++
		}
		if got.ID != strconv.Itoa(want) || got.Text != fmt.Sprintf("tweet number %d, with a \"quote\",\nand a line break", want) ||
			got.Label != labels[want%3] || !got.CreatedAt.Equal(base.Add(time.Duration(want)*time.Minute)) || got.User != "user"+strconv.Itoa(want) ||
			!strings.HasSuffix(got.Source, "?table=raw_tweet_dataset_0:"+strconv.Itoa(want)) {
			t.Fatalf("row %d: %+v", want, got)
		}
		want++
	}
	sum := s.Summary(t, "r", "ingest")
	if sum.RowsIn != n || sum.RowsOut != n-1 || sum.Extra["bad_rows"] != float64(1) {
		t.Errorf("summary rows %d/%d, bad %v", sum.RowsIn, sum.RowsOut, sum.Extra["bad_rows"])
	}
	if !strings.Contains(res.Stderr, `NULL text in column \"text\"`) || !strings.Contains(res.Stderr, "line=7") {
		t.Errorf("the bad row is not reported with its row number:\n%s", res.Stderr)
	}
	if !strings.Contains(res.Stdout, "table") || !strings.Contains(res.Stdout, fmt.Sprintf("%d rows, 1 bad", n-1)) {
		t.Errorf("stdout:\n%s", res.Stdout)
	}
	for what, out := range map[string]string{"stdout": res.Stdout, "stderr": res.Stderr, "summary": fmt.Sprint(sum.Inputs, sum.Params)} {
		if strings.Contains(out, "s3cret") {
			t.Errorf("the password shows in the %s: %s", what, out)
		}
	}

	// The table changed: ingesting it again reads it again (no step
	// cache for a database source).
	if _, err := conn.Exec(ctx, `INSERT INTO raw_tweet_dataset_0 (id, text) VALUES (26, 'one more')`); err != nil {
		t.Fatal(err)
	}
	res = s.MustRun(t, stages.Ingest, runFn, "r2", "--sources", dsn+"&table=raw_tweet_dataset_0&fetch=4", "--step-cache")
	if got := len(s.Tweets(t, "r2", "ingest", "tweets")); got != n || !strings.Contains(res.Stderr, "whose contents have no digest") {
		t.Errorf("second ingest: %d rows, want %d; stderr:\n%s", got, n, res.Stderr)
	}
	if _, err := conn.Exec(ctx, `DELETE FROM raw_tweet_dataset_0 WHERE id = 26`); err != nil {
		t.Fatal(err)
	}

	// A query, with its own column names mapped by the column flags.
	q := "SELECT id AS tweet_id, text AS body FROM raw_tweet_dataset_0 WHERE label = 'positive' AND text IS NOT NULL ORDER BY id DESC"
	s.MustRun(t, stages.Ingest, runFn, "q", "--sources", dsn+"&query="+urlEncode(q), "--text-column", "body", "--id-column", "tweet_id")
	tq := s.Tweets(t, "q", "ingest", "tweets")
	var ids []string
	for _, x := range tq {
		ids = append(ids, x.ID)
		if x.Label != "" || !x.CreatedAt.IsZero() {
			t.Errorf("query row %+v: label or time from columns the query has not", x)
		}
	}
	if got := strings.Join(ids, ","); got != "24,21,18,15,12,9,6,3" {
		t.Errorf("query ids %s", got)
	}

	for _, c := range []struct {
		name, source string
		args         []string
		want         []string
	}{
		{"missing table", "&table=raw_tweet_dataset_9", nil, []string{`reading table "raw_tweet_dataset_9"`, "does not exist"}},
		{"missing column", "&table=raw_tweet_dataset_0", []string{"--label-column", "sentiment"},
			[]string{`column "sentiment" (--label-column) is not in the result`, `"user_name"`}},
		{"writing query", "&query=" + urlEncode("SELECT nextval('side_effect')::text AS id, 'x' AS text"), nil, []string{"read-only transaction"}},
		{"two statements", "&query=" + urlEncode("SELECT 1 AS id, 'x' AS text; DROP TABLE raw_tweet_dataset_0"), nil, []string{"running query"}},
	} {
		r := s.Run(t, stages.Ingest, runFn, "bad", append([]string{"--sources", dsn + c.source}, c.args...)...)
		if r.Code == 0 {
			t.Errorf("%s: exit 0", c.name)
		}
		for _, w := range c.want {
			if !strings.Contains(r.Stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", c.name, w, r.Stderr)
			}
		}
	}
	var rows int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM raw_tweet_dataset_0`).Scan(&rows); err != nil || rows != n {
		t.Errorf("table after the refused queries: %d rows, %v", rows, err)
	}
}

func urlEncode(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", "#", "%23", " ", "%20", "=", "%3D", ";", "%3B", "'", "%27")
	return r.Replace(s)
}
