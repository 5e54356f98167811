package runtime

import (
	"slices"
	"testing"

	"github.com/tweetflow/tweetflow/internal/onnx"
	"github.com/tweetflow/tweetflow/internal/onnx/onnxtest"
)

// TestEmbeddingBagFusion checks that the classifier's Gather -> ReduceSum
// pair and its token count (Equal -> Not -> Cast -> ReduceSum) are fused
// and that the fused kernels give bit-identical results.
func TestEmbeddingBagFusion(t *testing.T) {
	c := onnxtest.Classifier(3, onnxtest.Spec{Rows: 300, Dim: 24, Hidden: 5, Classes: 3})
	raw, err := onnx.Export(c)
	if err != nil {
		t.Fatal(err)
	}
	fused, err := LoadBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	fuse = false
	plain, err := LoadBytes(raw)
	fuse = true
	if err != nil {
		t.Fatal(err)
	}
	ops := func(m *Model) (s []string) {
		for _, n := range m.nodes {
			s = append(s, n.op)
		}
		return s
	}
	if f := ops(fused); !slices.Contains(f, "Gather+ReduceSum") || slices.Contains(f, "Gather") ||
		!slices.Contains(f, "CountNotEqual") || slices.ContainsFunc(f, func(op string) bool { return op == "Equal" || op == "Not" || op == "Cast" }) {
		t.Fatalf("fused model ops %v", f)
	}
	if p := ops(plain); !slices.Contains(p, "Gather") {
		t.Fatalf("unfused model ops %v", p)
	}
	for i, seq := range []int{1, 9, 33} {
		ids := onnxtest.IDs(uint64(i), 200, seq, c.Rows)
		ids[0][0] = -1 // negative ids index from the end in both kernels
		flat := slices.Concat(ids...)
		in := map[string]*Tensor{onnx.InputName: {Type: Int64, Shape: []int{len(ids), seq}, Int64: flat}}
		a, err := fused.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		b, err := plain.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a[onnx.OutputName].Float32, b[onnx.OutputName].Float32) {
			t.Errorf("seq %d: fused and unfused outputs differ", seq)
		}
	}
	bad := map[string]*Tensor{onnx.InputName: {Type: Int64, Shape: []int{1, 2}, Int64: []int64{1, 300}}}
	if _, err := fused.Run(bad); err == nil {
		t.Error("fused kernel accepted an out-of-range id")
	}
}
