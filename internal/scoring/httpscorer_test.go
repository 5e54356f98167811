package scoring

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/serving"
	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
)

// loadModel writes a servingtest model folder into dir and loads it.
func loadModel(t *testing.T, dir string, o servingtest.Options) *serving.Model {
	t.Helper()
	tm, err := servingtest.Random(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := tm.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	m, err := serving.LoadFiles(tm.Files, o.Version)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestHTTPScorerMatchesInProcess: through the model server (the real
// serving.Server over HTTP), rows are those the same model gives in
// process, in order, split over several concurrent requests; labels that
// need JSON escapes survive the answer's parsing.
func TestHTTPScorerMatchesInProcess(t *testing.T) {
	labels := []string{"AI", `not "AI"`, `émotion\joie`}
	m := loadModel(t, t.TempDir(), servingtest.Options{Version: "v1", Seed: 5, Labels: labels})
	ts := httptest.NewServer(serving.New(serving.StaticRegistry(m)))
	defer ts.Close()
	hs, err := NewHTTPScorer(context.Background(), HTTPOptions{URL: ts.URL + "/", RequestTexts: 7, Concurrency: 3, Clock: fixedClock()})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := NewScorer(m, WithClock(fixedClock()))
	if err != nil {
		t.Fatal(err)
	}
	in := tweets(50)
	got, err := hs.ScoreInto(context.Background(), nil, in)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ms.Score(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range got {
		if g, w := toCmp(&got[i]), toCmp(&want[i]); g != w {
			t.Fatalf("row %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	if !slices.Equal(hs.Labels(), labels) || hs.Version() != "v1" || hs.URL() != ts.URL {
		t.Errorf("labels %q version %q url %q", hs.Labels(), hs.Version(), hs.URL())
	}
}

// TestHTTPScorerVersionChange: when the server's default version changes
// (a reload), rows carry the new version; a version with the same labels
// in another order is mapped to the scorer's order, one with other labels
// fails naming both sets.
func TestHTTPScorerVersionChange(t *testing.T) {
	root := t.TempDir()
	day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	loadModel(t, filepath.Join(root, "v1"), servingtest.Options{Version: "v1", Seed: 1, CreatedAt: day(1)})
	reg := serving.NewRegistry(serving.Source{Root: root})
	ctx := context.Background()
	if _, err := reg.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(serving.New(reg))
	defer ts.Close()
	hs, err := NewHTTPScorer(ctx, HTTPOptions{URL: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	in := tweets(10)

	reordered := []string{"positive", "negative", "neutral"}
	v2 := loadModel(t, filepath.Join(root, "v2"), servingtest.Options{Version: "v2", Seed: 2, Labels: reordered, CreatedAt: day(2)})
	if _, err := reg.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := hs.ScoreInto(ctx, nil, in)
	if err != nil {
		t.Fatal(err)
	}
	texts := make([]string, len(in))
	for i := range in {
		texts[i] = in[i].Text
	}
	want, err := v2.Predict(texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if r.ModelVersion != "v2" || !slices.Equal(r.Labels, servingtest.Labels) {
			t.Fatalf("row %d: version %q labels %q, want v2 in the scorer's order %q", i, r.ModelVersion, r.Labels, servingtest.Labels)
		}
		for j, l := range reordered {
			if p, _ := r.Probability(l); p != want[i][j] {
				t.Fatalf("row %d: p(%s) = %v, want %v", i, l, p, want[i][j])
			}
		}
	}
	if hs.Version() != "v2" {
		t.Errorf("Version() = %q after v2 answered", hs.Version())
	}

	loadModel(t, filepath.Join(root, "v3"), servingtest.Options{Version: "v3", Seed: 3, Labels: []string{"AI", "OTHER"}, CreatedAt: day(3)})
	if _, err := reg.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err = hs.ScoreInto(ctx, rows[:0], in)
	if err == nil || !strings.Contains(err.Error(), `model version "v3" has labels ["AI" "OTHER"], but model version "v1", which this run started with, holds labels ["negative" "neutral" "positive"]`) {
		t.Errorf("labels changed by a reload: %v", err)
	}
	if len(rows) != 0 {
		t.Errorf("%d rows returned with the error", len(rows))
	}

	// At start, against the labels a table holds.
	_, err = NewHTTPScorer(ctx, HTTPOptions{URL: ts.URL, Labels: []string{"negative", "positive"}, LabelsFrom: `table "t"`})
	if err == nil || !strings.Contains(err.Error(), `model version "v3" has labels ["AI" "OTHER"], but table "t" holds labels ["negative" "positive"]`) {
		t.Errorf("labels differing from the table's at start: %v", err)
	}
}

// flaky wraps the real server: the first fail requests to /predict get
// status code, and the requests in flight are counted.
type flaky struct {
	h                 http.Handler
	fail              atomic.Int32
	code              int
	inFlight, maxSeen atomic.Int32
	delay             time.Duration
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/predict" {
		n := f.inFlight.Add(1)
		defer f.inFlight.Add(-1)
		for {
			m := f.maxSeen.Load()
			if n <= m || f.maxSeen.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(f.delay)
		if f.fail.Add(-1) >= 0 {
			http.Error(w, `{"error":"overloaded"}`, f.code)
			return
		}
	}
	f.h.ServeHTTP(w, r)
}

// TestHTTPScorerRetriesAndBounds: 5xx answers are retried with growing
// waits, requests in flight never exceed the bound (and do reach it),
// a refused text fails at once naming its tweet, and an exhausted budget
// names the server, the attempts and the last error.
func TestHTTPScorerRetriesAndBounds(t *testing.T) {
	m := loadModel(t, t.TempDir(), servingtest.Options{Version: "v1", Seed: 5})
	f := &flaky{h: serving.New(serving.StaticRegistry(m), serving.WithMaxTextRunes(300)), code: http.StatusServiceUnavailable, delay: 5 * time.Millisecond}
	f.fail.Store(3)
	ts := httptest.NewServer(f)
	defer ts.Close()
	var mu sync.Mutex
	var retries []RetryInfo
	o := HTTPOptions{URL: ts.URL, RequestTexts: 10, Concurrency: 3, RetryBase: 10 * time.Millisecond, RetryMax: 40 * time.Millisecond,
		OnRetry: func(r RetryInfo) { mu.Lock(); retries = append(retries, r); mu.Unlock() }}
	hs, err := NewHTTPScorer(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	in := tweets(300)
	rows, err := hs.ScoreInto(context.Background(), nil, in)
	if err != nil || len(rows) != len(in) {
		t.Fatalf("%d rows: %v", len(rows), err)
	}
	if len(retries) != 3 {
		t.Errorf("%d retries, want 3 (one per 503)", len(retries))
	}
	for _, r := range retries {
		if r.What != "POST /predict" || !strings.Contains(r.Err.Error(), "HTTP 503") || r.Wait < 5*time.Millisecond || r.Wait > 40*time.Millisecond {
			t.Errorf("retry %+v", r)
		}
	}
	if got := f.maxSeen.Load(); got != 3 {
		t.Errorf("at most %d requests in flight, want the bound 3 reached and kept", got)
	}

	long := tweets(20)
	long[13].Text = strings.Repeat("long ", 100)
	long[13].Source = "in.jsonl:14"
	retries = nil
	_, err = hs.ScoreInto(context.Background(), nil, long)
	if err == nil || !strings.Contains(err.Error(), `tweet "1013" (in.jsonl:14)`) || !strings.Contains(err.Error(), "HTTP 400") || len(retries) != 0 {
		t.Errorf("a text the server refuses: %v (%d retries)", err, len(retries))
	}

	f.fail.Store(1 << 30)
	o.RetryBudget = 100 * time.Millisecond
	hs, err = NewHTTPScorer(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = hs.ScoreInto(context.Background(), nil, in[:5])
	if err == nil || !strings.Contains(err.Error(), "model server "+ts.URL+": POST /predict still failing after") ||
		!strings.Contains(err.Error(), "retry budget 100ms") || !strings.Contains(err.Error(), "overloaded") {
		t.Errorf("budget spent: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("gave up after %v with a budget of 100ms", took)
	}
}

func TestOrderedProbs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		keys []string
		vals []float32
		err  bool
	}{
		{`{"a":0.25,"b":0.75}`, []string{"a", "b"}, []float32{0.25, 0.75}, false},
		{` { "b" : 1e-3 , "a" : 0.999 } `, []string{"b", "a"}, []float32{0.001, 0.999}, false},
		{`{"x\"y":0.5,"\u00e9":0.5}`, []string{`x"y`, "é"}, []float32{0.5, 0.5}, false},
		{`{}`, nil, nil, false},
		{`[1]`, nil, nil, true},
		{`{"a":"x"}`, nil, nil, true},
	} {
		var o orderedProbs
		err := o.UnmarshalJSON([]byte(tc.in))
		if (err != nil) != tc.err || (!tc.err && (!slices.Equal(o.keys, tc.keys) || !slices.Equal(o.vals, tc.vals))) {
			t.Errorf("%s: keys %q vals %v err %v", tc.in, o.keys, o.vals, err)
		}
	}
}

// TestHTTPScorerRefused: against the real serving handler with small
// limits (100 characters a text, 4 texts and 400 bytes a request), a
// batch of 30 tweets with texts over the character limit (400 answers
// naming the text) and one whose request alone is over the body limit
// (413): with OnRefused, the too-large requests are split, exactly the
// refused tweets are reported (in batch order, with the server's answer)
// and every other tweet is scored as in process; without it, the batch
// fails naming the first refused tweet.
func TestHTTPScorerRefused(t *testing.T) {
	m := loadModel(t, t.TempDir(), servingtest.Options{Version: "v1", Seed: 5})
	ts := httptest.NewServer(serving.New(serving.StaticRegistry(m),
		serving.WithMaxTextRunes(100), serving.WithMaxBatch(4), serving.WithMaxBodyBytes(400)))
	defer ts.Close()
	in := tweets(30)
	wantRefused := map[int]int{4: http.StatusBadRequest, 5: http.StatusBadRequest, 17: http.StatusRequestEntityTooLarge, 29: http.StatusBadRequest}
	for i, code := range wantRefused {
		n := 150 // over 100 characters, a request of its own fits 400 bytes
		if code == http.StatusRequestEntityTooLarge {
			n = 500
		}
		in[i].Text = strings.Repeat("y", n)
	}
	var accepted []dataset.Tweet
	for i := range in {
		if _, ok := wantRefused[i]; !ok {
			accepted = append(accepted, in[i])
		}
	}
	ms, err := NewScorer(m, WithClock(fixedClock()))
	if err != nil {
		t.Fatal(err)
	}
	want, err := ms.Score(accepted)
	if err != nil {
		t.Fatal(err)
	}

	var refused []RefusedText
	hs, err := NewHTTPScorer(context.Background(), HTTPOptions{URL: ts.URL, Clock: fixedClock(), Concurrency: 2,
		OnRefused: func(r RefusedText) { refused = append(refused, r) }})
	if err != nil {
		t.Fatal(err)
	}
	got, err := hs.ScoreInto(context.Background(), nil, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d (the tweets not refused)", len(got), len(want))
	}
	for i := range got {
		if g, w := toCmp(&got[i]), toCmp(&want[i]); g != w {
			t.Fatalf("row %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	var gotIDs, wantIDs []string
	for _, r := range refused {
		gotIDs = append(gotIDs, r.Tweet.ID)
		i := slices.IndexFunc(in, func(tw dataset.Tweet) bool { return tw.ID == r.Tweet.ID })
		if code, ok := wantRefused[i]; !ok || r.Err == nil || r.Err.Code != code || !strings.Contains(r.Reason(), r.Tweet.ID) {
			t.Errorf("refused tweet %s: %+v, want HTTP %d", r.Tweet.ID, r.Err, code)
		}
	}
	for _, i := range slices.Sorted(maps.Keys(wantRefused)) {
		wantIDs = append(wantIDs, in[i].ID)
	}
	if !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("refused %q, want %q in batch order", gotIDs, wantIDs)
	}
	if r := refused[0]; !strings.Contains(r.Err.Msg, "longer than 100 characters") {
		t.Errorf("reason %q", r.Reason())
	}

	// Without OnRefused the batch fails, naming the tweet.
	strict, err := NewHTTPScorer(context.Background(), HTTPOptions{URL: ts.URL, RequestTexts: 4, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := strict.ScoreInto(context.Background(), nil, in)
	if err == nil || len(rows) != 0 || !strings.Contains(err.Error(), `tweet "1004"`) {
		t.Errorf("without OnRefused: %d rows, error %v; want no row and an error naming tweet 1004", len(rows), err)
	}
}
