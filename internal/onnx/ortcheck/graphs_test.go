package ortcheck_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tweetflow/tweetflow/internal/onnx/onnxpb"
	"github.com/tweetflow/tweetflow/internal/onnx/ortcheck"
	"github.com/tweetflow/tweetflow/internal/onnx/runtime"
)

type nodeSpec struct {
	op    string
	in    []string
	out   string
	attrs []*onnxpb.AttributeProto
}

func n(op string, in []string, out string, attrs ...*onnxpb.AttributeProto) nodeSpec {
	return nodeSpec{op, in, out, attrs}
}

func ai(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func ais(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

func af(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

// graphModel builds a model whose graph inputs are the given tensors and
// whose outputs are outs (untyped: ONNX Runtime infers them).
func graphModel(t *testing.T, opset int64, nodes []nodeSpec, inputs map[string]*runtime.Tensor, outs ...string) []byte {
	t.Helper()
	g := &onnxpb.GraphProto{Name: proto.String("g")}
	for i, ns := range nodes {
		g.Node = append(g.Node, &onnxpb.NodeProto{OpType: proto.String(ns.op), Name: proto.String(ns.op + string(rune('a'+i))),
			Input: ns.in, Output: []string{ns.out}, Attribute: ns.attrs})
	}
	names := make([]string, 0, len(inputs))
	for k := range inputs {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		tt := &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(inputs[k].Type)), Shape: &onnxpb.TensorShapeProto{}}
		for _, d := range inputs[k].Shape {
			tt.Shape.Dim = append(tt.Shape.Dim, &onnxpb.TensorShapeProto_Dimension{
				Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
		}
		g.Input = append(g.Input, &onnxpb.ValueInfoProto{Name: proto.String(k),
			Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}}})
	}
	for _, o := range outs {
		g.Output = append(g.Output, &onnxpb.ValueInfoProto{Name: proto.String(o)})
	}
	m := &onnxpb.ModelProto{IrVersion: proto.Int64(8), Graph: g,
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(opset)}}}
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randF32(r *rand.Rand, shape ...int) *runtime.Tensor {
	v := make([]float32, numel(shape))
	for i := range v {
		v[i] = float32(4*r.Float64() - 2)
	}
	t, _ := runtime.NewFloat32(shape, v)
	return t
}

func randI64(r *rand.Rand, lo, hi int64, shape ...int) *runtime.Tensor {
	v := make([]int64, numel(shape))
	for i := range v {
		v[i] = lo + r.Int64N(hi-lo)
	}
	t, _ := runtime.NewInt64(shape, v)
	return t
}

func ints(v ...int64) *runtime.Tensor {
	t, _ := runtime.NewInt64([]int{len(v)}, v)
	return t
}

func numel(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// TestGraphsMatchORT runs small graphs covering the runtime's operators
// (broadcasting, both axes forms, opset differences) on random inputs in
// both engines.
func TestGraphsMatchORT(t *testing.T) {
	lib := libPath(t)
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name   string
		opset  int64
		nodes  []nodeSpec
		inputs map[string]*runtime.Tensor
		outs   []string
	}{
		{"Gemm transB", 17, []nodeSpec{n("Gemm", []string{"a", "b", "c"}, "y", ai("transB", 1), af("alpha", 0.5), af("beta", 2))},
			map[string]*runtime.Tensor{"a": randF32(r, 4, 5), "b": randF32(r, 3, 5), "c": randF32(r, 3)}, []string{"y"}},
		{"Gemm transA", 17, []nodeSpec{n("Gemm", []string{"a", "b", "c"}, "y", ai("transA", 1))},
			map[string]*runtime.Tensor{"a": randF32(r, 5, 4), "b": randF32(r, 5, 3), "c": randF32(r, 4, 1)}, []string{"y"}},
		{"MatMul batch broadcast", 17, []nodeSpec{n("MatMul", []string{"a", "b"}, "y")},
			map[string]*runtime.Tensor{"a": randF32(r, 2, 1, 4, 5), "b": randF32(r, 3, 5, 6)}, []string{"y"}},
		{"MatMul vector", 17, []nodeSpec{n("MatMul", []string{"a", "b"}, "y")},
			map[string]*runtime.Tensor{"a": randF32(r, 5), "b": randF32(r, 5, 3)}, []string{"y"}},
		{"MatMul 3-D by 2-D", 17, []nodeSpec{n("MatMul", []string{"a", "b"}, "y")},
			map[string]*runtime.Tensor{"a": randF32(r, 2, 3, 7), "b": randF32(r, 7, 4)}, []string{"y"}},
		{"Softmax axes", 17, []nodeSpec{
			n("Softmax", []string{"x"}, "y", ai("axis", 1)), n("LogSoftmax", []string{"x"}, "z")},
			map[string]*runtime.Tensor{"x": randF32(r, 2, 3, 4)}, []string{"y", "z"}},
		{"Softmax opset 11", 11, []nodeSpec{n("Softmax", []string{"x"}, "y", ai("axis", 1))},
			map[string]*runtime.Tensor{"x": randF32(r, 2, 3, 4)}, []string{"y"}},
		{"Reduce opset 18 input axes", 18, []nodeSpec{
			n("ReduceMean", []string{"x", "axes"}, "m"), n("ReduceMax", []string{"x", "axes"}, "mx", ai("keepdims", 0)),
			n("ReduceMin", []string{"x"}, "mn"), n("ReduceSum", []string{"x", "ax1"}, "s", ai("keepdims", 0))},
			map[string]*runtime.Tensor{"x": randF32(r, 3, 4, 5), "axes": ints(0, 2), "ax1": ints(-1)}, []string{"m", "mx", "mn", "s"}},
		{"Reduce opset 13 attr axes", 13, []nodeSpec{
			n("ReduceMean", []string{"x"}, "m", ais("axes", 1)), n("ReduceSum", []string{"x", "axes"}, "s")},
			map[string]*runtime.Tensor{"x": randF32(r, 3, 4, 5), "axes": ints(0, 1)}, []string{"m", "s"}},
		{"Arithmetic broadcast", 17, []nodeSpec{
			n("Div", []string{"a", "b"}, "d"), n("Sub", []string{"d", "c"}, "s"), n("Mul", []string{"s", "c"}, "y"),
			n("Max", []string{"a", "b", "c"}, "mx"), n("Min", []string{"b", "c"}, "mn"), n("Add", []string{"mx", "mn"}, "z")},
			map[string]*runtime.Tensor{"a": randF32(r, 3, 1, 5), "b": randF32(r, 4, 1), "c": randF32(r, 5)}, []string{"y", "z"}},
		{"Unary", 17, []nodeSpec{
			n("Sigmoid", []string{"x"}, "a"), n("Tanh", []string{"x"}, "b"), n("Exp", []string{"x"}, "c"),
			n("Relu", []string{"x"}, "d"), n("Neg", []string{"x"}, "e"), n("Abs", []string{"e"}, "f"),
			n("Sqrt", []string{"f"}, "g"), n("Log", []string{"c"}, "h")},
			map[string]*runtime.Tensor{"x": randF32(r, 50)}, []string{"a", "b", "c", "d", "e", "f", "g", "h"}},
		{"Shapes", 17, []nodeSpec{
			n("Transpose", []string{"x"}, "t", ais("perm", 2, 0, 1)), n("Unsqueeze", []string{"t", "ax"}, "u"),
			n("Reshape", []string{"u", "shape"}, "rs"), n("Flatten", []string{"rs"}, "fl", ai("axis", 2)),
			n("Squeeze", []string{"u", "ax"}, "sq"), n("Concat", []string{"sq", "t"}, "cc", ai("axis", -1)),
			n("Shape", []string{"cc"}, "shp"), n("Identity", []string{"fl"}, "id")},
			map[string]*runtime.Tensor{"x": randF32(r, 2, 3, 4), "ax": ints(1), "shape": ints(0, 0, -1, 2)},
			[]string{"rs", "fl", "cc", "shp", "id"}},
		{"Masks and casts", 17, []nodeSpec{
			n("Equal", []string{"ids", "zero"}, "eq"), n("Not", []string{"eq"}, "ne"),
			n("Cast", []string{"ne"}, "f", ai("to", 1)), n("Cast", []string{"ids"}, "i32", ai("to", 6)),
			n("Cast", []string{"x"}, "xi", ai("to", 7)), n("Cast", []string{"i32"}, "d", ai("to", 11))},
			map[string]*runtime.Tensor{"ids": randI64(r, 0, 3, 4, 6), "zero": ints(0), "x": randF32(r, 7)},
			[]string{"eq", "f", "i32", "xi", "d"}},
		{"Gather", 17, []nodeSpec{
			n("Gather", []string{"x", "idx"}, "g1", ai("axis", 1)), n("Gather", []string{"x", "idx"}, "g0"),
			n("Gather", []string{"ids", "idx"}, "gi")},
			map[string]*runtime.Tensor{"x": randF32(r, 3, 5, 2), "idx": randI64(r, -3, 3, 2, 2), "ids": randI64(r, 0, 100, 4)},
			[]string{"g1", "g0", "gi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := graphModel(t, tt.opset, tt.nodes, tt.inputs, tt.outs...)
			want, err := ortcheck.RunGraph(lib, model, tt.inputs, tt.outs)
			if err != nil {
				t.Fatal(err)
			}
			m, err := runtime.LoadBytes(model)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.Run(tt.inputs)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range tt.outs {
				compareTensors(t, o, got[o], want[o])
			}
		})
	}
}

func compareTensors(t *testing.T, name string, got, want *runtime.Tensor) {
	t.Helper()
	if got == nil || want == nil {
		t.Fatalf("%s: got %v, onnxruntime %v", name, got, want)
	}
	if got.Type != want.Type || !slices.Equal(got.Shape, want.Shape) {
		t.Fatalf("%s: got %v, onnxruntime %v", name, got, want)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-5*max(1, math.Abs(b)) }
	switch got.Type {
	case runtime.Float32:
		for i := range got.Float32 {
			if !near(float64(got.Float32[i]), float64(want.Float32[i])) {
				t.Fatalf("%s[%d]: got %v, onnxruntime %v", name, i, got.Float32[i], want.Float32[i])
			}
		}
	case runtime.Float64:
		for i := range got.Float64 {
			if !near(got.Float64[i], want.Float64[i]) {
				t.Fatalf("%s[%d]: got %v, onnxruntime %v", name, i, got.Float64[i], want.Float64[i])
			}
		}
	case runtime.Int64:
		if !slices.Equal(got.Int64, want.Int64) {
			t.Fatalf("%s: got %v, onnxruntime %v", name, got.Int64, want.Int64)
		}
	case runtime.Int32:
		if !slices.Equal(got.Int32, want.Int32) {
			t.Fatalf("%s: got %v, onnxruntime %v", name, got.Int32, want.Int32)
		}
	case runtime.Bool:
		if !slices.Equal(got.Bool, want.Bool) {
			t.Fatalf("%s: got %v, onnxruntime %v", name, got.Bool, want.Bool)
		}
	}
}
