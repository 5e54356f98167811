package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/model/classifier"
	"github.com/tweetflow/tweetflow/internal/model/metrics"
	"github.com/tweetflow/tweetflow/internal/scoring"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var (
	labels = []string{"AI", "OTHER"}
	t0     = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
)

// scored makes a row of model version v scored at at with P(AI) = pAI.
func scored(id, v string, at time.Time, pAI float32, text string, urls ...string) scoring.Row {
	l, s := "AI", pAI
	if pAI < 0.5 {
		l, s = "OTHER", 1-pAI
	}
	return scoring.Row{ID: id, CreatedAt: at, User: "user" + id, Text: text, CleanText: strings.ToLower(text), URLs: urls, Label: l, Score: s,
		Labels: labels, Probabilities: []float32{pAI, 1 - pAI}, ModelVersion: v, ScoredAt: at}
}

// rows: model m2 (active) scored 4 tweets at 10:xx (3 AI) and 4 at
// 12:xx (2 AI); model m1 scored 1 at 09:00.
func rows() []scoring.Row {
	at := func(h, m int) time.Time { return t0.Add(time.Duration(h-10)*time.Hour + time.Duration(m)*time.Minute) }
	return []scoring.Row{
		scored("101", "m2", at(10, 1), 0.91, "New LLM paper https://example.com/paper #AI", "https://example.com/paper"),
		scored("102", "m2", at(10, 5), 0.72, "#ai agents https://example.com/paper", "https://example.com/paper"),
		scored("103", "m2", at(10, 30), 0.66, "GPT writes my emails #GPT"),
		scored("104", "m2", at(10, 59), 0.12, "lovely weather in Lisbon today"),
		scored("105", "m2", at(12, 0), 0.55, "training a transformer on tweets #AI https://example.org/t", "https://example.org/t"),
		scored("106", "m2", at(12, 10), 0.95, "a very long tweet without spaces "+strings.Repeat("x", 300)+" https://example.com/"+strings.Repeat("long/", 40), "https://example.com/"+strings.Repeat("long/", 40)),
		scored("107", "m2", at(12, 20), 0.31, `<b>bold</b> & javascript:alert(1) football tonight!`),
		scored("108", "m2", at(12, 40), 0.05, "rain again"),
		scored("101", "m1", at(9, 0), 0.40, "New LLM paper https://example.com/paper #AI", "https://example.com/paper"),
	}
}

// writeRows stores rows through the scorer's own PostgreSQL sink.
func writeRows(t *testing.T, conn *pgx.Conn, table string, rs []scoring.Row) {
	t.Helper()
	ctx := context.Background()
	sink, err := scoring.NewPostgresSink(ctx, conn, scoring.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Write(ctx, rs); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
}

// testProbs and testY are the test split of the reference model: P(AI)
// and the true class (0 AI, 1 OTHER).
var (
	testProbs = []float64{0.97, 0.93, 0.9, 0.88, 0.8, 0.75, 0.7, 0.62, 0.45, 0.35, 0.3, 0.22, 0.18, 0.1, 0.08, 0.04}
	testY     = []int{0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1}
)

// commitReference commits what evaluate-gate and export-onnx of run
// write: metrics.json, the evaluate-gate run summary, and the model's
// metadata.json. It returns the metrics and model URIs.
func commitReference(t *testing.T, st *stagetest.Store, runID, version string) (string, string) {
	t.Helper()
	proba := make([][]float64, len(testProbs))
	for i, p := range testProbs {
		proba[i] = []float64{p, 1 - p}
	}
	rep, err := metrics.Compute(testY, proba, labels, metrics.WithPositive(0))
	if err != nil {
		t.Fatal(err)
	}
	var mj bytes.Buffer
	if err := rep.WriteJSON(&mj); err != nil {
		t.Fatal(err)
	}
	st.WriteFiles(t, runID, "evaluate-gate", "metrics", map[string][]byte{"metrics.json": mj.Bytes(), "report.html": []byte("<html></html>")})
	sum := component.Summary{Component: "evaluate-gate", Step: "evaluate-gate", RunID: runID, Status: "succeeded",
		Params:  map[string]string{"min-roc-auc": "0.75", "min-pr-auc": "0.6", "min-macro-recall": "0"},
		Results: map[string]string{"passed": "true"}}
	sb, err := json.Marshal(sum)
	if err != nil {
		t.Fatal(err)
	}
	loc := st.Loc(runID, "evaluate-gate", "metrics")
	putObject(t, loc.Store, path.Join(path.Dir(loc.Key), artifact.SummaryFile), sb)
	md, err := json.Marshal(classifier.Metadata{Format: classifier.ModelFormat, ModelVersion: version, Labels: labels, PositiveLabel: "AI"})
	if err != nil {
		t.Fatal(err)
	}
	st.WriteFiles(t, runID, "export-onnx", "onnx", map[string][]byte{"metadata.json": md, "model.onnx": []byte("not read")})
	return loc.URI(), st.URI(runID, "export-onnx", "onnx")
}

func putObject(t *testing.T, s artifact.Store, key string, b []byte) {
	t.Helper()
	w, err := s.Create(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// startServer runs the dashboard in-process; stop cancels it and returns
// its exit code and log.
func startServer(t *testing.T, st *stagetest.Store, runID string, args ...string) (base string, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan int, 1)
	var logs bytes.Buffer
	go func() {
		done <- component.Run(ctx, stages.Dashboard, newRun(func(a net.Addr) { addrs <- a }),
			append(st.Args("dashboard", runID), append([]string{"--addr", "127.0.0.1:0"}, args...)...), io.Discard, &syncWriter{w: &logs})
	}()
	select {
	case a := <-addrs:
		base = "http://" + a.String()
	case code := <-done:
		cancel()
		t.Fatalf("dashboard exited with %d before listening:\n%s", code, logs.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("dashboard did not listen within 60 s")
	}
	stopped := false
	var code int
	stop = func() (int, string) {
		if !stopped {
			stopped = true
			cancel()
			code = <-done
		}
		return code, logs.String()
	}
	t.Cleanup(func() { stop() })
	return base, stop
}

// syncWriter serialises writes of the server's logger.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestUsageErrors(t *testing.T) {
	st := stagetest.NewFS(t)
	t.Setenv("DATABASE_URL", "")
	t.Setenv("TWEETFLOW_POSTGRES_DSN", "")
	dsn := "postgres://x@127.0.0.1:1/db"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--postgres-dsn"},
		{[]string{"--postgres-dsn", dsn, "--table", "x;drop"}, "--table"},
		{[]string{"--postgres-dsn", dsn, "--bucket", "1500ms"}, "--bucket"},
		{[]string{"--postgres-dsn", dsn, "--time-column", "text"}, "time-column"},
		{[]string{"--postgres-dsn", dsn, "--bins", "1"}, "below the minimum"},
		{[]string{"--postgres-dsn", dsn, "--addr", "256.0.0.1:99999"}, "--addr"},
		{[]string{"--postgres-dsn", dsn, "--metrics", st.URI("none", "evaluate-gate", "metrics")}, "metrics"},
	} {
		r := st.Run(t, stages.Dashboard, newRun(nil), "", tc.args...)
		if r.Code == 0 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want an error naming %q", tc.args, r.Code, r.Stderr, tc.want)
		}
	}
}

// TestServe runs the component against PostgreSQL with the reference
// found through --run-id (the inputs' defaults) and checks the page.
func TestServe(t *testing.T) {
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	writeRows(t, conn, "tweet_scores", rows())
	st := stagetest.NewFS(t)
	commitReference(t, st, "r1", "m2")
	t.Setenv("DATABASE_URL", db.DSN()) // the env fallback of --postgres-dsn
	base, stop := startServer(t, st, "r1", "--bucket", "1h", "--buckets", "3", "--refresh", "0")
	code, page := fetch(t, base+"/")
	if code != http.StatusOK {
		t.Fatalf("GET / = %d\n%s", code, page)
	}
	for _, want := range []string{
		`id="active-version">m2<`, `id="rows">8<`, `id="dead-letters">0<`, `id="focus-rate">62.5%<`,
		`id="reference-version" class="">m2<`, `id="gate-passed" class="ok">passed<`, `<tr data-metric="roc_auc">`,
		`<svg id="counts-chart"`, `<svg id="histogram-chart"`, `id="reference-line"`, `data-refresh="0"`,
		`<tr data-tweet="108">`, `#ai <span class="meta">3</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if code, body := fetch(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("readyz %d %s", code, body)
	}
	// A stopped server answers what is in flight and exits 0, as annotate's does.
	if code, logs := stop(); code != 0 || !strings.Contains(logs, "msg=stopped") || !strings.Contains(logs, "reference model loaded") || !strings.Contains(logs, "version=m2") {
		t.Errorf("exit %d, log:\n%s", code, logs)
	}
}
