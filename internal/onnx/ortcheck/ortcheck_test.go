package ortcheck_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/onnx"
	"github.com/tweetflow/tweetflow/internal/onnx/onnxtest"
	"github.com/tweetflow/tweetflow/internal/onnx/ortcheck"
	"github.com/tweetflow/tweetflow/internal/onnx/runtime"
)

// libPath returns the ONNX Runtime library or skips (fails with
// TWEETFLOW_REQUIRE_ORT=1) when it is not installed.
func libPath(t *testing.T) string {
	t.Helper()
	p := ortcheck.LibPath(os.Getenv)
	if _, err := os.Stat(p); err != nil {
		msg := "ONNX Runtime library not found at " + p + ": run " + ortcheck.InstallScript +
			" or set " + ortcheck.LibEnv
		if os.Getenv(ortcheck.RequireEnv) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if _, err := ortcheck.Version(p); errors.Is(err, ortcheck.ErrNoCgo) {
		if os.Getenv(ortcheck.RequireEnv) == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return p
}

func maxDiff(t *testing.T, what string, got, want [][]float32) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	var m float64
	for i := range got {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("%s: row %d has %d classes, want %d", what, i, len(got[i]), len(want[i]))
		}
		for j := range got[i] {
			d := math.Abs(float64(got[i][j]) - float64(want[i][j]))
			if math.IsNaN(d) {
				t.Fatalf("%s: NaN at [%d][%d]", what, i, j)
			}
			m = max(m, d)
		}
	}
	return m
}

func runGo(t *testing.T, model []byte, ids [][]int64) [][]float32 {
	t.Helper()
	m, err := runtime.LoadBytes(model)
	if err != nil {
		t.Fatal(err)
	}
	seq := len(ids[0])
	flat := make([]int64, 0, len(ids)*seq)
	for _, r := range ids {
		flat = append(flat, r...)
	}
	in, err := runtime.NewInt64([]int{len(ids), seq}, flat)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Run(map[string]*runtime.Tensor{onnx.InputName: in})
	if err != nil {
		t.Fatal(err)
	}
	p := out[onnx.OutputName]
	if p == nil || len(p.Shape) != 2 || p.Shape[0] != len(ids) {
		t.Fatalf("go runtime output %v", p)
	}
	res := make([][]float32, len(ids))
	for i := range res {
		res[i] = p.Float32[i*p.Shape[1] : (i+1)*p.Shape[1]]
	}
	return res
}

// TestParity compares ONNX Runtime with the reference Predict and with the
// pure-Go runtime on random classifiers and 1200 random id rows each.
func TestParity(t *testing.T) {
	lib := libPath(t)
	v, err := ortcheck.Version(lib)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("onnxruntime %s", v)
	const tol = 1e-5
	var worstRef, worstGo float64
	for i, spec := range []onnxtest.Spec{
		{Rows: 1000, Dim: 100, Classes: 3},
		{Rows: 1000, Dim: 100, Hidden: 32, Classes: 3},
		{Rows: 300, Dim: 16, Classes: 2},
		{Rows: 300, Dim: 50, Hidden: 8, Classes: 2},
		{Rows: 2, Dim: 1, Classes: 3},
		{Rows: 5000, Dim: 300, Hidden: 64, Classes: 3},
	} {
		t.Run(spec.String(), func(t *testing.T) {
			c := onnxtest.Classifier(uint64(100+i), spec)
			model, err := onnx.Export(c)
			if err != nil {
				t.Fatal(err)
			}
			// Several batches with different sequence lengths, 1200 rows in total.
			for j, seq := range []int{1, 7, 20, 64} {
				ids := onnxtest.IDs(uint64(1000*i+j), 300, seq, spec.Rows)
				got, err := ortcheck.Run(lib, model, ids)
				if err != nil {
					t.Fatal(err)
				}
				// With 2 rows there are only two distinct inputs (padding or id 1).
				if err := spread(got); spec.Rows > 2 && err != nil {
					t.Fatalf("seq %d: degenerate probabilities make the comparison weak: %v", seq, err)
				}
				dRef := maxDiff(t, "ort vs Predict", got, c.Predict(ids))
				dGo := maxDiff(t, "ort vs runtime", got, runGo(t, model, ids))
				if dRef >= tol || dGo >= tol {
					t.Errorf("seq %d: max abs diff vs Predict %.3g, vs runtime %.3g (tolerance %g)", seq, dRef, dGo, tol)
				}
				worstRef, worstGo = max(worstRef, dRef), max(worstGo, dGo)
			}
		})
	}
	t.Logf("max abs diff: onnxruntime vs Predict %.3g, onnxruntime vs runtime %.3g", worstRef, worstGo)
}

// spread checks that the probabilities are not saturated: the mean of the
// row maxima stays below 0.99 and the rows disagree on the argmax or on the
// top probability.
func spread(p [][]float32) error {
	var sum float64
	tops := map[float32]bool{}
	for _, row := range p {
		m := slices.Max(row)
		sum += float64(m)
		tops[m] = true
	}
	if mean := sum / float64(len(p)); mean > 0.99 {
		return fmt.Errorf("mean top probability %.4f", mean)
	}
	if len(p) > 10 && len(tops) < 3 {
		return fmt.Errorf("only %d distinct top probabilities", len(tops))
	}
	return nil
}

func TestLibPath(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if got := ortcheck.LibPath(env(map[string]string{ortcheck.LibEnv: "/x/lib.so", "HOME": "/h"})); got != "/x/lib.so" {
		t.Errorf("override: %q", got)
	}
	got := ortcheck.LibPath(env(map[string]string{"TWEETFLOW_CACHE": "/c", "HOME": "/h"}))
	if !strings.HasPrefix(got, "/c/onnxruntime/node_modules/onnxruntime-node/bin/") || !strings.HasSuffix(got, "/libonnxruntime.so.1") {
		t.Errorf("cache path: %q", got)
	}
	got = ortcheck.LibPath(env(map[string]string{"HOME": "/h"}))
	if !strings.HasPrefix(got, "/h/.cache/tweetflow/onnxruntime/") {
		t.Errorf("default path: %q", got)
	}
}

func TestRunRejectsBadBatches(t *testing.T) {
	for name, ids := range map[string][][]int64{
		"empty":  nil,
		"ragged": {{1, 2}, {1}},
	} {
		if _, err := ortcheck.Run("/nonexistent/libonnxruntime.so.1", nil, ids); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := ortcheck.Run("/nonexistent/libonnxruntime.so.1", nil, [][]int64{{1}}); err == nil ||
		!errors.Is(err, ortcheck.ErrNoCgo) && !strings.Contains(err.Error(), ortcheck.InstallScript) {
		t.Errorf("missing library: error %v does not mention %s", err, ortcheck.InstallScript)
	}
}

// TestGoldenModel runs the exporter's golden model (internal/onnx/testdata)
// in ONNX Runtime and checks it against probabilities worked out by hand
// (see TestTinyPredict in package onnx).
func TestGoldenModel(t *testing.T) {
	lib := libPath(t)
	model, err := os.ReadFile("../testdata/tiny.onnx")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ortcheck.Run(lib, model, [][]int64{{1, 0, 2}, {3, 0, 0}, {0, 0, 0}})
	if err != nil {
		t.Fatal(err)
	}
	softmax := func(v ...float64) []float32 {
		var sum float64
		for _, x := range v {
			sum += math.Exp(x)
		}
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(math.Exp(x) / sum)
		}
		return out
	}
	want := [][]float32{
		softmax(0.85, 0.6, -0.55), // as in TestTinyPredict
		softmax(0.1, 0, -0.1),     // hidden layer all zero: logits are the output bias
		softmax(0.1, 0.1, -0.05),  // all padding: pooled 0, hidden relu(b1) = (0, 0.1)
	}
	if d := maxDiff(t, "ort vs hand", got, want); d > 1e-6 {
		t.Errorf("onnxruntime %v, want %v (max diff %.3g)", got, want, d)
	}
}
