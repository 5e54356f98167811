package metrics

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// TestHeadlineKeysAreTheJSONKeys: every headline name is a key of
// metrics.json whose value Metric returns, so the gate, its results and
// the dashboard name what the file holds.
func TestHeadlineKeysAreTheJSONKeys(t *testing.T) {
	y := []int{0, 0, 1, 1, 0, 1}
	proba := []float64{0.9, 0.1, 0.6, 0.4, 0.3, 0.7, 0.2, 0.8, 0.45, 0.55, 0.35, 0.65}
	r, err := ComputeFlat(y, proba, []string{"negative", "positive"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, h := range Headlines {
		raw, ok := doc[h.Key].(float64)
		if !ok {
			t.Errorf("metrics.json has no number %q (got %v)", h.Key, doc[h.Key])
			continue
		}
		got, err := r.Metric(h.Key)
		if err != nil || math.Abs(got-raw) > 1e-9 {
			t.Errorf("Metric(%q) = %v, %v; metrics.json holds %v", h.Key, got, err, raw)
		}
	}
	seen := map[string]bool{}
	for _, h := range Gated {
		if h.Param == "" || h.Result == "" || seen[h.Param] {
			t.Errorf("gated metric %q needs a unique threshold parameter and a result (%+v)", h.Key, h)
		}
		seen[h.Param] = true
		if got, ok := GatedByParam(h.Param); !ok || got != h {
			t.Errorf("GatedByParam(%q) = %+v, %v", h.Param, got, ok)
		}
	}
}
