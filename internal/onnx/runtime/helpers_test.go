package runtime_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tweetflow/tweetflow/internal/onnx/onnxpb"
	"github.com/tweetflow/tweetflow/internal/onnx/runtime"
)

// gb builds small test graphs.
type gb struct {
	opset  int64
	nodes  []*onnxpb.NodeProto
	inits  []*onnxpb.TensorProto
	inputs []*onnxpb.ValueInfoProto
	output []string
}

type attr = *onnxpb.AttributeProto

func aInt(name string, v int64) attr {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func aInts(name string, v ...int64) attr {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

func aFloat(name string, v float32) attr {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

func aTensor(name string, t *onnxpb.TensorProto) attr {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: t}
}

func (g *gb) node(op string, in []string, out []string, attrs ...attr) *gb {
	g.nodes = append(g.nodes, &onnxpb.NodeProto{
		OpType: proto.String(op), Name: proto.String(op + "_node"), Input: in, Output: out, Attribute: attrs,
	})
	return g
}

// input declares a graph input; dims < 0 are symbolic, nil dims means no shape.
func (g *gb) input(name string, dt runtime.DataType, dims ...int64) *gb {
	tt := &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(dt))}
	if dims != nil {
		tt.Shape = &onnxpb.TensorShapeProto{}
		for _, d := range dims {
			dim := &onnxpb.TensorShapeProto_Dimension{}
			if d < 0 {
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "n"}
			} else {
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}
			}
			tt.Shape.Dim = append(tt.Shape.Dim, dim)
		}
	}
	g.inputs = append(g.inputs, &onnxpb.ValueInfoProto{Name: proto.String(name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}}})
	return g
}

func (g *gb) init(t *onnxpb.TensorProto) *gb {
	g.inits = append(g.inits, t)
	return g
}

func (g *gb) outputs(names ...string) *gb {
	g.output = append(g.output, names...)
	return g
}

func (g *gb) model() *onnxpb.ModelProto {
	var outs []*onnxpb.ValueInfoProto
	for _, o := range g.output {
		outs = append(outs, &onnxpb.ValueInfoProto{Name: proto.String(o)})
	}
	opset := g.opset
	if opset == 0 {
		opset = 17
	}
	return &onnxpb.ModelProto{
		IrVersion:   proto.Int64(8),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(opset)}},
		Graph: &onnxpb.GraphProto{Name: proto.String("g"), Node: g.nodes, Initializer: g.inits,
			Input: g.inputs, Output: outs},
	}
}

func (g *gb) load(t *testing.T) (*runtime.Model, error) {
	t.Helper()
	b, err := proto.Marshal(g.model())
	if err != nil {
		t.Fatal(err)
	}
	return runtime.LoadBytes(b)
}

func tF32(name string, dims []int64, v ...float32) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Dims: dims, FloatData: v}
}

func tI64(name string, dims []int64, v ...int64) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Dims: dims, Int64Data: v}
}

func f32(shape []int, v ...float32) *runtime.Tensor {
	return &runtime.Tensor{Type: runtime.Float32, Shape: shape, Float32: v}
}

func i64(shape []int, v ...int64) *runtime.Tensor {
	return &runtime.Tensor{Type: runtime.Int64, Shape: shape, Int64: v}
}

func i32(shape []int, v ...int32) *runtime.Tensor {
	return &runtime.Tensor{Type: runtime.Int32, Shape: shape, Int32: v}
}

func bools(shape []int, v ...bool) *runtime.Tensor {
	return &runtime.Tensor{Type: runtime.Bool, Shape: shape, Bool: v}
}

func sh(d ...int) []int { return append([]int{}, d...) }
