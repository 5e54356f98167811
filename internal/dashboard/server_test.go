package dashboard

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tweetflow/tweetflow/internal/model/metrics"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
)

// testSplit are the P(AI) of a small test split and its true labels.
var (
	testProbs  = []float64{0.95, 0.9, 0.85, 0.7, 0.65, 0.6, 0.45, 0.4, 0.3, 0.2, 0.15, 0.1, 0.05, 0.05}
	testLabels = []int{0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1} // 0 AI, 1 OTHER
)

// metricsJSON is the metrics.json evaluate-gate writes for the test split.
func metricsJSON(t *testing.T) []byte {
	t.Helper()
	proba := make([][]float64, len(testProbs))
	for i, p := range testProbs {
		proba[i] = []float64{p, 1 - p}
	}
	rep, err := metrics.Compute(testLabels, proba, labels, metrics.WithPositive(0))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const (
	summaryJSON  = `{"component":"evaluate-gate","run_id":"r1","status":"succeeded","params":{"min-roc-auc":"0.75","min-pr-auc":"0.95","min-macro-recall":"0","format":"auto"},"results":{"passed":"false","roc-auc":"0.9"}}`
	metadataJSON = `{"format":"tweetflow-classifier-v1","model_version":"m2","labels":["AI","OTHER"],"positive_label":"AI"}`
)

func TestLoadModel(t *testing.T) {
	m, err := LoadModel(bytes.NewReader(metricsJSON(t)), strings.NewReader(summaryJSON), strings.NewReader(metadataJSON))
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != "m2" || m.RunID != "r1" || m.Positive != "AI" || m.Passed == nil || *m.Passed {
		t.Errorf("model %+v", m)
	}
	// macro recall's 0 disables it; pr_auc 0.95 fails.
	if len(m.Gate) != 2 || m.Gate[0].Metric != "pr_auc" || m.Gate[0].Threshold != 0.95 || m.Gate[0].Pass ||
		m.Gate[1].Metric != "roc_auc" || m.Gate[1].Threshold != 0.75 || !m.Gate[1].Pass {
		t.Errorf("gate %+v", m.Gate)
	}
	if v := m.Metrics["roc_auc"]; v < 0.75 || v > 1 {
		t.Errorf("roc_auc %v", v)
	}
	ref, ok := m.Reference("AI")
	if !ok || ref.N != len(testProbs) || KS(testProbs, nil, ref.Values, ref.Weights) != 0 {
		t.Errorf("reference of AI: %+v", ref)
	}
	// Metrics only; nothing at all.
	if m, err := LoadModel(bytes.NewReader(metricsJSON(t)), nil, nil); err != nil || m.Version != "" || m.Positive != "AI" || len(m.Gate) != 0 {
		t.Errorf("metrics only: %+v, %v", m, err)
	}
	if m, err := LoadModel(nil, nil, nil); err != nil || len(m.refs) != 0 {
		t.Errorf("nothing: %+v, %v", m, err)
	}
	// Metrics of another label set.
	if _, err := LoadModel(bytes.NewReader(metricsJSON(t)), nil, strings.NewReader(`{"model_version":"x","labels":["a","b","c"]}`)); err == nil || !strings.Contains(err.Error(), "labels") {
		t.Errorf("label mismatch: %v", err)
	}
	if _, err := LoadModel(strings.NewReader("{"), nil, nil); err == nil {
		t.Error("broken metrics.json: no error")
	}
}

func get(t *testing.T, h http.Handler, target string) (int, http.Header, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, rec.Header(), string(b)
}

func textOf(t *testing.T, page, id string) string {
	t.Helper()
	m := regexp.MustCompile(`id="` + id + `"[^>]*>([^<]*)<`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no element #%s in the page", id)
	}
	return m[1]
}

func TestServer(t *testing.T) {
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	rows := scoresRows()
	rows[6].Text = `<script>alert(1)</script> football #sport https://c.example/z`
	fixture(t, conn, "tweet_scores", rows)
	pool, err := pgxpool.New(context.Background(), db.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	model, err := LoadModel(bytes.NewReader(metricsJSON(t)), strings.NewReader(summaryJSON), strings.NewReader(metadataJSON))
	if err != nil {
		t.Fatal(err)
	}
	o := defaultOptions("tweet_scores")
	o.Focus, o.Labels = "", nil // from the model
	srv, err := NewServer(pool, Config{Query: o, Model: model, Bins: 10, PSIThreshold: 0.2, KSThreshold: 0.1, Refresh: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}

	code, hdr, page := get(t, srv, "/")
	if code != http.StatusOK {
		t.Fatalf("GET / = %d:\n%s", code, page)
	}
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	for id, want := range map[string]string{"active-version": "m2", "rows": "9", "dead-letters": "0", "focus-rate": "62.5%", "reference-version": "m2",
		"psi-threshold": "0.200", "ks-threshold": "0.100", "gate-passed": "failed", "sample-rows": "8", "reference-rows": "14"} {
		if got := textOf(t, page, id); got != want {
			t.Errorf("#%s = %q, want %q", id, got, want)
		}
	}
	// PSI and KS against the test split, computed here from the raw test
	// probabilities (not from the ROC curve the server reads).
	live := []float64{0.05, 0.31, 0.95, 0.55, 0.12, 0.66, 0.72, 0.91}
	edges := Edges(10)
	psi, _ := PSI(Fractions(Histogram(testProbs, nil, edges)), Fractions(Histogram(live, nil, edges)))
	ks := KS(live, nil, testProbs, nil)
	if got := textOf(t, page, "psi"); got != strconv.FormatFloat(psi, 'f', 4, 64) {
		t.Errorf("PSI %s, want %.4f", got, psi)
	}
	if got := textOf(t, page, "ks"); got != strconv.FormatFloat(ks, 'f', 4, 64) {
		t.Errorf("KS %s, want %.4f", got, ks)
	}
	wantDrift := "stable"
	if psi > 0.2 || ks > 0.1 {
		wantDrift = "drift"
	}
	if got := textOf(t, page, "drift"); got != wantDrift {
		t.Errorf("drift %q, want %q (PSI %.4f, KS %.4f)", got, wantDrift, psi, ks)
	}
	for _, want := range []string{
		`<svg id="counts-chart"`, `<svg id="histogram-chart"`, `id="rate-line"`, `id="reference-line"`,
		`<a href="https://a.example/x" target="_blank" rel="noopener noreferrer">https://a.example/x</a>`,
		`&lt;script&gt;alert(1)&lt;/script&gt;`, `#ai <span class="meta">3</span>`,
		`<tr data-metric="pr_auc"><td>pr_auc</td>`, `data-refresh="5"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, "<script>alert") {
		t.Error("tweet markup is not escaped")
	}
	if n := strings.Count(page, `<rect class="bar" `); n != 4 { // 2 non-empty buckets x 2 labels
		t.Errorf("%d count bars, want 4", n)
	}
	if n := strings.Count(page, `<rect class="bar live"`); n != 10 {
		t.Errorf("%d histogram bars, want 10", n)
	}

	// Another label.
	_, _, page = get(t, srv, "/?label=OTHER")
	if got := textOf(t, page, "focus-rate"); got != "37.5%" {
		t.Errorf("rate of OTHER %s, want 37.5%%", got)
	}
	if !strings.Contains(page, `#sport <span class="meta">1</span>`) {
		t.Error("OTHER's hashtags missing")
	}
	// An unknown label is shown as such.
	_, _, page = get(t, srv, "/?label=NOPE")
	if !strings.Contains(page, "Label &#34;NOPE&#34; is neither") {
		t.Error("no notice for an unknown label")
	}
	if code, _, _ := get(t, srv, "/?label="+strings.Repeat("x", 300)); code != http.StatusBadRequest {
		t.Errorf("long label: %d", code)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, _, body := get(t, srv, p); code != http.StatusOK || body != "ok\n" {
			t.Errorf("GET %s = %d %q", p, code, body)
		}
	}
	if code, _, _ := get(t, srv, "/nope"); code != http.StatusNotFound {
		t.Errorf("GET /nope = %d", code)
	}

	// A missing table: the page says so; a closed pool: 503 with the error.
	srv2, err := NewServer(pool, Config{Query: defaultOptions("not_yet"), Bins: 10})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, page := get(t, srv2, "/"); code != http.StatusOK || !strings.Contains(page, "Table not_yet does not exist yet") || !strings.Contains(page, "no test-split reference") {
		t.Errorf("missing table: %d\n%s", code, page)
	}
	pool.Close()
	if code, _, page := get(t, srv2, "/"); code != http.StatusServiceUnavailable || !strings.Contains(page, `id="error"`) {
		t.Errorf("closed pool: %d", code)
	}
	if code, _, _ := get(t, srv2, "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("readyz with a closed pool: %d", code)
	}
}
