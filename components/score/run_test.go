package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/scoring"
	"github.com/tweetflow/tweetflow/internal/serving"
	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/miniotest"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
	"github.com/tweetflow/tweetflow/internal/testutil/syncbuf"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// commitModel commits a servingtest model as the export-onnx output of run.
func commitModel(t *testing.T, st *stagetest.Store, runID string) (string, *serving.Model) {
	t.Helper()
	tm, err := servingtest.Random(servingtest.Options{Version: runID, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	st.WriteFiles(t, runID, "export-onnx", "onnx", tm.Files)
	m, err := serving.LoadFiles(tm.Files, runID)
	if err != nil {
		t.Fatal(err)
	}
	return st.Loc(runID, "export-onnx", "onnx").URI(), m
}

func jsonLine(id int, text string) string {
	b, _ := json.Marshal(map[string]any{"id": fmt.Sprint(id), "text": text, "created_at": "2026-03-01T12:00:00Z", "author_id": fmt.Sprint("u", id%3)})
	return string(b) + "\n"
}

func jsonl(from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		b.WriteString(jsonLine(i, servingtest.Texts[i%len(servingtest.Texts)]))
	}
	return b.String()
}

// scores reads the committed scores output of run.
func scores(t *testing.T, st *stagetest.Store, runID string) []scoring.Row {
	t.Helper()
	l := st.Loc(runID, "score", "scores")
	var out []scoring.Row
	if err := scoring.ReadOutput(context.Background(), l.Store, l.Key, func(r *scoring.Row) error {
		out = append(out, *r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func runWith(stdin io.Reader) component.RunFunc { return newRun(stdin) }

func TestScoreFiles(t *testing.T) {
	st := stagetest.NewFS(t)
	modelURI, model := commitModel(t, st, "m1")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.jsonl"), []byte(jsonl(1, 30)), 0o644); err != nil {
		t.Fatal(err)
	}
	csv := `"0","9001","Mon Apr 06 22:19:45 PDT 2009","NO_QUERY","alice","worst service ever :("` + "\n" +
		`"4","9002","Mon Apr 06 22:20:00 PDT 2009","NO_QUERY","bob","best concert of my life!!! http://t.co/x"` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "b.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	r := st.MustRun(t, stages.Score, runWith(nil), "r1", "--model", modelURI, "--tweets", filepath.Join(dir, "*.jsonl"),
		"--tweets", filepath.Join(dir, "b.csv"), "--batch-size", "7", "--shard-rows", "10")
	rows := scores(t, st, "r1")
	if len(rows) != 32 {
		t.Fatalf("%d scored rows, want 32", len(rows))
	}
	// The rows are the model's predictions on the raw texts.
	texts := make([]string, len(rows))
	for i := range rows {
		texts[i] = rows[i].Text
	}
	want, err := model.Predict(texts)
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]int64{}
	for i, row := range rows {
		if !slices.Equal(row.Probabilities, want[i]) || row.ModelVersion != "m1" || !slices.Equal(row.Labels, model.Labels()) {
			t.Errorf("row %d (%s): probabilities %v version %q, want %v m1", i, row.ID, row.Probabilities, row.ModelVersion, want[i])
		}
		labels[row.Label]++
	}
	last := rows[31]
	if last.ID != "9002" || last.User != "bob" || !slices.Equal(last.URLs, []string{"http://t.co/x"}) ||
		!last.CreatedAt.Equal(time.Date(2009, 4, 7, 5, 20, 0, 0, time.UTC)) {
		t.Errorf("CSV row read as %+v", last)
	}
	if m := st.MustManifest(t, "r1", "score", "scores"); len(dataset.ShardFiles(m)) != 4 {
		t.Errorf("%d shards for 32 rows of 10, want 4", len(dataset.ShardFiles(m)))
	}
	sum := st.Summary(t, "r1", "score")
	if sum.RowsIn != 32 || sum.RowsOut != 32 || sum.Status != "succeeded" {
		t.Errorf("summary rows %d/%d status %s", sum.RowsIn, sum.RowsOut, sum.Status)
	}
	gotLabels := map[string]int64{}
	for k, v := range sum.Extra["labels"].(map[string]any) {
		gotLabels[k] = int64(v.(float64))
	}
	if fmt.Sprint(gotLabels) != fmt.Sprint(labels) || sum.Extra["model_version"] != "m1" {
		t.Errorf("summary labels %v version %v, want %v m1", gotLabels, sum.Extra["model_version"], labels)
	}
	if !strings.Contains(r.Stdout, "32 scored") {
		t.Errorf("stdout %q", r.Stdout)
	}
}

func TestScoreDatasetInput(t *testing.T) {
	st := stagetest.NewFS(t)
	modelURI, _ := commitModel(t, st, "m1")
	var tw []dataset.Tweet
	for i := range 40 {
		tw = append(tw, dataset.Tweet{ID: fmt.Sprint(i + 1), Text: servingtest.Texts[i%len(servingtest.Texts)], Label: "weird-label", CleanText: "stale"})
	}
	// cleaner.json beside the shards is not an input.
	st.WriteTweets(t, "d1", "clean", "tweets", tw, stagetest.ExtraFile{Name: "cleaner.json", Data: []byte(`{"version": 1}`)})
	st.MustRun(t, stages.Score, runWith(nil), "r1", "--model", modelURI, "--tweets", st.URI("d1", "clean", "tweets"), "--max-bad-rows", "0")
	rows := scores(t, st, "r1")
	if len(rows) != 40 {
		t.Fatalf("%d rows, want 40", len(rows))
	}
	for _, r := range rows {
		if r.CleanText == "stale" || r.Label == "weird-label" {
			t.Fatalf("row %s kept the input's clean text or label: %+v", r.ID, r)
		}
	}
}

func countRows(t *testing.T, conn *pgx.Conn, table string) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		return -1 // not created yet
	}
	return n
}

// TestScoreStdinStreamToPostgres streams JSONL through standard input
// slowly: rows reach PostgreSQL before the input ends, and the Parquet
// output holds the same rows at the end.
func TestScoreStdinStreamToPostgres(t *testing.T) {
	st := stagetest.NewFS(t)
	modelURI, _ := commitModel(t, st, "m1")
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	pr, pw := io.Pipe()
	var stdout, stderr syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		args := append(st.Args("score", "r1"), "--model", modelURI, "--tweets", "-", "--postgres-dsn", db.DSN())
		done <- component.Run(context.Background(), stages.Score, runWith(pr), args, &stdout, &stderr)
	}()
	io.WriteString(pw, jsonl(1, 3))
	deadline := time.Now().Add(15 * time.Second)
	for countRows(t, conn, "tweet_scores") < 3 {
		select {
		case code := <-done:
			t.Fatalf("score exited %d before its input ended: %s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("rows of an open stream did not reach PostgreSQL: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	io.WriteString(pw, jsonl(4, 5))
	pw.Close()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if n := countRows(t, conn, "tweet_scores"); n != 8 {
		t.Fatalf("%d rows in PostgreSQL, want 8", n)
	}
	rows := scores(t, st, "r1")
	if len(rows) != 8 {
		t.Fatalf("%d rows in the Parquet output, want 8", len(rows))
	}
	for _, r := range rows {
		var label string
		var score float32
		if err := conn.QueryRow(context.Background(), "SELECT label, score FROM tweet_scores WHERE tweet_id = $1 AND model_version = 'm1'", r.ID).Scan(&label, &score); err != nil {
			t.Fatalf("tweet %s: %v", r.ID, err)
		}
		if label != r.Label || score != r.Score {
			t.Errorf("tweet %s: PostgreSQL has %s %v, Parquet %s %v", r.ID, label, score, r.Label, r.Score)
		}
	}
	sum := st.Summary(t, "r1", "score")
	if sum.Extra["postgres_table"] != "tweet_scores" || sum.RowsOut != 8 {
		t.Errorf("summary %+v", sum.Extra)
	}
}

func TestScoreDatabaseURLAndRerun(t *testing.T) {
	st := stagetest.NewFS(t)
	modelURI, _ := commitModel(t, st, "m1")
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	t.Setenv("DATABASE_URL", db.DSN())
	for i, run := range []string{"r1", "r2"} { // scoring the same tweets twice stores them once
		st.MustRun(t, stages.Score, runWith(strings.NewReader(jsonl(1, 20))), run, "--model", modelURI, "--tweets", "-", "--table", "public.scores_x")
		if n := countRows(t, conn, "public.scores_x"); n != 20 {
			t.Fatalf("run %d: %d rows, want 20", i+1, n)
		}
	}
}

func TestScoreBadRows(t *testing.T) {
	st := stagetest.NewFS(t)
	modelURI, _ := commitModel(t, st, "m1")
	in := jsonl(1, 5) + "{broken\n" + jsonl(6, 5) + `{"id": "7"}` + "\n" + "[1,2]\n" + jsonl(11, 2)
	r := st.Run(t, stages.Score, runWith(strings.NewReader(in)), "r1", "--model", modelURI, "--tweets", "-", "--max-bad-rows", "2")
	if r.Code != component.ExitRuntime || !strings.Contains(r.Stderr, "max-bad-rows") {
		t.Fatalf("3 bad rows with --max-bad-rows 2: exit %d, stderr %s", r.Code, r.Stderr)
	}
	if _, ok := st.Manifest(t, "r1", "score", "scores"); ok {
		t.Error("a failed run committed its output")
	}
	st.MustRun(t, stages.Score, runWith(strings.NewReader(in)), "r2", "--model", modelURI, "--tweets", "-", "--max-bad-rows", "3")
	if rows := scores(t, st, "r2"); len(rows) != 12 {
		t.Fatalf("%d rows, want the 12 good ones", len(rows))
	}
	sum := st.Summary(t, "r2", "score")
	if sum.RowsIn != 15 || sum.RowsOut != 12 || sum.Extra["bad_rows"] != float64(3) {
		t.Errorf("summary rows %d/%d bad %v, want 15/12/3", sum.RowsIn, sum.RowsOut, sum.Extra["bad_rows"])
	}
}

func TestScoreUsageErrors(t *testing.T) {
	st := stagetest.NewFS(t)
	modelURI, _ := commitModel(t, st, "m1")
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"bad table", []string{"--model", modelURI, "--tweets", "-", "--table", "x; drop"}, component.ExitUsage},
		{"stdin twice", []string{"--model", modelURI, "--tweets", "-,-"}, component.ExitUsage},
		{"no tweets", []string{"--model", modelURI}, component.ExitUsage},
		{"no model", []string{"--tweets", "-"}, component.ExitUsage},
		{"bad predict url", []string{"--predict-url", "127.0.0.1:8080", "--tweets", "-"}, component.ExitUsage},
		{"unreachable model server", []string{"--predict-url", "http://127.0.0.1:1", "--predict-retry-budget", "0", "--tweets", "-"}, component.ExitRuntime},
		{"missing file", []string{"--model", modelURI, "--tweets", "/nonexistent/x.jsonl"}, component.ExitUsage},
		{"not a model", []string{"--model", t.TempDir(), "--tweets", "-"}, component.ExitRuntime},
		{"unreachable database", []string{"--model", modelURI, "--tweets", "-", "--postgres-dsn", "postgres://u:pw@127.0.0.1:1/db?connect_timeout=2"}, component.ExitRuntime},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := st.Run(t, stages.Score, runWith(strings.NewReader(jsonl(1, 2))), "", tc.args...)
			if r.Code != tc.code {
				t.Fatalf("exit %d, want %d: %s", r.Code, tc.code, r.Stderr)
			}
		})
	}
}

func TestScoreS3(t *testing.T) {
	srv := miniotest.Start(t)
	st := stagetest.NewS3(t, srv, "root")
	modelURI, _ := commitModel(t, st, "m1")
	ctx := context.Background()
	w, err := st.Store.Create(ctx, "root/incoming/day1.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, jsonl(1, 25))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st.MustRun(t, stages.Score, runWith(nil), "r1", "--model", modelURI, "--tweets", "s3://"+srv.Bucket+"/root/incoming")
	if rows := scores(t, st, "r1"); len(rows) != 25 {
		t.Fatalf("%d rows, want 25", len(rows))
	}
}

// TestScoreEmptyInput: no tweet at all fails (issue 11 defect 8), with a
// warning naming the empty source, and nothing is committed.
func TestScoreEmptyInput(t *testing.T) {
	st := stagetest.NewFS(t)
	modelURI, _ := commitModel(t, st, "m1")
	r := st.Run(t, stages.Score, runWith(strings.NewReader("")), "r1", "--model", modelURI, "--tweets", "-")
	if r.Code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.Code, r.Stderr)
	}
	for _, want := range []string{"empty source", "every source is empty", `"stdin"`} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
		}
	}
	if _, ok := st.Manifest(t, "r1", "score", "scores"); ok {
		t.Errorf("an empty input committed its scores")
	}
}

// TestFlushIntervalParam checks that --flush-interval decodes into
// ScoreParams, with its default when it is not given.
func TestFlushIntervalParam(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want time.Duration
	}{
		{nil, time.Second},
		{[]string{"--flush-interval", "250ms"}, 250 * time.Millisecond},
		{[]string{"--flush-interval", "0s"}, 0},
	} {
		var got time.Duration
		capture := component.Typed(func(_ context.Context, _ *component.Env, sp stages.ScoreParams) error {
			got = sp.FlushInterval
			return nil
		})
		args := append([]string{"score", "--store", t.TempDir(), "--progress", "none", "--termination-log", "", "--model", "x", "--tweets", "-"}, tc.args...)
		var errb bytes.Buffer
		if code := component.Run(context.Background(), stages.Score, capture, args, io.Discard, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		if got != tc.want {
			t.Errorf("flush interval %v, want %v (args %q)", got, tc.want, tc.args)
		}
	}
}
