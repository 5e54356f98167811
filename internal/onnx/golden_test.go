package onnx_test

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/tweetflow/tweetflow/internal/onnx"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// tinyClassifier has hand-written weights: 4 rows (row 0 padding), 2-d
// embeddings, a 2-unit hidden layer and 3 classes.
func tinyClassifier() *onnx.Classifier {
	return &onnx.Classifier{
		Rows: 4, Dim: 2,
		Embedding: []float32{0, 0, 1, 0, 0, 1, -1, -1},
		Hidden:    &onnx.Dense{In: 2, Out: 2, W: []float32{1, -1, 0.5, 2}, B: []float32{0, 0.1}},
		Output:    onnx.Dense{In: 2, Out: 3, W: []float32{1, 0, -1, 0, 1, 0.5}, B: []float32{0.1, 0, -0.1}},
		Labels:    []string{"negative", "neutral", "positive"},
	}
}

// TestGolden pins the exported bytes of a tiny model
// (testdata/tiny.onnx; regenerate with go test -run Golden -update).
// A change here changes every exported model: check it with the ONNX
// Runtime parity tests in internal/onnx/ortcheck before updating.
func TestGolden(t *testing.T) {
	got, err := onnx.Export(tinyClassifier(),
		onnx.WithModelVersion(1),
		onnx.WithProducer("tweetflow", "test"),
		onnx.WithDocString("tiny golden model"),
		onnx.WithMetadata("tokenizer", `{"lowercase":true,"ngrams":[1,2]}`))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "tiny.onnx")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("exported model (%d bytes) differs from %s (%d bytes); run go test -run Golden -update if intended",
			len(got), path, len(want))
	}
}

// TestTinyPredict checks Predict against values worked out by hand.
func TestTinyPredict(t *testing.T) {
	c := tinyClassifier()
	// ids {1, 2}: pooled (0.5, 0.5); hidden relu(0.5*1+0.5*0.5+0, 0.5*-1+0.5*2+0.1) = (0.75, 0.6);
	// logits (0.75+0.1, 0.6, -0.75+0.3-0.1) = (0.85, 0.6, -0.55).
	got := c.Predict([][]int64{{1, 0, 2}})[0]
	want := softmax64(0.85, 0.6, -0.55)
	for i := range want {
		if d := float64(got[i]) - want[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("Predict = %v, want %v", got, want)
		}
	}
	// ids {3}: pooled (-1, -1); hidden relu(-1.5, -0.9) = 0; logits = bias.
	got = c.Predict([][]int64{{3}})[0]
	want = softmax64(0.1, 0, -0.1)
	for i := range want {
		if d := float64(got[i]) - want[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("Predict = %v, want %v", got, want)
		}
	}
	// All padding: pooled 0, hidden relu(b1) = (0, 0.1); logits (0.1, 0.1, -0.05).
	got = c.Predict([][]int64{{0, 0}})[0]
	want = softmax64(0.1, 0.1, -0.05)
	for i := range want {
		if d := float64(got[i]) - want[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("Predict = %v, want %v", got, want)
		}
	}
}

func softmax64(v ...float64) []float64 {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	out := make([]float64, len(v))
	var sum float64
	for i, x := range v {
		out[i] = math.Exp(x - m)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}
