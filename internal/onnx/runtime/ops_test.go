package runtime_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/onnx/runtime"
)

// unaryGraph is a one-node graph reading x (and y if two) and writing z.
func one(op string, inputs int, attrs ...attr) *gb {
	in := []string{"x", "y", "w"}[:inputs]
	return (&gb{}).node(op, in, []string{"z"}, attrs...).outputs("z")
}

func withInputs(g *gb, in map[string]*runtime.Tensor) *gb {
	names := make([]string, 0, len(in))
	for n := range in {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		g.input(n, in[n].Type)
	}
	return g
}

func e(x float64) float32 { return float32(math.Exp(x)) }

func TestOps(t *testing.T) {
	s1, s2 := 1/(1+e(1)), 1/(1+e(-2))    // sigmoid(-1), sigmoid(2)
	sm := func(v ...float64) []float32 { // softmax
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
	sm12 := sm(1, 2)
	sm123 := sm(1, 2, 3)
	sm1234 := sm(1, 2, 3, 4)
	lsm := func(v ...float64) []float32 {
		p := sm(v...)
		for i := range p {
			p[i] = float32(math.Log(float64(p[i])))
		}
		return p
	}(1, 2, 3)

	tests := []struct {
		name    string
		g       *gb
		in      map[string]*runtime.Tensor
		want    *runtime.Tensor
		wantErr string
	}{
		{"Add same shape", one("Add", 2), map[string]*runtime.Tensor{"x": f32(sh(2), 1, 2), "y": f32(sh(2), 10, 20)},
			f32(sh(2), 11, 22), ""},
		{"Add row broadcast", one("Add", 2), map[string]*runtime.Tensor{"x": f32(sh(2, 3), 1, 2, 3, 4, 5, 6), "y": f32(sh(3), 10, 20, 30)},
			f32(sh(2, 3), 11, 22, 33, 14, 25, 36), ""},
		{"Add outer", one("Add", 2), map[string]*runtime.Tensor{"x": f32(sh(2, 1), 1, 2), "y": f32(sh(1, 3), 10, 20, 30)},
			f32(sh(2, 3), 11, 21, 31, 12, 22, 32), ""},
		{"Add scalar left", one("Add", 2), map[string]*runtime.Tensor{"x": f32(sh(), 1), "y": f32(sh(2, 2), 1, 2, 3, 4)},
			f32(sh(2, 2), 2, 3, 4, 5), ""},
		{"Add middle broadcast", one("Add", 2), map[string]*runtime.Tensor{
			"x": f32(sh(2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8), "y": f32(sh(2, 1, 2), 10, 20, 30, 40)},
			f32(sh(2, 2, 2), 11, 22, 13, 24, 35, 46, 37, 48), ""},
		{"Add int64", one("Add", 2), map[string]*runtime.Tensor{"x": i64(sh(2), 1, 2), "y": i64(sh(1), 5)},
			i64(sh(2), 6, 7), ""},
		{"Add bad broadcast", one("Add", 2), map[string]*runtime.Tensor{"x": f32(sh(2), 1, 2), "y": f32(sh(3), 1, 2, 3)},
			nil, "cannot be broadcast"},
		{"Add type mismatch", one("Add", 2), map[string]*runtime.Tensor{"x": f32(sh(1), 1), "y": i64(sh(1), 1)},
			nil, "differ"},
		{"Sub column", one("Sub", 2), map[string]*runtime.Tensor{"x": f32(sh(2, 2), 5, 6, 7, 8), "y": f32(sh(2, 1), 1, 2)},
			f32(sh(2, 2), 4, 5, 5, 6), ""},
		{"Sub scalar minus vector", one("Sub", 2), map[string]*runtime.Tensor{"x": f32(sh(1), 10), "y": f32(sh(3), 1, 2, 3)},
			f32(sh(3), 9, 8, 7), ""},
		{"Mul", one("Mul", 2), map[string]*runtime.Tensor{"x": f32(sh(3), 1, 2, 3), "y": f32(sh(3), 2, 3, 4)},
			f32(sh(3), 2, 6, 12), ""},
		{"Div column", one("Div", 2), map[string]*runtime.Tensor{"x": f32(sh(2, 2), 2, 4, 9, 3), "y": f32(sh(2, 1), 2, 3)},
			f32(sh(2, 2), 1, 2, 3, 1), ""},
		{"Div int truncates", one("Div", 2), map[string]*runtime.Tensor{"x": i64(sh(2), 7, -7), "y": i64(sh(2), 2, 2)},
			i64(sh(2), 3, -3), ""},
		{"Div int by zero", one("Div", 2), map[string]*runtime.Tensor{"x": i64(sh(1), 7), "y": i64(sh(1), 0)},
			nil, "division by zero"},
		{"Max broadcast", one("Max", 2), map[string]*runtime.Tensor{"x": f32(sh(3, 1), 0, 2, 5), "y": f32(sh(), 1)},
			f32(sh(3, 1), 1, 2, 5), ""},
		{"Max three", one("Max", 3), map[string]*runtime.Tensor{"x": f32(sh(3), 1, 5, 2), "y": f32(sh(3), 4, 0, 2), "w": f32(sh(1), 3)},
			f32(sh(3), 4, 5, 3), ""},
		{"Max one", one("Max", 1), map[string]*runtime.Tensor{"x": f32(sh(2), 1, 5)}, f32(sh(2), 1, 5), ""},
		{"Min int32", one("Min", 2), map[string]*runtime.Tensor{"x": i32(sh(3), 1, 5, -2), "y": i32(sh(3), 4, 0, 2)},
			i32(sh(3), 1, 0, -2), ""},
		{"Equal scalar", one("Equal", 2), map[string]*runtime.Tensor{"x": i64(sh(2, 2), 0, 3, 0, 0), "y": i64(sh(), 0)},
			bools(sh(2, 2), true, false, true, true), ""},
		{"Equal float broadcast", one("Equal", 2), map[string]*runtime.Tensor{"x": f32(sh(2, 1), 1, 2), "y": f32(sh(2), 1, 2)},
			bools(sh(2, 2), true, false, false, true), ""},
		{"Not", one("Not", 1), map[string]*runtime.Tensor{"x": bools(sh(3), true, false, true)},
			bools(sh(3), false, true, false), ""},
		{"Not float", one("Not", 1), map[string]*runtime.Tensor{"x": f32(sh(1), 1)}, nil, "want BOOL"},
		{"Cast bool to float", one("Cast", 1, aInt("to", 1)), map[string]*runtime.Tensor{"x": bools(sh(3), true, false, true)},
			f32(sh(3), 1, 0, 1), ""},
		{"Cast float to int64", one("Cast", 1, aInt("to", 7)), map[string]*runtime.Tensor{"x": f32(sh(3), 1.7, -1.7, 0)},
			i64(sh(3), 1, -1, 0), ""},
		{"Cast int64 to bool", one("Cast", 1, aInt("to", 9)), map[string]*runtime.Tensor{"x": i64(sh(3), 0, 2, -1)},
			bools(sh(3), false, true, true), ""},
		{"Cast int64 to int32", one("Cast", 1, aInt("to", 6)), map[string]*runtime.Tensor{"x": i64(sh(2), 5, -6)},
			i32(sh(2), 5, -6), ""},
		{"Relu", one("Relu", 1), map[string]*runtime.Tensor{"x": f32(sh(4), -1, 0, 2, -0.5)}, f32(sh(4), 0, 0, 2, 0), ""},
		{"Relu int64", one("Relu", 1), map[string]*runtime.Tensor{"x": i64(sh(2), -3, 3)}, i64(sh(2), 0, 3), ""},
		{"Sigmoid", one("Sigmoid", 1), map[string]*runtime.Tensor{"x": f32(sh(2), -1, 2)}, f32(sh(2), s1, s2), ""},
		{"Neg", one("Neg", 1), map[string]*runtime.Tensor{"x": f32(sh(2), -1, 2)}, f32(sh(2), 1, -2), ""},
		{"Exp", one("Exp", 1), map[string]*runtime.Tensor{"x": f32(sh(2), 0, 1)}, f32(sh(2), 1, e(1)), ""},
		{"Sqrt int", one("Sqrt", 1), map[string]*runtime.Tensor{"x": i64(sh(1), 4)}, nil, "unsupported input type INT64"},
		{"Softmax last axis", one("Softmax", 1), map[string]*runtime.Tensor{"x": f32(sh(2, 2), 1, 2, 2, 1)},
			f32(sh(2, 2), sm12[0], sm12[1], sm12[1], sm12[0]), ""},
		{"Softmax axis 0", one("Softmax", 1, aInt("axis", 0)), map[string]*runtime.Tensor{"x": f32(sh(2, 2), 1, 2, 2, 1)},
			f32(sh(2, 2), sm12[0], sm12[1], sm12[1], sm12[0]), ""},
		{"Softmax large values stable", one("Softmax", 1), map[string]*runtime.Tensor{"x": f32(sh(3), 1001, 1002, 1003)},
			f32(sh(3), sm123...), ""},
		{"Softmax opset 11 coerces to 2-D", func() *gb { g := one("Softmax", 1); g.opset = 11; return g }(),
			map[string]*runtime.Tensor{"x": f32(sh(1, 2, 2), 1, 2, 3, 4)}, f32(sh(1, 2, 2), sm1234...), ""},
		{"LogSoftmax", one("LogSoftmax", 1), map[string]*runtime.Tensor{"x": f32(sh(3), 1, 2, 3)}, f32(sh(3), lsm...), ""},
		{"ReduceSum axes input", one("ReduceSum", 2, aInt("keepdims", 0)),
			map[string]*runtime.Tensor{"x": f32(sh(2, 3), 1, 2, 3, 4, 5, 6), "y": i64(sh(1), 1)}, f32(sh(2), 6, 15), ""},
		{"ReduceSum keepdims negative axis", one("ReduceSum", 2),
			map[string]*runtime.Tensor{"x": f32(sh(2, 3), 1, 2, 3, 4, 5, 6), "y": i64(sh(1), -2)}, f32(sh(1, 3), 5, 7, 9), ""},
		{"ReduceSum all", one("ReduceSum", 1, aInt("keepdims", 0)),
			map[string]*runtime.Tensor{"x": f32(sh(2, 2), 1, 2, 3, 4)}, f32(sh(), 10), ""},
		{"ReduceSum noop", one("ReduceSum", 1, aInt("noop_with_empty_axes", 1)),
			map[string]*runtime.Tensor{"x": f32(sh(2), 1, 2)}, f32(sh(2), 1, 2), ""},
		{"ReduceSum attr axes opset 11", func() *gb { g := one("ReduceSum", 1, aInts("axes", 1), aInt("keepdims", 0)); g.opset = 11; return g }(),
			map[string]*runtime.Tensor{"x": f32(sh(2, 3), 1, 2, 3, 4, 5, 6)}, f32(sh(2), 6, 15), ""},
		{"ReduceSum non-contiguous", one("ReduceSum", 2, aInt("keepdims", 0)),
			map[string]*runtime.Tensor{"x": f32(sh(2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8), "y": i64(sh(2), 0, 2)}, f32(sh(2), 14, 22), ""},
		{"ReduceSum int64 seq", one("ReduceSum", 2, aInt("keepdims", 1)),
			map[string]*runtime.Tensor{"x": i64(sh(2, 3), 1, 0, 1, 1, 1, 1), "y": i64(sh(1), 1)}, i64(sh(2, 1), 2, 3), ""},
		{"ReduceSum bad axis", one("ReduceSum", 2),
			map[string]*runtime.Tensor{"x": f32(sh(2), 1, 2), "y": i64(sh(1), 1)}, nil, "axis 1 out of range"},
		{"ReduceMean attr", one("ReduceMean", 1, aInts("axes", 0), aInt("keepdims", 0)),
			map[string]*runtime.Tensor{"x": f32(sh(2, 2), 1, 2, 4, 6)}, f32(sh(2), 2.5, 4), ""},
		{"ReduceMax", one("ReduceMax", 1, aInts("axes", 1), aInt("keepdims", 0)),
			map[string]*runtime.Tensor{"x": f32(sh(2, 2), -5, -7, 4, 6)}, f32(sh(2), -5, 6), ""},
		{"ReduceMin", one("ReduceMin", 1, aInts("axes", 1), aInt("keepdims", 0)),
			map[string]*runtime.Tensor{"x": i64(sh(2, 2), 5, 7, 4, 6)}, i64(sh(2), 5, 4), ""},
		{"Gather axis 0", one("Gather", 2), map[string]*runtime.Tensor{
			"x": f32(sh(3, 2), 0, 0, 1, 2, 3, 4), "y": i64(sh(2, 2), 2, 1, 0, -1)},
			f32(sh(2, 2, 2), 3, 4, 1, 2, 0, 0, 3, 4), ""},
		{"Gather axis 1", one("Gather", 2, aInt("axis", 1)), map[string]*runtime.Tensor{
			"x": f32(sh(2, 3), 1, 2, 3, 4, 5, 6), "y": i32(sh(2), 2, 0)},
			f32(sh(2, 2), 3, 1, 6, 4), ""},
		{"Gather scalar index", one("Gather", 2), map[string]*runtime.Tensor{
			"x": i64(sh(3), 7, 8, 9), "y": i64(sh(), 1)}, i64(sh(), 8), ""},
		{"Gather out of range", one("Gather", 2), map[string]*runtime.Tensor{
			"x": f32(sh(2, 1), 1, 2), "y": i64(sh(1), 2)}, nil, "index 2 out of range"},
		{"Unsqueeze input", one("Unsqueeze", 2), map[string]*runtime.Tensor{
			"x": f32(sh(2), 1, 2), "y": i64(sh(2), 0, -1)}, f32(sh(1, 2, 1), 1, 2), ""},
		{"Unsqueeze attr opset 11", func() *gb { g := one("Unsqueeze", 1, aInts("axes", 1)); g.opset = 11; return g }(),
			map[string]*runtime.Tensor{"x": f32(sh(2), 1, 2)}, f32(sh(2, 1), 1, 2), ""},
		{"Squeeze all", one("Squeeze", 1), map[string]*runtime.Tensor{"x": f32(sh(1, 2, 1), 1, 2)}, f32(sh(2), 1, 2), ""},
		{"Squeeze axes", one("Squeeze", 2), map[string]*runtime.Tensor{"x": f32(sh(1, 2, 1), 1, 2), "y": i64(sh(1), 2)},
			f32(sh(1, 2), 1, 2), ""},
		{"Squeeze not one", one("Squeeze", 2), map[string]*runtime.Tensor{"x": f32(sh(1, 2), 1, 2), "y": i64(sh(1), 1)},
			nil, "cannot squeeze"},
		{"Reshape 0 and -1", one("Reshape", 2), map[string]*runtime.Tensor{
			"x": f32(sh(2, 3), 1, 2, 3, 4, 5, 6), "y": i64(sh(3), 0, -1, 1)}, f32(sh(2, 3, 1), 1, 2, 3, 4, 5, 6), ""},
		{"Reshape bad", one("Reshape", 2), map[string]*runtime.Tensor{
			"x": f32(sh(2, 3), 1, 2, 3, 4, 5, 6), "y": i64(sh(1), 4)}, nil, "cannot reshape"},
		{"Flatten", one("Flatten", 1, aInt("axis", 2)), map[string]*runtime.Tensor{
			"x": f32(sh(1, 2, 2), 1, 2, 3, 4)}, f32(sh(2, 2), 1, 2, 3, 4), ""},
		{"Shape", one("Shape", 1), map[string]*runtime.Tensor{"x": f32(sh(2, 3, 0))}, i64(sh(3), 2, 3, 0), ""},
		{"Shape start", one("Shape", 1, aInt("start", -2)), map[string]*runtime.Tensor{"x": f32(sh(2, 3, 1), 1, 2, 3, 4, 5, 6)},
			i64(sh(2), 3, 1), ""},
		{"Identity", one("Identity", 1), map[string]*runtime.Tensor{"x": bools(sh(1), true)}, bools(sh(1), true), ""},
		{"MatMul 2-D", one("MatMul", 2), map[string]*runtime.Tensor{
			"x": f32(sh(2, 3), 1, 2, 3, 4, 5, 6), "y": f32(sh(3, 2), 1, 0, 0, 1, 1, 1)},
			f32(sh(2, 2), 4, 5, 10, 11), ""},
		{"MatMul batched lhs", one("MatMul", 2), map[string]*runtime.Tensor{
			"x": f32(sh(2, 1, 2), 1, 2, 3, 4), "y": f32(sh(2, 1), 10, 1)}, f32(sh(2, 1, 1), 12, 34), ""},
		{"MatMul broadcast batch", one("MatMul", 2), map[string]*runtime.Tensor{
			"x": f32(sh(1, 1, 2), 1, 2), "y": f32(sh(2, 2, 1), 1, 1, 2, 3)}, f32(sh(2, 1, 1), 3, 8), ""},
		{"MatMul vector", one("MatMul", 2), map[string]*runtime.Tensor{
			"x": f32(sh(2), 1, 2), "y": f32(sh(2, 2), 1, 2, 3, 4)}, f32(sh(2), 7, 10), ""},
		{"MatMul mismatch", one("MatMul", 2), map[string]*runtime.Tensor{
			"x": f32(sh(1, 2), 1, 2), "y": f32(sh(3, 1), 1, 2, 3)}, nil, "do not match"},
		{"Gemm transB with bias", one("Gemm", 3, aInt("transB", 1), aFloat("alpha", 2), aFloat("beta", 0.5)),
			map[string]*runtime.Tensor{"x": f32(sh(1, 2), 1, 2), "y": f32(sh(3, 2), 1, 0, 0, 1, 1, 1), "w": f32(sh(3), 2, 4, 6)},
			f32(sh(1, 3), 3, 6, 9), ""},
		{"Gemm transA", one("Gemm", 2, aInt("transA", 1)),
			map[string]*runtime.Tensor{"x": f32(sh(2, 1), 1, 2), "y": f32(sh(2, 2), 1, 2, 3, 4)}, f32(sh(1, 2), 7, 10), ""},
		{"Concat", one("Concat", 2, aInt("axis", 1)),
			map[string]*runtime.Tensor{"x": f32(sh(2, 1), 1, 2), "y": f32(sh(2, 2), 3, 4, 5, 6)}, f32(sh(2, 3), 1, 3, 4, 2, 5, 6), ""},
		{"Transpose", one("Transpose", 1),
			map[string]*runtime.Tensor{"x": f32(sh(2, 3), 1, 2, 3, 4, 5, 6)}, f32(sh(3, 2), 1, 4, 2, 5, 3, 6), ""},
		{"Transpose perm", one("Transpose", 1, aInts("perm", 0, 2, 1)),
			map[string]*runtime.Tensor{"x": f32(sh(1, 2, 2), 1, 2, 3, 4)}, f32(sh(1, 2, 2), 1, 3, 2, 4), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := withInputs(tt.g, tt.in).load(t)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			out, err := m.Run(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Run error %v, want one containing %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "_node") {
					t.Errorf("error %q does not name the node", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			assertTensor(t, out["z"], tt.want, 1e-6)
		})
	}
}

func assertTensor(t *testing.T, got, want *runtime.Tensor, tol float64) {
	t.Helper()
	if got == nil {
		t.Fatal("no output")
	}
	if got.Type != want.Type || !slices.Equal(got.Shape, want.Shape) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Fatal(err)
	}
	switch want.Type {
	case runtime.Float32:
		for i := range want.Float32 {
			if d := math.Abs(float64(got.Float32[i] - want.Float32[i])); !(d <= tol) {
				t.Fatalf("got %v, want %v", got.Float32, want.Float32)
			}
		}
	case runtime.Int64:
		if !slices.Equal(got.Int64, want.Int64) {
			t.Fatalf("got %v, want %v", got.Int64, want.Int64)
		}
	case runtime.Int32:
		if !slices.Equal(got.Int32, want.Int32) {
			t.Fatalf("got %v, want %v", got.Int32, want.Int32)
		}
	case runtime.Bool:
		if !slices.Equal(got.Bool, want.Bool) {
			t.Fatalf("got %v, want %v", got.Bool, want.Bool)
		}
	}
}
