package onnx_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tweetflow/tweetflow/internal/onnx"
	"github.com/tweetflow/tweetflow/internal/onnx/onnxpb"
	"github.com/tweetflow/tweetflow/internal/onnx/onnxtest"
)

func decode(t *testing.T, b []byte) *onnxpb.ModelProto {
	t.Helper()
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(b, &m); err != nil {
		t.Fatalf("decoding exported model: %v", err)
	}
	return &m
}

func TestExportStructure(t *testing.T) {
	for _, spec := range []onnxtest.Spec{
		{Rows: 50, Dim: 8, Classes: 3},
		{Rows: 50, Dim: 8, Hidden: 5, Classes: 2},
	} {
		t.Run(spec.String(), func(t *testing.T) {
			c := onnxtest.Classifier(1, spec)
			b, err := onnx.Export(c,
				onnx.WithModelVersion(7),
				onnx.WithProducer("tweetflow-test", "v1.2.3"),
				onnx.WithDocString("model doc"),
				onnx.WithMetadata("tokenizer", `{"ngrams":2}`),
				onnx.WithMetadataMap(map[string]string{"b": "2", "a": "1"}),
			)
			if err != nil {
				t.Fatal(err)
			}
			m := decode(t, b)
			if m.GetIrVersion() != onnx.IRVersion || len(m.OpsetImport) != 1 || m.OpsetImport[0].GetVersion() != onnx.Opset {
				t.Errorf("ir %d opsets %v", m.GetIrVersion(), m.OpsetImport)
			}
			if m.GetModelVersion() != 7 || m.GetProducerName() != "tweetflow-test" ||
				m.GetProducerVersion() != "v1.2.3" || m.GetDocString() != "model doc" {
				t.Errorf("model fields: version %d producer %q %q doc %q",
					m.GetModelVersion(), m.GetProducerName(), m.GetProducerVersion(), m.GetDocString())
			}
			var keys []string
			props := map[string]string{}
			for _, p := range m.MetadataProps {
				keys = append(keys, p.GetKey())
				props[p.GetKey()] = p.GetValue()
			}
			if want := []string{"a", "b", "labels", "tokenizer"}; !slices.Equal(keys, want) {
				t.Errorf("metadata keys %v, want %v (sorted)", keys, want)
			}
			var labels []string
			if err := json.Unmarshal([]byte(props["labels"]), &labels); err != nil || !slices.Equal(labels, c.Labels) {
				t.Errorf("labels metadata %q (%v), want %v", props["labels"], err, c.Labels)
			}
			if props["tokenizer"] != `{"ngrams":2}` {
				t.Errorf("tokenizer metadata %q", props["tokenizer"])
			}

			g := m.GetGraph()
			if len(g.Input) != 1 || g.Input[0].GetName() != onnx.InputName || g.Input[0].GetDocString() == "" {
				t.Fatalf("inputs %v", g.Input)
			}
			in := g.Input[0].GetType().GetTensorType()
			if in.GetElemType() != int32(onnxpb.TensorProto_INT64) || len(in.GetShape().GetDim()) != 2 ||
				in.GetShape().GetDim()[0].GetDimParam() != "batch" || in.GetShape().GetDim()[1].GetDimParam() != "seq" {
				t.Errorf("input type %v", in)
			}
			if len(g.Output) != 1 || g.Output[0].GetName() != onnx.OutputName {
				t.Fatalf("outputs %v", g.Output)
			}
			out := g.Output[0].GetType().GetTensorType()
			if out.GetElemType() != int32(onnxpb.TensorProto_FLOAT) || out.GetShape().GetDim()[0].GetDimParam() != "batch" ||
				out.GetShape().GetDim()[1].GetDimValue() != int64(spec.Classes) {
				t.Errorf("output type %v", out)
			}
			if !strings.Contains(g.Output[0].GetDocString(), "class1") {
				t.Errorf("output doc %q does not list labels", g.Output[0].GetDocString())
			}

			inits := map[string]*onnxpb.TensorProto{}
			for _, x := range g.Initializer {
				inits[x.GetName()] = x
			}
			checkF32 := func(name string, want []float32, dims ...int64) {
				t.Helper()
				x := inits[name]
				if x == nil {
					t.Errorf("no initializer %q", name)
					return
				}
				if !slices.Equal(x.Dims, dims) || x.GetDataType() != int32(onnxpb.TensorProto_FLOAT) {
					t.Errorf("%s: dims %v type %d", name, x.Dims, x.GetDataType())
				}
				if len(x.FloatData) != 0 || len(x.RawData) != 4*len(want) {
					t.Fatalf("%s: %d raw bytes, %d float_data", name, len(x.RawData), len(x.FloatData))
				}
				for i, w := range want {
					if got := math.Float32frombits(binary.LittleEndian.Uint32(x.RawData[4*i:])); got != w {
						t.Fatalf("%s[%d] = %v, want %v", name, i, got, w)
					}
				}
			}
			checkF32("embedding", c.Embedding, int64(c.Rows), int64(c.Dim))
			checkF32("output_weight", c.Output.W, int64(c.Output.In), int64(c.Output.Out))
			checkF32("output_bias", c.Output.B, int64(c.Output.Out))
			if c.Hidden != nil {
				checkF32("hidden_weight", c.Hidden.W, int64(c.Hidden.In), int64(c.Hidden.Out))
				checkF32("hidden_bias", c.Hidden.B, int64(c.Hidden.Out))
			} else if inits["hidden_weight"] != nil {
				t.Error("hidden weights exported for a classifier without a hidden layer")
			}
			var ops []string
			for _, n := range g.Node {
				ops = append(ops, n.GetOpType())
			}
			if c.Hidden != nil != slices.Contains(ops, "Relu") {
				t.Errorf("ops %v with hidden=%v", ops, c.Hidden != nil)
			}
		})
	}
}

func TestExportDeterministic(t *testing.T) {
	c := onnxtest.Classifier(3, onnxtest.Spec{Rows: 30, Dim: 4, Hidden: 3, Classes: 3})
	opts := []onnx.Option{onnx.WithMetadataMap(map[string]string{"x": "1", "y": "2", "z": "3", "w": "4"})}
	a, err := onnx.Export(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		b, err := onnx.Export(c, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatal("two exports of the same classifier differ")
		}
	}
}

func TestExportLabelsOverride(t *testing.T) {
	c := onnxtest.Classifier(3, onnxtest.Spec{Rows: 10, Dim: 2, Classes: 2})
	b, err := onnx.Export(c, onnx.WithMetadata(onnx.LabelsKey, `["neg","pos"]`))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range decode(t, b).MetadataProps {
		if p.GetKey() == onnx.LabelsKey && p.GetValue() != `["neg","pos"]` {
			t.Errorf("labels = %q, want the explicit value", p.GetValue())
		}
	}
}

func TestValidate(t *testing.T) {
	good := func() *onnx.Classifier {
		return onnxtest.Classifier(5, onnxtest.Spec{Rows: 6, Dim: 3, Hidden: 4, Classes: 2})
	}
	tests := []struct {
		name   string
		mutate func(c *onnx.Classifier)
		want   string // substring of the error; "" means valid
	}{
		{"valid", func(*onnx.Classifier) {}, ""},
		{"no hidden", func(c *onnx.Classifier) {
			c.Hidden = nil
			c.Output = onnx.Dense{In: 3, Out: 2, W: make([]float32, 6), B: make([]float32, 2)}
		}, ""},
		{"embedding size", func(c *onnx.Classifier) { c.Embedding = c.Embedding[:5] }, "embedding has 5 values"},
		{"zero rows", func(c *onnx.Classifier) { c.Rows = 0 }, "must be positive"},
		{"padding row", func(c *onnx.Classifier) { c.Embedding[1] = 0.5 }, "padding row 0"},
		{"hidden in", func(c *onnx.Classifier) { c.Hidden.In = 2 }, "hidden layer takes 2 inputs"},
		{"hidden bias", func(c *onnx.Classifier) { c.Hidden.B = c.Hidden.B[:1] }, "hidden bias has 1 values"},
		{"output in", func(c *onnx.Classifier) { c.Output.In = 3 }, "output layer takes 3 inputs"},
		{"output weights", func(c *onnx.Classifier) { c.Output.W = nil }, "output weights have 0 values"},
		{"labels", func(c *onnx.Classifier) { c.Labels = []string{"a"} }, "1 labels for 2 classes"},
		{"no labels", func(c *onnx.Classifier) { c.Labels = nil }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.mutate(c)
			err := c.Validate()
			_, expErr := onnx.Export(c)
			switch {
			case tt.want == "" && (err != nil || expErr != nil):
				t.Errorf("Validate = %v, Export = %v, want valid", err, expErr)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate = %v, want error containing %q", err, tt.want)
			case tt.want != "" && expErr == nil:
				t.Error("Export accepted an invalid classifier")
			}
		})
	}
}

// TestDebianChecker runs onnx.checker.check_model(full_check=True) from
// Debian's python3-onnx on exported models. Skipped when /usr/bin/python3
// cannot import onnx.
func TestDebianChecker(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import onnx").Run(); err != nil {
		t.Skipf("%s cannot import onnx (apt-get install python3-onnx): %v", py, err)
	}
	dir := t.TempDir()
	for _, spec := range []onnxtest.Spec{
		{Rows: 40, Dim: 6, Classes: 3},
		{Rows: 40, Dim: 6, Hidden: 4, Classes: 2},
	} {
		b, err := onnx.Export(onnxtest.Classifier(9, spec), onnx.WithMetadata("tokenizer", "{}"), onnx.WithDocString("d"))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, spec.String()+".onnx")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "-c",
			"import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print('ok', m.ir_version)",
			path).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "ok 8") {
			t.Errorf("%s: checker failed: %v\n%s", spec, err, out)
		}
	}
}
