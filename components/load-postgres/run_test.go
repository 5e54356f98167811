package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type tableRow struct {
	ID, User, Text, Label, Clean, Source string
	Created                              *time.Time
	URLs                                 []string
	Conf                                 *float64
	Probs                                map[string]float64
}

func readTable(t *testing.T, conn *pgx.Conn, table string) map[string]tableRow {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT id, user_name, text, label, clean_text, source, created_at, urls, label_confidence, label_probs FROM `+table)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]tableRow{}
	for rows.Next() {
		var r tableRow
		if err := rows.Scan(&r.ID, &r.User, &r.Text, &r.Label, &r.Clean, &r.Source, &r.Created, &r.URLs, &r.Conf, &r.Probs); err != nil {
			t.Fatal(err)
		}
		out[r.ID] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkTable checks that table holds exactly tweets, field by field.
func checkTable(t *testing.T, conn *pgx.Conn, table string, tweets []dataset.Tweet) {
	t.Helper()
	got := readTable(t, conn, table)
	if len(got) != len(tweets) {
		t.Fatalf("%d rows in %s, want %d", len(got), table, len(tweets))
	}
	for _, w := range tweets {
		g, ok := got[w.ID]
		if !ok {
			t.Fatalf("tweet %s missing", w.ID)
		}
		created := g.Created != nil && g.Created.Equal(w.CreatedAt) || g.Created == nil && w.CreatedAt.IsZero()
		urls := slices.Equal(g.URLs, w.URLs) || len(g.URLs) == 0 && len(w.URLs) == 0
		conf := g.Conf == nil && w.LabelConfidence == 0 || g.Conf != nil && *g.Conf == w.LabelConfidence
		probs, _ := json.Marshal(g.Probs)
		wantProbs, _ := json.Marshal(w.LabelProbs)
		if g.Text != w.Text || g.User != w.User || g.Label != w.Label || g.Clean != w.CleanText || g.Source != w.Source ||
			!created || !urls || !conf || string(probs) != string(wantProbs) {
			t.Fatalf("tweet %s stored as %+v, want %+v", w.ID, g, w)
		}
	}
}

// TestLoadPostgres loads a dataset in batches, loads it again (nothing
// inserted or changed), then a changed version of it (changed rows
// updated, new rows inserted, the rest unchanged).
func TestLoadPostgres(t *testing.T) {
	st := stagetest.NewFS(t)
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	tw := dataset.Generate(7, 50, dataset.GenerateOptions{Cleaned: true})
	tw[3].LabelConfidence, tw[3].LabelProbs = 0.75, map[string]float64{"negative": 0.25, "positive": 0.75}
	tw[4].Text = "nul \x00 inside"
	st.WriteTweets(t, "r1", "clean", "clean", tw)
	args := []string{"--data", st.URI("r1", "clean", "clean"), "--postgres-dsn", db.DSN(), "--table", "public.tweets_0", "--batch-size", "7"}

	r := st.MustRun(t, stages.LoadPostgres, component.Typed(run), "r1", args...)
	if !strings.Contains(r.Stdout, "50 rows") || !strings.Contains(r.Stdout, "in 8 batches: 50 inserted, 0 updated, 0 unchanged") {
		t.Errorf("stdout %q", r.Stdout)
	}
	want := slices.Clone(tw)
	want[4].Text = `nul \u0000 inside`
	checkTable(t, conn, "tweets_0", want)

	r = st.MustRun(t, stages.LoadPostgres, component.Typed(run), "r2", args...)
	if !strings.Contains(r.Stdout, "0 inserted, 0 updated, 50 unchanged") {
		t.Errorf("second load: stdout %q", r.Stdout)
	}
	checkTable(t, conn, "tweets_0", want)

	tw2 := slices.Clone(tw[:40])
	tw2[0].Label = "changed"
	tw2[1].URLs = []string{"http://example.com/new"}
	more := dataset.Generate(8, 5, dataset.GenerateOptions{Cleaned: true})
	for i := range more {
		more[i].ID = "new-" + more[i].ID
	}
	tw2 = append(tw2, more...)
	tw2 = append(tw2, tw2[2]) // a repeated id: the last row wins
	st.WriteTweets(t, "r3", "clean", "clean", tw2)
	args[1] = st.URI("r3", "clean", "clean")
	r = st.MustRun(t, stages.LoadPostgres, component.Typed(run), "r3", args...)
	if !strings.Contains(r.Stdout, "46 rows") || !strings.Contains(r.Stdout, "5 inserted, 2 updated, 39 unchanged") {
		t.Errorf("changed load: stdout %q", r.Stdout)
	}
	want = append(slices.Clone(want), more...)
	want[0].Label = "changed"
	want[1].URLs = tw2[1].URLs
	checkTable(t, conn, "tweets_0", want)
	sum := st.Summary(t, "r3", "load-postgres")
	if sum.RowsIn != 46 || sum.RowsOut != 7 || sum.Extra["inserted"] != float64(5) {
		t.Errorf("summary rows %d/%d extra %v", sum.RowsIn, sum.RowsOut, sum.Extra)
	}
}

func TestLoadPostgresUsage(t *testing.T) {
	st := stagetest.NewFS(t)
	st.WriteTweets(t, "r1", "clean", "clean", dataset.Generate(1, 3, dataset.GenerateOptions{}))
	data := st.URI("r1", "clean", "clean")
	t.Setenv("DATABASE_URL", "")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no database", []string{"--data", data}, component.ExitUsage, "set --postgres-dsn or TWEETFLOW_POSTGRES_DSN or DATABASE_URL"},
		{"bad table", []string{"--data", data, "--postgres-dsn", "postgres://u@127.0.0.1:1/db", "--table", "x; drop"}, component.ExitUsage, `"x; drop" is not a plain identifier`},
		{"unreachable", []string{"--data", data, "--postgres-dsn", "postgres://u:pw@127.0.0.1:1/db?connect_timeout=2"}, component.ExitRuntime, "connecting to PostgreSQL at 127.0.0.1:1/db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := st.Run(t, stages.LoadPostgres, component.Typed(run), "", tc.args...)
			if r.Code != tc.code || !strings.Contains(r.Stderr, tc.want) || strings.Contains(r.Stderr, "pw@") {
				t.Errorf("exit %d, want %d with %q: %s", r.Code, tc.code, tc.want, r.Stderr)
			}
		})
	}
}
