package serving

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzPredictHandler sends arbitrary bodies to /predict and the KServe v2
// infer route: the answer is always 200 or a 4xx with a JSON error, never a
// 5xx or a panic. Run it with
//
//	go test -run '^$' -fuzz FuzzPredictHandler -fuzztime 60s ./internal/serving/
func FuzzPredictHandler(f *testing.F) {
	fx := newFixture(f, WithMaxTextRunes(200), WithMaxBatch(16), WithMaxBodyBytes(4096))
	for _, s := range []string{
		`{"text":"I love it"}`, `{"text": "a\u00e9\ud83d\ude00"}`, `{"texts":["a","b"]}`,
		`{"instances":["a",{"text":"b"}]}`, `{"text":"a","model":"v1"}`, `{"text":""}`, `{"text":3}`,
		`[]`, `null`, `{"text":"\ud800"}`, "{\"text\":\"\xff\"}", `{"inputs":[{"name":"text","shape":[1],"datatype":"BYTES","data":["x"]}]}`,
		`{"inputs":[{"name":"text","shape":[1,1],"datatype":"BYTES","data":[["x"]]}]}`,
	} {
		f.Add(s)
	}
	h := fx.srv
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/predict", "/v2/models/tweetflow/infer"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
			code := rec.Code
			if code != 200 && (code < 400 || code >= 500) {
				t.Fatalf("%s %q: status %d: %s", path, body, code, rec.Body)
			}
			var out map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatalf("%s %q: response %q is not JSON: %v", path, body, rec.Body, err)
			}
			if code != 200 {
				if msg, _ := out["error"].(string); msg == "" {
					t.Fatalf("%s %q: %d without error message: %s", path, body, code, rec.Body)
				}
			}
		}
	})
}
