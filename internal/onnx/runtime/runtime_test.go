package runtime_test

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/tweetflow/tweetflow/internal/onnx"
	"github.com/tweetflow/tweetflow/internal/onnx/onnxtest"
	"github.com/tweetflow/tweetflow/internal/onnx/runtime"
)

func flatten(ids [][]int64) *runtime.Tensor {
	seq := len(ids[0])
	flat := make([]int64, 0, len(ids)*seq)
	for _, r := range ids {
		flat = append(flat, r...)
	}
	return i64(sh(len(ids), seq), flat...)
}

func maxDiff(t *testing.T, out *runtime.Tensor, want [][]float32) float64 {
	t.Helper()
	if out == nil || out.Type != runtime.Float32 || len(out.Shape) != 2 || out.Shape[0] != len(want) {
		t.Fatalf("output %v for %d rows", out, len(want))
	}
	c := out.Shape[1]
	var d float64
	for i, row := range want {
		if len(row) != c {
			t.Fatalf("%d classes, want %d", c, len(row))
		}
		for j, w := range row {
			x := math.Abs(float64(out.Float32[i*c+j] - w))
			if math.IsNaN(x) {
				t.Fatalf("NaN at [%d][%d]", i, j)
			}
			d = max(d, x)
		}
	}
	return d
}

// TestClassifierMatchesPredict runs exported classifiers through one
// Session with changing batch and sequence sizes (exercising buffer reuse)
// and compares with the reference Predict.
func TestClassifierMatchesPredict(t *testing.T) {
	for i, spec := range []onnxtest.Spec{
		{Rows: 500, Dim: 32, Classes: 3},
		{Rows: 500, Dim: 32, Hidden: 16, Classes: 2},
		{Rows: 3, Dim: 1, Classes: 2},
	} {
		t.Run(spec.String(), func(t *testing.T) {
			c := onnxtest.Classifier(uint64(i), spec)
			raw, err := onnx.Export(c)
			if err != nil {
				t.Fatal(err)
			}
			m, err := runtime.Load(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			s := m.NewSession()
			for j, shape := range [][2]int{{64, 20}, {1, 5}, {300, 40}, {3, 1}, {64, 20}, {2, 0}} {
				var ids [][]int64
				if shape[1] == 0 {
					ids = [][]int64{{}, {}}
				} else {
					ids = onnxtest.IDs(uint64(j), shape[0], shape[1], spec.Rows)
				}
				out, err := s.Run(map[string]*runtime.Tensor{onnx.InputName: flatten2(ids, shape[1])})
				if err != nil {
					t.Fatal(err)
				}
				if d := maxDiff(t, out[onnx.OutputName], c.Predict(ids)); d > 1e-6 {
					t.Errorf("batch %v: max abs diff to Predict %.3g", shape, d)
				}
			}
		})
	}
}

func flatten2(ids [][]int64, seq int) *runtime.Tensor {
	flat := make([]int64, 0, len(ids)*seq)
	for _, r := range ids {
		flat = append(flat, r...)
	}
	return i64(sh(len(ids), seq), flat...)
}

// TestAllPaddingRow checks that a row without tokens scores like a zero
// pooled vector, i.e. softmax of the bias path.
func TestAllPaddingRow(t *testing.T) {
	c := onnxtest.Classifier(4, onnxtest.Spec{Rows: 10, Dim: 4, Classes: 3})
	raw, err := onnx.Export(c)
	if err != nil {
		t.Fatal(err)
	}
	m, err := runtime.LoadBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Run(map[string]*runtime.Tensor{onnx.InputName: i64(sh(1, 4), 0, 0, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	b := c.Output.B
	mx := max(b[0], b[1], b[2])
	var sum float64
	for _, v := range b {
		sum += math.Exp(float64(v - mx))
	}
	want := make([]float32, 3)
	for i, v := range b {
		want[i] = float32(math.Exp(float64(v-mx)) / sum)
	}
	if d := maxDiff(t, out[onnx.OutputName], [][]float32{want}); d > 1e-6 {
		t.Errorf("all-padding row: got %v, want softmax(b2) = %v", out[onnx.OutputName].Float32, want)
	}
}

func TestConcurrentRun(t *testing.T) {
	c := onnxtest.Classifier(8, onnxtest.Spec{Rows: 200, Dim: 16, Hidden: 8, Classes: 3})
	raw, err := onnx.Export(c)
	if err != nil {
		t.Fatal(err)
	}
	m, err := runtime.LoadBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 20 {
				ids := onnxtest.IDs(uint64(100*g+k), 1+k%5, 3+g, c.Rows)
				out, err := m.Run(map[string]*runtime.Tensor{onnx.InputName: flatten(ids)})
				if err != nil {
					errs <- err
					return
				}
				want := c.Predict(ids)
				p := out[onnx.OutputName]
				for i := range want {
					for j := range want[i] {
						if d := math.Abs(float64(p.Float32[i*3+j] - want[i][j])); d > 1e-6 {
							errs <- fmt.Errorf("goroutine %d: diff %g", g, d)
							return
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestInfo(t *testing.T) {
	c := onnxtest.Classifier(2, onnxtest.Spec{Rows: 10, Dim: 4, Classes: 3})
	raw, err := onnx.Export(c, onnx.WithProducer("p", "1.0"), onnx.WithModelVersion(3),
		onnx.WithDocString("doc"), onnx.WithMetadata("tokenizer", `{"lower":true}`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := runtime.LoadBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	info := m.Info()
	if info.ProducerName != "p" || info.ProducerVersion != "1.0" || info.ModelVersion != 3 || info.Doc != "doc" ||
		info.IRVersion != onnx.IRVersion || info.Opsets[""] != onnx.Opset {
		t.Errorf("info %+v", info)
	}
	if v, ok := m.Metadata("tokenizer"); !ok || v != `{"lower":true}` {
		t.Errorf("tokenizer metadata %q %v", v, ok)
	}
	if v, _ := m.Metadata(onnx.LabelsKey); v != `["class0","class1","class2"]` {
		t.Errorf("labels metadata %q", v)
	}
	info.Metadata["tokenizer"] = "changed"
	if v, _ := m.Metadata("tokenizer"); v == "changed" {
		t.Error("Info returned the model's own metadata map")
	}
	in, out := m.Inputs(), m.Outputs()
	if len(in) != 1 || in[0].Name != onnx.InputName || in[0].Type != runtime.Int64 ||
		fmt.Sprint(in[0].Shape) != "[batch seq]" || in[0].Doc == "" {
		t.Errorf("inputs %+v", in)
	}
	if len(out) != 1 || out[0].Name != onnx.OutputName || out[0].Type != runtime.Float32 ||
		fmt.Sprint(out[0].Shape) != "[batch 3]" {
		t.Errorf("outputs %+v", out)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		g    *gb
		want string
	}{
		{"unsupported op", (&gb{}).input("x", runtime.Float32).node("Conv", []string{"x"}, []string{"z"}).outputs("z"),
			`node "Conv_node" (Conv, #0): unsupported operator "Conv"`},
		{"unknown value", (&gb{}).input("x", runtime.Float32).node("Relu", []string{"nope"}, []string{"z"}).outputs("z"),
			`reads "nope"`},
		{"cycle", (&gb{}).input("x", runtime.Float32).
			node("Add", []string{"x", "b"}, []string{"a"}).node("Relu", []string{"a"}, []string{"b"}).outputs("a"),
			"cycle"},
		{"duplicate", (&gb{}).input("x", runtime.Float32).
			node("Relu", []string{"x"}, []string{"a"}).node("Neg", []string{"x"}, []string{"a"}).outputs("a"),
			`value "a" is defined twice`},
		{"missing output", (&gb{}).input("x", runtime.Float32).node("Relu", []string{"x"}, []string{"z"}).outputs("q"),
			`graph output "q" is never computed`},
		{"unsupported type", (&gb{}).input("x", runtime.DataType(10)).node("Relu", []string{"x"}, []string{"z"}).outputs("z"),
			"FLOAT16"},
		{"cast target", (&gb{}).input("x", runtime.Float32).node("Cast", []string{"x"}, []string{"z"}, aInt("to", 8)).outputs("z"),
			"unsupported target type STRING"},
		{"bad initializer", (&gb{}).init(tF32("w", []int64{3}, 1, 2)).input("x", runtime.Float32).
			node("Add", []string{"x", "w"}, []string{"z"}).outputs("z"), `initializer "w"`},
		{"folding error", (&gb{}).init(tF32("w", []int64{2}, 1, 2)).init(tF32("v", []int64{3}, 1, 2, 3)).
			node("Add", []string{"w", "v"}, []string{"z"}).outputs("z"), "folding constant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.g.load(t)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := runtime.LoadBytes([]byte("not a model")); err == nil {
		t.Error("LoadBytes accepted garbage")
	}
}

func TestRunInputErrors(t *testing.T) {
	g := (&gb{}).input("x", runtime.Float32, -1, 2).node("Relu", []string{"x"}, []string{"z"}).outputs("z")
	m, err := g.load(t)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   map[string]*runtime.Tensor
		want string
	}{
		{"missing", map[string]*runtime.Tensor{}, `missing input "x"`},
		{"unknown", map[string]*runtime.Tensor{"x": f32(sh(1, 2), 1, 2), "y": f32(sh(1), 1)}, `unknown input "y"`},
		{"type", map[string]*runtime.Tensor{"x": i64(sh(1, 2), 1, 2)}, "type INT64, model wants FLOAT"},
		{"rank", map[string]*runtime.Tensor{"x": f32(sh(2), 1, 2)}, "rank 1"},
		{"fixed dim", map[string]*runtime.Tensor{"x": f32(sh(1, 3), 1, 2, 3)}, "model wants [n 2]"},
		{"data length", map[string]*runtime.Tensor{"x": f32(sh(2, 2), 1, 2)}, "needs 4 FLOAT values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Run(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run error %v, want one containing %q", err, tt.want)
			}
		})
	}
	out, err := m.Run(map[string]*runtime.Tensor{"x": f32(sh(3, 2), -1, 2, -3, 4, -5, 6)})
	if err != nil {
		t.Fatal(err)
	}
	assertTensor(t, out["z"], f32(sh(3, 2), 0, 2, 0, 4, 0, 6), 0)
}

// TestGraphFeatures covers out-of-order nodes, Constant nodes, constant
// folding of a Shape/Gather/Concat chain, and an initializer that is also a
// graph input (a default the caller may override).
func TestGraphFeatures(t *testing.T) {
	g := (&gb{}).
		input("x", runtime.Float32, -1, -1).
		input("bias", runtime.Float32).
		init(tF32("bias", []int64{1}, 100)).
		init(tF32("c", []int64{2, 3})).
		// Listed consumer-first to exercise the topological sort.
		node("Add", []string{"r", "bias"}, []string{"z"}).
		node("Reshape", []string{"x", "shape"}, []string{"r"}).
		node("Concat", []string{"minus1", "dim1"}, []string{"shape"}, aInt("axis", 0)).
		node("Gather", []string{"cshape", "one"}, []string{"dim1"}, aInt("axis", 0)).
		node("Shape", []string{"c"}, []string{"cshape"}).
		node("Constant", nil, []string{"one"}, aTensor("value", tI64("", []int64{1}, 1))).
		node("Constant", nil, []string{"minus1"}, aInts("value_ints", -1)).
		outputs("z", "shape")
	g.inits[1].FloatData = make([]float32, 6)
	m, err := g.load(t)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Inputs()) != 2 {
		t.Errorf("inputs %+v", m.Inputs())
	}
	out, err := m.Run(map[string]*runtime.Tensor{"x": f32(sh(2, 3), 1, 2, 3, 4, 5, 6)})
	if err != nil {
		t.Fatal(err)
	}
	assertTensor(t, out["z"], f32(sh(2, 3), 101, 102, 103, 104, 105, 106), 0)
	assertTensor(t, out["shape"], i64(sh(2), -1, 3), 0)
	out, err = m.Run(map[string]*runtime.Tensor{"x": f32(sh(1, 3), 1, 2, 3), "bias": f32(sh(1), 1)})
	if err != nil {
		t.Fatal(err)
	}
	assertTensor(t, out["z"], f32(sh(1, 3), 2, 3, 4), 0)
}

// TestModelRunOutputsOwned checks that Model.Run results survive later runs.
func TestModelRunOutputsOwned(t *testing.T) {
	m, err := one("Relu", 1).input("x", runtime.Float32).load(t)
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.Run(map[string]*runtime.Tensor{"x": f32(sh(2), 1, 2)})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := m.Run(map[string]*runtime.Tensor{"x": f32(sh(2), 5, 6)}); err != nil {
			t.Fatal(err)
		}
	}
	assertTensor(t, a["z"], f32(sh(2), 1, 2), 0)
}

func TestSupportedOps(t *testing.T) {
	ops := runtime.SupportedOps()
	for _, op := range []string{"Gather", "ReduceSum", "ReduceMean", "Equal", "Not", "Cast", "Max", "Div", "MatMul",
		"Gemm", "Add", "Relu", "Softmax", "Unsqueeze", "Reshape", "Identity", "Constant", "Shape"} {
		if !strings.Contains(strings.Join(ops, " ")+" ", op+" ") {
			t.Errorf("SupportedOps lacks %s", op)
		}
	}
}
