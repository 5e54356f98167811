package scoring

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tweetflow/tweetflow/internal/serving"
	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
)

// sinkHarness adapts one Sink implementation to the conformance suite.
type sinkHarness struct {
	// open returns a fresh, empty sink.
	open func(t *testing.T) Sink
	// stored returns every row the sink has stored, once it is closed.
	stored func(t *testing.T) []Row
}

var labels3 = []string{"negative", "neutral", "positive"}

// edgeRows are rows with the values sinks get wrong: unicode, quotes,
// control characters, no or many URLs, unknown creation time, empty user.
func edgeRows() []Row {
	at := time.Date(2026, 5, 4, 3, 2, 1, 123e6, time.UTC)
	created := time.Date(2009, 4, 6, 22, 19, 45, 0, time.UTC)
	mk := func(id, text, clean string, urls []string, probs []float32, label string, created time.Time, user string) Row {
		best := 0
		for i, p := range probs {
			if p > probs[best] {
				best = i
			}
		}
		return Row{ID: id, CreatedAt: created, User: user, Text: text, CleanText: clean, URLs: urls,
			Label: labels3[best], Score: probs[best], Labels: labels3, Probabilities: probs, ModelVersion: "run-1", ScoredAt: at}
	}
	return []Row{
		mk("1", "plain text", "plain text", nil, []float32{0.1, 0.2, 0.7}, "positive", created, "alice"),
		mk("2", "émoji 🎉👍🏽 and 漢字", "émoji 🎉 👍🏽 and 漢字", nil, []float32{0.6, 0.3, 0.1}, "negative", time.Time{}, ""),
		mk("3", `quotes "double" 'single' back\slash {"json": 1}`, `quotes "double" 'single' back\slash {"json": 1}`,
			[]string{"https://a.example/x?y=1&z=2", "www.b.example", "t.co/c"}, []float32{0.2, 0.5, 0.3}, "neutral", created.Add(time.Hour), "bob"),
		mk("4", "tab\tnew\nline\r", "tab new line", []string{}, []float32{1.0 / 3, 1.0 / 3, 1.0 / 3}, "negative", created, "carol"),
		mk("12345678901234567890", "a long id", "a long id", nil, []float32{0.000001, 0.000002, 0.999997}, "positive", created, "dave"),
	}
}

// normalizeURLs makes empty URL lists nil: sinks may store either as none.
func normalizeURLs(rows []Row) []Row {
	for i := range rows {
		if len(rows[i].URLs) == 0 {
			rows[i].URLs = nil
		}
	}
	return rows
}

func runSinkSuite(t *testing.T, h sinkHarness) {
	t.Run("round trip", func(t *testing.T) {
		s := h.open(t)
		want := edgeRows()
		more := tweetsRows(t, 40)
		ctx := context.Background()
		for _, batch := range [][]Row{want[:2], want[2:], more[:25], more[25:]} {
			if err := s.Write(ctx, batch); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		got := cmpRows(normalizeURLs(h.stored(t)))
		all := cmpRows(normalizeURLs(append(edgeRows(), tweetsRows(t, 40)...)))
		if len(got) != len(all) {
			t.Fatalf("stored %d rows, want %d", len(got), len(all))
		}
		for i := range all {
			if !reflect.DeepEqual(got[i], all[i]) {
				t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], all[i])
			}
		}
	})
	t.Run("any label names", func(t *testing.T) {
		// Label names are data, not column names: quotes, backslashes,
		// spaces, unicode and SQL all survive.
		s := h.open(t)
		want := oddLabelRows(t, 30)
		if err := s.Write(context.Background(), want); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		got := cmpRows(normalizeURLs(h.stored(t)))
		if !reflect.DeepEqual(got, cmpRows(normalizeURLs(oddLabelRows(t, 30)))) {
			t.Errorf("rows with labels %q:\n got %+v\nwant %+v", oddLabels, got[:1], cmpRows(want)[:1])
		}
	})
	t.Run("caller reuses rows", func(t *testing.T) {
		s := h.open(t)
		rows := edgeRows()
		if err := s.Write(context.Background(), rows); err != nil {
			t.Fatal(err)
		}
		for i := range rows { // the pipeline reuses its row buffer
			rows[i].Text, rows[i].Label, rows[i].Probabilities[0] = "overwritten", "x", 42
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		got, want := cmpRows(normalizeURLs(h.stored(t))), cmpRows(normalizeURLs(edgeRows()))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("stored rows changed with the caller's buffer:\n got %+v\nwant %+v", got, want)
		}
	})
	t.Run("empty writes", func(t *testing.T) {
		s := h.open(t)
		for _, rows := range [][]Row{nil, {}} {
			if err := s.Write(context.Background(), rows); err != nil {
				t.Fatalf("Write(%v): %v", rows, err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if got := h.stored(t); len(got) != 0 {
			t.Fatalf("stored %d rows after empty writes", len(got))
		}
	})
	t.Run("close", func(t *testing.T) {
		s := h.open(t)
		if err := s.Write(context.Background(), edgeRows()[:1]); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := s.Write(context.Background(), edgeRows()[1:2]); err == nil {
			t.Error("Write after Close succeeded")
		}
		if got := h.stored(t); len(got) != 1 || got[0].ID != "1" {
			t.Errorf("stored %d rows, want the one written before Close", len(got))
		}
	})
}

// oddLabels are label names that need quoting in JSON and SQL.
var oddLabels = []string{"AI", `not "AI"`, `back\slash`, "joie de vivre ✨", "x'); DROP TABLE scores; --"}

// oddLabelRows scores n test tweets with a model whose labels are oddLabels.
func oddLabelRows(t testing.TB, n int) []Row {
	t.Helper()
	tm, err := servingtest.Random(servingtest.Options{Version: "odd", Labels: oddLabels, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	m, err := serving.LoadFiles(tm.Files, "odd")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewScorer(m, WithClock(fixedClock()))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.Score(tweets(n))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// tweetsRows scores n test tweets with the test model.
func tweetsRows(t testing.TB, n int) []Row {
	t.Helper()
	m, _ := testModel(t, "run-2")
	s, err := NewScorer(m, WithClock(fixedClock()))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.Score(tweets(n))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestParquetSinkConformance(t *testing.T) {
	var files *memFiles
	runSinkSuite(t, sinkHarness{
		open: func(t *testing.T) Sink {
			files = newMemFiles()
			return NewParquetSink(files.create, WithShardRows(16), WithBatchRows(7))
		},
		stored: func(t *testing.T) []Row { return files.readAll(t) },
	})
}

func TestPostgresSinkConformance(t *testing.T) {
	var db *pgtest.Server
	var conn *pgx.Conn
	runSinkSuite(t, sinkHarness{
		open: func(t *testing.T) Sink {
			db = pgtest.Shared(t)
			conn = db.Connect(t)
			s, err := OpenPostgres(context.Background(), db.DSN())
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		stored: func(t *testing.T) []Row { return readTable(t, conn, DefaultTable) },
	})
}

// readTable reads every row of a scores table.
func readTable(t testing.TB, conn *pgx.Conn, table string) []Row {
	t.Helper()
	ctx := context.Background()
	q := fmt.Sprintf(`SELECT tweet_id, model_version, created_at, user_name, text, clean_text, urls, label, score,
		probabilities, scored_at FROM %s ORDER BY tweet_id, model_version`, table)
	rs, err := conn.Query(ctx, q)
	if err != nil {
		t.Fatalf("reading table %s: %v", table, err)
	}
	defer rs.Close()
	var out []Row
	for rs.Next() {
		var r Row
		var created *time.Time
		var probs []byte
		if err := rs.Scan(&r.ID, &r.ModelVersion, &created, &r.User, &r.Text, &r.CleanText, &r.URLs, &r.Label, &r.Score, &probs, &r.ScoredAt); err != nil {
			t.Fatal(err)
		}
		if created != nil {
			r.CreatedAt = created.UTC()
		}
		r.ScoredAt = r.ScoredAt.UTC()
		var m map[string]float32
		if err := json.Unmarshal(probs, &m); err != nil {
			t.Fatalf("probabilities %s: %v", probs, err)
		}
		for l, p := range m {
			r.Labels = append(r.Labels, l)
			r.Probabilities = append(r.Probabilities, p)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t testing.TB, conn *pgx.Conn, query string, args ...any) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", strings.TrimSpace(query), err)
	}
	return n
}
