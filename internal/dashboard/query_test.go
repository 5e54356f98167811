package dashboard

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tweetflow/tweetflow/internal/scoring"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var (
	t0     = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	labels = []string{"AI", "OTHER"}
)

// row makes a scored row of model version v at time at (both created_at
// and scored_at, plus offset seconds) with P(AI) = pAI.
func row(id, v string, at time.Time, pAI float32, text string, urls ...string) scoring.Row {
	l, s := "AI", pAI
	if pAI < 0.5 {
		l, s = "OTHER", 1-pAI
	}
	return scoring.Row{ID: id, CreatedAt: at, User: "u" + id, Text: text, CleanText: text, URLs: urls, Label: l, Score: s,
		Labels: labels, Probabilities: []float32{pAI, 1 - pAI}, ModelVersion: v, ScoredAt: at}
}

// fixture writes rows through the scorer's own PostgreSQL sink.
func fixture(t *testing.T, conn *pgx.Conn, table string, rows []scoring.Row) {
	t.Helper()
	ctx := context.Background()
	sink, err := scoring.NewPostgresSink(ctx, conn, scoring.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Write(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
}

// scoresRows: model m2 (active: scored last) has 4 rows at 10:xx (3 AI,
// 1 OTHER), none at 11:xx, 4 at 12:xx (2 AI, 2 OTHER) and one at 08:00,
// outside a 3-hour window; model m1 scored 2 rows at 09:00.
func scoresRows() []scoring.Row {
	h := func(hh, mm int) time.Time {
		return t0.Add(time.Duration(hh-10)*time.Hour + time.Duration(mm)*time.Minute)
	}
	return []scoring.Row{
		row("1", "m2", h(10, 1), 0.91, "LLMs #AI #ml https://a.example/x", "https://a.example/x"),
		row("2", "m2", h(10, 5), 0.72, "more #ai news https://a.example/x https://b.example/y", "https://a.example/x", "https://b.example/y"),
		row("3", "m2", h(10, 30), 0.66, "#GPT rocks https://b.example/y", "https://b.example/y"),
		row("4", "m2", h(10, 59), 0.12, "lunch #food"),
		row("5", "m2", h(12, 0), 0.55, "#ai again https://a.example/x", "https://a.example/x"),
		row("6", "m2", h(12, 10), 0.95, "transformers"),
		row("7", "m2", h(12, 20), 0.31, "football #sport https://c.example/z", "https://c.example/z"),
		row("8", "m2", h(12, 40), 0.05, "rain"),
		row("9", "m2", h(8, 0), 0.99, "#old tweet https://old.example", "https://old.example"),
		row("1", "m1", h(9, 0), 0.40, "LLMs #AI #ml https://a.example/x", "https://a.example/x"),
		row("2", "m1", h(9, 0), 0.60, "more #ai news"),
	}
}

func defaultOptions(tables ...string) Options {
	return Options{Tables: tables, Width: time.Hour, Buckets: 3, Latest: 5, Sample: 1000, Top: 10, Labels: labels, Focus: "AI"}
}

func TestQuery(t *testing.T) {
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	ctx := context.Background()
	fixture(t, conn, "tweet_scores", scoresRows())

	s, err := Query(ctx, conn, defaultOptions("tweet_scores"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Tables) != 1 || !s.Tables[0].Exists || s.Tables[0].DeadLetterTable || s.DeadLetters != 0 {
		t.Errorf("tables %+v, dead letters %d; want the table, no dead-letter table", s.Tables, s.DeadLetters)
	}
	if s.Active != "m2" || s.Rows != 9 {
		t.Errorf("active %q with %d rows, want m2 with 9", s.Active, s.Rows)
	}
	if len(s.Versions) != 2 || s.Versions[1].Version != "m1" || s.Versions[1].Rows != 2 || !s.Versions[1].LastScored.Equal(t0.Add(-time.Hour)) {
		t.Errorf("versions %+v", s.Versions)
	}
	if s.Newest == nil || !s.Newest.Equal(t0.Add(2*time.Hour+40*time.Minute)) {
		t.Errorf("newest %v", s.Newest)
	}
	if !slices.Equal(s.Labels, labels) || s.Focus != "AI" {
		t.Errorf("labels %v focus %q", s.Labels, s.Focus)
	}
	type bk struct {
		start  time.Time
		counts []int64
		total  int64
		rate   float64
	}
	want := []bk{{t0, []int64{3, 1}, 4, .75}, {t0.Add(time.Hour), []int64{0, 0}, 0, math.NaN()}, {t0.Add(2 * time.Hour), []int64{2, 2}, 4, .5}}
	if len(s.Counts) != len(want) {
		t.Fatalf("%d buckets, want %d: %+v", len(s.Counts), len(want), s.Counts)
	}
	for i, w := range want {
		b := s.Counts[i]
		if !b.Start.Equal(w.start) || !slices.Equal(b.Counts, w.counts) || b.Total != w.total || !(b.Rate == w.rate || math.IsNaN(b.Rate) && math.IsNaN(w.rate)) {
			t.Errorf("bucket %d: %+v, want %+v", i, b, w)
		}
	}
	// The sample: P(AI) of the 8 rows of m2 in the window, newest first.
	wantScores := []float64{0.05, 0.31, 0.95, 0.55, 0.12, 0.66, 0.72, 0.91}
	if len(s.Scores) != len(wantScores) || s.SampleRows != 8 {
		t.Fatalf("scores %v (%d rows), want %v", s.Scores, s.SampleRows, wantScores)
	}
	for i := range wantScores {
		if !near(s.Scores[i], wantScores[i], 1e-6) {
			t.Errorf("score %d: %v, want %v", i, s.Scores[i], wantScores[i])
		}
	}
	// Top lists of the AI rows of the window (1, 2, 3, 5, 6), a URL and a
	// tag counted once per tweet.
	if want := []Count{{"https://a.example/x", 3}, {"https://b.example/y", 2}}; !slices.Equal(s.TopURLs, want) {
		t.Errorf("top URLs %v, want %v", s.TopURLs, want)
	}
	if want := []Count{{"ai", 3}, {"gpt", 1}, {"ml", 1}}; !slices.Equal(s.TopHashtags, want) {
		t.Errorf("top hashtags %v, want %v", s.TopHashtags, want)
	}
	// Latest: newest scored first, every version.
	var ids []string
	for _, l := range s.Latest {
		ids = append(ids, l.ID+"/"+l.Version)
	}
	if want := []string{"8/m2", "7/m2", "6/m2", "5/m2", "4/m2"}; !slices.Equal(ids, want) {
		t.Errorf("latest %v, want %v", ids, want)
	}
	if l := s.Latest[2]; l.Label != "AI" || !near(l.Score, 0.95, 1e-6) || l.User != "u6" || l.Text != "transformers" || l.CreatedAt == nil {
		t.Errorf("latest row 6: %+v", l)
	}

	// Focus OTHER: its rates and top lists.
	o := defaultOptions("tweet_scores")
	o.Focus = "OTHER"
	s2, err := Query(ctx, conn, o)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Counts[0].Rate != .25 || !near(s2.Scores[0], 0.95, 1e-6) {
		t.Errorf("focus OTHER: rate %v, first P(OTHER) %v", s2.Counts[0].Rate, s2.Scores[0])
	}
	if want := []Count{{"food", 1}, {"sport", 1}}; !slices.Equal(s2.TopHashtags, want) {
		t.Errorf("OTHER hashtags %v, want %v", s2.TopHashtags, want)
	}

	// A dead-letter table appears at query time and is counted.
	if _, err := conn.Exec(ctx, `CREATE TABLE tweet_scores_dead_letters (id bigserial, payload bytea, reason text, received_at timestamptz DEFAULT now());
		INSERT INTO tweet_scores_dead_letters (payload, reason) VALUES ('x', 'invalid JSON'), ('{}', 'no text'), ('y', 'oversize')`); err != nil {
		t.Fatal(err)
	}
	s3, err := Query(ctx, conn, defaultOptions("tweet_scores"))
	if err != nil {
		t.Fatal(err)
	}
	if s3.DeadLetters != 3 || !s3.Tables[0].DeadLetterTable {
		t.Errorf("dead letters %d (%+v), want 3", s3.DeadLetters, s3.Tables)
	}
}

func TestQueryTablesTogether(t *testing.T) {
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	ctx := context.Background()
	rows := scoresRows()
	fixture(t, conn, "scores_0", rows[:4])
	if _, err := conn.Exec(ctx, `CREATE SCHEMA s`); err != nil {
		t.Fatal(err)
	}
	fixture(t, conn, "s.scores_1", rows[4:])
	if _, err := conn.Exec(ctx, `CREATE TABLE s.scores_1_dead_letters (raw bytea); INSERT INTO s.scores_1_dead_letters VALUES ('a'), ('b')`); err != nil {
		t.Fatal(err)
	}
	s, err := Query(ctx, conn, defaultOptions("scores_0", "s.scores_1", "missing_table"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(s.Tables); got != "[{scores_0 true false 0} {s.scores_1 true true 2} {missing_table false false 0}]" {
		t.Errorf("tables %s", got)
	}
	if s.Active != "m2" || s.Rows != 9 || s.DeadLetters != 2 || s.Counts[0].Total != 4 || s.Counts[2].Total != 4 {
		t.Errorf("active %q rows %d dead letters %d buckets %+v", s.Active, s.Rows, s.DeadLetters, s.Counts)
	}

	// Only missing tables: an empty snapshot, not an error.
	s, err = Query(ctx, conn, defaultOptions("nothing_here"))
	if err != nil || s.Active != "" || len(s.Counts) != 0 || s.Tables[0].Exists {
		t.Errorf("missing table: %+v, %v", s, err)
	}
}

func TestQueryCreatedAt(t *testing.T) {
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	ctx := context.Background()
	rows := scoresRows()
	// Tweet 8 has no creation time; tweet 6 was created a day earlier
	// than scored.
	rows[7].CreatedAt = time.Time{}
	rows[5].CreatedAt = rows[5].ScoredAt.Add(-24 * time.Hour)
	fixture(t, conn, "tweet_scores", rows)
	o := defaultOptions("tweet_scores")
	o.TimeColumn = CreatedAt
	s, err := Query(ctx, conn, o)
	if err != nil {
		t.Fatal(err)
	}
	if s.Counts[2].Total != 2 || s.Counts[0].Total != 4 || s.SampleRows != 6 {
		t.Errorf("created_at buckets %+v, sample %d; want 4, 0, 2 and 6 rows", s.Counts, s.SampleRows)
	}
	var ids []string
	for _, l := range s.Latest {
		ids = append(ids, l.ID)
	}
	if want := []string{"7", "5", "4", "3", "2"}; !slices.Equal(ids, want) {
		t.Errorf("latest by created_at %v, want %v", ids, want)
	}

	for _, bad := range []Options{
		{Tables: []string{"x"}, Width: 1500 * time.Millisecond},
		{Tables: []string{"x;drop"}, Width: time.Hour},
		{Tables: nil, Width: time.Hour},
		{Tables: []string{"x"}, Width: time.Hour, TimeColumn: "text"},
	} {
		if _, err := Query(ctx, conn, bad); err == nil {
			t.Errorf("Query(%+v): no error", bad)
		}
	}
}
