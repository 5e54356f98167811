package serving

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
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

// FuzzFastDecode checks the hand-written parser against encoding/json: any
// body it accepts decodes to the same texts and model with slowDecode.
func FuzzFastDecode(f *testing.F) {
	for _, s := range []string{
		`{"text":"a"}`, ` { "texts" : [ "a" , "b\"c" ] , "model" : "v1" } `, `{"text":"\ud83d\ude00 \u00e9\n\/"}`,
		`{"text":"\ud800x"}`, `{"text":"\ud800\u0041"}`, `{"texts":[]}`, `{"text":"a","text":"b"}`, `{"model":"m","text":""}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !utf8.Valid(b) {
			return // rejected before decoding
		}
		fast, _, ok := fastDecode(b, nil, nil)
		if !ok {
			return
		}
		slow, e := slowDecode(b, nil)
		if e != nil {
			t.Fatalf("%q: fast parser accepted, encoding/json says %v", b, e)
		}
		if !slices.Equal(fast.texts, slow.texts) || fast.model != slow.model || fast.batch != slow.batch || fast.field != slow.field {
			t.Fatalf("%q: fast %+v, encoding/json %+v", b, fast, slow)
		}
	})
}
