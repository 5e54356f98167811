package metrics

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestMetricsJSONGolden pins the metrics.json layout (a public contract) for
// a small fixed evaluation with an absent class, so any change to keys,
// ordering or null handling shows up as a reviewed diff.
func TestMetricsJSONGolden(t *testing.T) {
	r, err := Compute(
		[]int{0, 0, 2, 2, 0, 2},
		[][]float64{{.7, .2, .1}, {.3, .5, .2}, {.2, .2, .6}, {.5, .1, .4}, {.4, .3, .3}, {.1, .1, .8}},
		[]string{"negative", "neutral", "positive"},
		WithMaxCurvePoints(4),
	)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	path := filepath.Join("testdata", "metrics.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("metrics.json differs from %s (run go test -update and review the diff):\n%s", path, got)
	}
	back, err := ReadReport(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	if back.PerClass["neutral"].Recall.Defined() || back.MacroF1 != r.MacroF1 || back.Confusion[2][0] != 1 {
		t.Errorf("ReadReport round trip lost values: %+v", back.PerClass["neutral"])
	}
}
