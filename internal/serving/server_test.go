package serving

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
)

// fixture is a server over one random-weight model.
type fixture struct {
	tm  *servingtest.Model
	srv *Server
	ts  *httptest.Server
}

func newFixture(t testing.TB, opts ...Option) *fixture {
	t.Helper()
	tm, err := servingtest.Random(servingtest.Options{Version: "v1", Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadFiles(tm.Files, "v1")
	if err != nil {
		t.Fatal(err)
	}
	srv := New(StaticRegistry(m), opts...)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &fixture{tm: tm, srv: srv, ts: ts}
}

func post(t testing.TB, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return decodeResp(t, resp)
}

func get(t testing.TB, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return decodeResp(t, resp)
}

func decodeResp(t testing.TB, resp *http.Response) (int, map[string]any) {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q, body %s", ct, b)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("response %q is not a JSON object: %v", b, err)
	}
	return resp.StatusCode, out
}

// checkPrediction compares one prediction object with the reference.
func checkPrediction(t *testing.T, f *fixture, p map[string]any, text string) {
	t.Helper()
	want := f.tm.Reference(text)
	probs, ok := p["probabilities"].(map[string]any)
	if !ok || len(probs) != len(servingtest.Labels) {
		t.Fatalf("probabilities %v", p["probabilities"])
	}
	best := 0
	for j, l := range servingtest.Labels {
		got, _ := probs[l].(float64)
		if math.Abs(got-float64(want[j])) > 1e-5 {
			t.Errorf("text %q: p(%s) = %v, want %v", text, l, got, want[j])
		}
		if want[j] > want[best] {
			best = j
		}
	}
	if p["label"] != servingtest.Labels[best] {
		t.Errorf("text %q: label %v, want %s", text, p["label"], servingtest.Labels[best])
	}
	if score, _ := p["score"].(float64); math.Abs(score-float64(want[best])) > 1e-5 {
		t.Errorf("text %q: score %v, want %v", text, p["score"], want[best])
	}
}

func TestPredictSingle(t *testing.T) {
	f := newFixture(t)
	for _, text := range servingtest.Texts {
		// Both the hand-parsed and the encoding/json path.
		for _, body := range []string{
			`{"text":` + jsonString(text) + `}`,
			`{"model":"v1", "unknown": [1,2], "text": ` + jsonString(text) + `}`,
		} {
			code, out := post(t, f.ts.URL+"/predict", body)
			if code != 200 {
				t.Fatalf("%s: %d %v", body, code, out)
			}
			checkPrediction(t, f, out, text)
			if out["model_version"] != "v1" {
				t.Errorf("model_version %v", out["model_version"])
			}
		}
	}
	// Escapes are decoded before predicting.
	code, out := post(t, f.ts.URL+"/predict/v1", `{"text":"I love it \u2764\ufe0f \"really\"\n"}`)
	if code != 200 {
		t.Fatal(code, out)
	}
	checkPrediction(t, f, out, "I love it \u2764\ufe0f \"really\"\n")
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestPredictBatch(t *testing.T) {
	f := newFixture(t)
	texts := servingtest.Texts
	tb, _ := json.Marshal(texts)
	var inst []any
	for i, t := range texts {
		if i%2 == 0 {
			inst = append(inst, t)
		} else {
			inst = append(inst, map[string]string{"text": t})
		}
	}
	ib, _ := json.Marshal(inst)
	for _, body := range []string{`{"texts":` + string(tb) + `}`, `{"instances":` + string(ib) + `,"model":"v1"}`} {
		code, out := post(t, f.ts.URL+"/predict", body)
		if code != 200 {
			t.Fatal(code, out)
		}
		preds, _ := out["predictions"].([]any)
		if len(preds) != len(texts) || out["model_version"] != "v1" {
			t.Fatalf("%d predictions, version %v", len(preds), out["model_version"])
		}
		for i, p := range preds {
			checkPrediction(t, f, p.(map[string]any), texts[i])
		}
	}
}

func TestBadRequests(t *testing.T) {
	f := newFixture(t, WithMaxTextRunes(20), WithMaxBatch(3), WithMaxBodyBytes(200))
	long := strings.Repeat("é", 21)
	tests := []struct {
		name, method, path, body string
		code                     int
		field                    string
	}{
		{"malformed", "POST", "/predict", `{"text": "a"`, 400, ""},
		{"not json", "POST", "/predict", `hello`, 400, ""},
		{"empty body", "POST", "/predict", ``, 400, ""},
		{"array body", "POST", "/predict", `["a"]`, 400, ""},
		{"missing text", "POST", "/predict", `{"txt": "a"}`, 400, "text"},
		{"null text", "POST", "/predict", `{"text": null}`, 400, "text"},
		{"number text", "POST", "/predict", `{"text": 3}`, 400, "text"},
		{"object text", "POST", "/predict", `{"text": {"a": 1}}`, 400, "text"},
		{"empty text", "POST", "/predict", `{"text": ""}`, 400, "text"},
		{"blank text", "POST", "/predict", `{"text": " \n\t "}`, 400, "text"},
		{"long text", "POST", "/predict", `{"text": "` + long + `"}`, 400, "text"},
		{"invalid utf8", "POST", "/predict", "{\"text\": \"a\xff\xfeb\"}", 400, ""},
		{"both", "POST", "/predict", `{"text": "a", "texts": ["b"]}`, 400, "text"},
		{"texts not array", "POST", "/predict", `{"texts": "a"}`, 400, "texts"},
		{"texts empty", "POST", "/predict", `{"texts": []}`, 400, "texts"},
		{"texts item", "POST", "/predict", `{"texts": ["a", 2]}`, 400, "texts[1]"},
		{"texts blank item", "POST", "/predict", `{"texts": ["a", ""]}`, 400, "texts[1]"},
		{"too many", "POST", "/predict", `{"texts": ["a","b","c","d"]}`, 400, "texts"},
		{"instance object", "POST", "/predict", `{"instances": [{"txt": "a"}]}`, 400, "instances[0].text"},
		{"instance number", "POST", "/predict", `{"instances": [1]}`, 400, "instances[0]"},
		{"model type", "POST", "/predict", `{"text": "a", "model": 1}`, 400, "model"},
		{"unknown version", "POST", "/predict/v9", `{"text": "a"}`, 404, "model"},
		{"unknown model field", "POST", "/predict", `{"text": "a", "model": "v9"}`, 404, "model"},
		{"version conflict", "POST", "/predict/v1", `{"text": "a", "model": "v2"}`, 400, "model"},
		{"too large", "POST", "/predict", `{"text": "` + strings.Repeat("a", 300) + `"}`, 413, ""},
		{"get predict", "GET", "/predict", ``, 405, ""},
		{"put infer", "PUT", "/v2/models/tweetflow/infer", ``, 405, ""},
		{"post healthz", "POST", "/healthz", ``, 405, ""},
		{"no route", "GET", "/nope", ``, 404, ""},
		{"v2 unknown model", "GET", "/v2/models/other", ``, 404, ""},
		{"v2 bad datatype", "POST", "/v2/models/tweetflow/infer", `{"inputs":[{"name":"text","shape":[1],"datatype":"FP32","data":[1]}]}`, 400, "inputs.datatype"},
		{"v2 bad shape", "POST", "/v2/models/tweetflow/infer", `{"inputs":[{"name":"text","shape":[2],"datatype":"BYTES","data":["a"]}]}`, 400, "inputs.shape"},
		{"v2 data type", "POST", "/v2/models/tweetflow/infer", `{"inputs":[{"name":"text","shape":[1],"datatype":"BYTES","data":[1]}]}`, 400, "inputs.data[0]"},
		{"v2 no inputs", "POST", "/v2/models/tweetflow/infer", `{"inputs":[]}`, 400, "inputs"},
		{"v2 unknown output", "POST", "/v2/models/tweetflow/infer", `{"inputs":[{"name":"text","shape":[1],"datatype":"BYTES","data":["a"]}],"outputs":[{"name":"x"}]}`, 400, "outputs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, f.ts.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "text/plain") // tolerated
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			code, out := decodeResp(t, resp)
			if code != tt.code {
				t.Fatalf("status %d, want %d (%v)", code, tt.code, out)
			}
			msg, _ := out["error"].(string)
			if msg == "" {
				t.Errorf("no error message: %v", out)
			}
			if field, _ := out["field"].(string); field != tt.field {
				t.Errorf("field %q, want %q (%s)", field, tt.field, msg)
			}
			if code == 405 && resp.Header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
}

func TestV2(t *testing.T) {
	f := newFixture(t)
	texts := servingtest.Texts[:4]
	data, _ := json.Marshal(texts)
	for _, path := range []string{"/v2/models/tweetflow/infer", "/v2/models/tweetflow/versions/v1/infer", "/v2/models/v1/infer"} {
		body := `{"id":"r1","inputs":[{"name":"text","shape":[4],"datatype":"BYTES","data":` + string(data) + `}]}`
		code, out := post(t, f.ts.URL+path, body)
		if code != 200 {
			t.Fatal(path, code, out)
		}
		if out["id"] != "r1" || out["model_version"] != "v1" {
			t.Errorf("id %v version %v", out["id"], out["model_version"])
		}
		outs := out["outputs"].([]any)
		if len(outs) != 2 {
			t.Fatalf("outputs %v", outs)
		}
		lab, prob := outs[0].(map[string]any), outs[1].(map[string]any)
		if lab["name"] != "label" || lab["datatype"] != "BYTES" || prob["name"] != "probabilities" || prob["datatype"] != "FP32" {
			t.Fatalf("outputs %v", outs)
		}
		if s := prob["shape"].([]any); s[0].(float64) != 4 || s[1].(float64) != 3 {
			t.Errorf("shape %v", s)
		}
		pd := prob["data"].([]any)
		for i, text := range texts {
			want := f.tm.Reference(text)
			best := 0
			for j := range want {
				if math.Abs(pd[i*3+j].(float64)-float64(want[j])) > 1e-5 {
					t.Errorf("%q: %v want %v", text, pd[i*3:i*3+3], want)
				}
				if want[j] > want[best] {
					best = j
				}
			}
			if lab["data"].([]any)[i] != servingtest.Labels[best] {
				t.Errorf("%q: label %v", text, lab["data"].([]any)[i])
			}
		}
	}
	// Nested data for shape [n, 1] and output selection.
	code, out := post(t, f.ts.URL+"/v2/models/tweetflow/infer",
		`{"inputs":[{"name":"text","shape":[2,1],"datatype":"BYTES","data":[["good"],["bad"]]}],"outputs":[{"name":"label"}]}`)
	if code != 200 || len(out["outputs"].([]any)) != 1 {
		t.Fatal(code, out)
	}
	code, out = get(t, f.ts.URL+"/v2/models/tweetflow")
	if code != 200 || out["name"] != "tweetflow" || out["platform"] != "onnx" {
		t.Fatal(code, out)
	}
	for _, p := range []string{"/v2/health/live", "/v2/health/ready", "/v2/models/tweetflow/ready", "/v2", "/healthz", "/readyz", "/models"} {
		if code, out := get(t, f.ts.URL+p); code != 200 {
			t.Errorf("%s: %d %v", p, code, out)
		}
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	post(t, f.ts.URL+"/predict", `{"text":"hello"}`)
	post(t, f.ts.URL+"/predict", `{"texts":["a","b"]}`)
	post(t, f.ts.URL+"/predict", `{"text":""}`)
	resp, err := http.Get(f.ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	s := string(b)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("content type %q", resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`tweetflow_http_requests_total{route="/predict",code="200"} 2`,
		`tweetflow_http_requests_total{route="/predict",code="400"} 1`,
		`tweetflow_http_request_errors_total{route="/predict",kind="client"} 1`,
		`tweetflow_http_request_duration_seconds_count{route="/predict"} 3`,
		`tweetflow_http_request_duration_seconds_bucket{route="/predict",le="+Inf"} 3`,
		`tweetflow_texts_scored_total 3`,
		`tweetflow_model_info{model_version="v1",default="true"`,
		`tweetflow_models_loaded 1`,
		"# TYPE tweetflow_http_request_duration_seconds histogram",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("metrics lack %q:\n%s", want, s)
		}
	}
	var preds int
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "tweetflow_predictions_total{") {
			var n int
			if _, err := fmtSscan(l[strings.LastIndexByte(l, ' ')+1:], &n); err != nil {
				t.Fatal(err)
			}
			preds += n
		}
	}
	if preds != 3 {
		t.Errorf("predictions by label sum to %d, want 3", preds)
	}
}

func TestReadyBeforeLoad(t *testing.T) {
	reg := NewRegistry(Source{Root: t.TempDir()})
	ts := httptest.NewServer(New(reg))
	defer ts.Close()
	if code, _ := get(t, ts.URL+"/readyz"); code != 503 {
		t.Errorf("readyz %d, want 503", code)
	}
	if code, _ := get(t, ts.URL+"/healthz"); code != 200 {
		t.Errorf("healthz %d", code)
	}
	if code, _ := post(t, ts.URL+"/predict", `{"text":"a"}`); code != 503 {
		t.Errorf("predict %d, want 503", code)
	}
}

// TestHotReload serves from a models folder, adds a newer version while
// clients keep predicting, and checks the swap and that no request failed.
func TestHotReload(t *testing.T) {
	root := t.TempDir()
	write := func(version string, created time.Time, seed uint64) *servingtest.Model {
		tm, err := servingtest.Random(servingtest.Options{Version: version, Seed: seed, CreatedAt: created})
		if err != nil {
			t.Fatal(err)
		}
		if err := tm.WriteDir(filepath.Join(root, version)); err != nil {
			t.Fatal(err)
		}
		return tm
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	write("run-a", t0, 1)
	reg := NewRegistry(Source{Root: root})
	if _, err := reg.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := New(reg)
	ts := httptest.NewServer(srv)
	defer ts.Close()

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				resp, err := http.Post(ts.URL+"/predict", "application/json", strings.NewReader(`{"text":"love it"}`))
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					mu.Lock()
					failures++
					mu.Unlock()
				}
			}
		}()
	}
	// Reloading without changes keeps the loaded model.
	if code, out := post(t, ts.URL+"/admin/reload", ``); code != 200 || out["changed"] != false {
		t.Fatalf("reload: %d %v", code, out)
	}
	if reg.Loads() != 1 {
		t.Errorf("%d loads, want 1", reg.Loads())
	}
	tmB := write("run-b", t0.Add(time.Hour), 2)
	code, out := post(t, ts.URL+"/admin/reload", ``)
	if code != 200 || out["changed"] != true || out["default"] != "run-b" {
		t.Fatalf("reload: %d %v", code, out)
	}
	// A broken folder does not take the served ones down.
	if err := os.MkdirAll(filepath.Join(root, "broken"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "broken", "model.onnx"), []byte("not onnx"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := post(t, ts.URL+"/admin/reload", ``); code != 500 || out["default"] != "run-b" {
		t.Fatalf("reload with a broken folder: %d %v", code, out)
	}
	time.Sleep(50 * time.Millisecond)
	cancel()
	wg.Wait()
	if failures > 0 {
		t.Errorf("%d requests failed during reloads", failures)
	}
	code, out = post(t, ts.URL+"/predict", `{"text":"love it"}`)
	if code != 200 || out["model_version"] != "run-b" {
		t.Fatal(code, out)
	}
	want := tmB.Reference("love it")
	if p := out["probabilities"].(map[string]any)["positive"].(float64); math.Abs(p-float64(want[2])) > 1e-5 {
		t.Errorf("p(positive) %v, want %v from run-b", p, want[2])
	}
	if code, out := post(t, ts.URL+"/predict/run-a", `{"text":"love it"}`); code != 200 || out["model_version"] != "run-a" {
		t.Errorf("older version: %d %v", code, out)
	}
	if code, out := get(t, ts.URL+"/models"); code != 200 || len(out["models"].([]any)) != 2 {
		t.Errorf("models: %d %v", code, out)
	}
}

func TestLoadCommittedArtifact(t *testing.T) {
	// A committed output (with _SUCCESS.json) is checked against its manifest.
	tm, err := servingtest.Random(servingtest.Options{Version: "v7"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := writeCommitted(dir, tm.Files); err != nil {
		t.Fatal(err)
	}
	m, err := Load(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version() != "v7" || !strings.HasPrefix(m.Digest(), "sha256:") {
		t.Fatalf("version %q digest %q", m.Version(), m.Digest())
	}
	// Tampering with a file breaks the load.
	if err := os.WriteFile(filepath.Join(dir, "vocab.txt"), bytes.ToUpper(tm.Files["vocab.txt"]), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "manifest") {
		t.Fatalf("tampered model loaded: %v", err)
	}
}
