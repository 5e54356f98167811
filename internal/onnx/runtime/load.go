package runtime

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/tweetflow/tweetflow/internal/onnx/onnxpb"
)

// Dim is one dimension of a declared input or output shape: a fixed Value,
// or a symbolic Param (Value -1), or unknown (Value -1, Param "").
type Dim struct {
	Value int
	Param string
}

func (d Dim) String() string {
	switch {
	case d.Value >= 0:
		return fmt.Sprint(d.Value)
	case d.Param != "":
		return d.Param
	}
	return "?"
}

// ValueInfo describes a graph input or output.
type ValueInfo struct {
	Name string
	Type DataType
	// Shape is nil when the model declares no shape (any rank).
	Shape []Dim
	Doc   string
}

// Info is the model-level metadata.
type Info struct {
	IRVersion       int64
	Opsets          map[string]int64 // domain ("" is the default) -> version
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	Doc             string
	GraphName       string
	GraphDoc        string
	// Metadata holds the model's metadata_props.
	Metadata map[string]string
}

// Model is a loaded, compiled ONNX model. It is immutable and safe for
// concurrent use.
type Model struct {
	info    Info
	inputs  []ValueInfo
	outputs []ValueInfo

	nslots   int
	consts   map[int]*Tensor // slot -> constant (initializers and folded nodes)
	inSlots  []int           // per inputs[i]
	outSlots []int           // per outputs[i]
	defaults map[int]*Tensor // input slot -> initializer used when the input is not given
	nodes    []*node         // topologically sorted, constant nodes removed
	nnodes   int             // len of the model's node list (node.index bound)

	pool sync.Pool
}

// Load reads and compiles an ONNX model.
func Load(r io.Reader) (*Model, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading onnx model: %w", err)
	}
	return LoadBytes(b)
}

// LoadBytes compiles an ONNX model held in memory.
func LoadBytes(b []byte) (*Model, error) {
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		return nil, fmt.Errorf("decoding onnx model: %w", err)
	}
	return compile(&mp)
}

// Info returns the model metadata; the maps are copies.
func (m *Model) Info() Info {
	i := m.info
	i.Opsets = maps.Clone(m.info.Opsets)
	i.Metadata = maps.Clone(m.info.Metadata)
	return i
}

// Metadata returns the value of a metadata_props key.
func (m *Model) Metadata(key string) (string, bool) {
	v, ok := m.info.Metadata[key]
	return v, ok
}

// Inputs describes the graph inputs the caller may feed (inputs that are
// also initializers are included; they fall back to the initializer).
func (m *Model) Inputs() []ValueInfo { return cloneInfos(m.inputs) }

// Outputs describes the graph outputs.
func (m *Model) Outputs() []ValueInfo { return cloneInfos(m.outputs) }

func cloneInfos(v []ValueInfo) []ValueInfo {
	out := make([]ValueInfo, len(v))
	for i, x := range v {
		x.Shape = append([]Dim(nil), x.Shape...)
		out[i] = x
	}
	return out
}

func valueInfo(v *onnxpb.ValueInfoProto) (ValueInfo, error) {
	vi := ValueInfo{Name: v.GetName(), Doc: v.GetDocString()}
	tt := v.GetType().GetTensorType()
	if tt == nil {
		if v.GetType() != nil && v.GetType().GetValue() != nil {
			return vi, fmt.Errorf("value %q is not a tensor", vi.Name)
		}
		return vi, nil
	}
	vi.Type = DataType(tt.GetElemType())
	if s := tt.GetShape(); s != nil {
		vi.Shape = make([]Dim, len(s.GetDim()))
		for i, d := range s.GetDim() {
			vi.Shape[i] = Dim{Value: -1, Param: d.GetDimParam()}
			if _, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok {
				vi.Shape[i].Value = int(d.GetDimValue())
			}
		}
	}
	return vi, nil
}

// tensorFromProto decodes an initializer or Constant value.
func tensorFromProto(tp *onnxpb.TensorProto) (*Tensor, error) {
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL || len(tp.GetExternalData()) > 0 {
		return nil, errors.New("external data is not supported")
	}
	if tp.GetSegment() != nil {
		return nil, errors.New("segmented tensors are not supported")
	}
	t := &Tensor{Type: DataType(tp.GetDataType()), Shape: make([]int, len(tp.GetDims()))}
	for i, d := range tp.GetDims() {
		if d < 0 || d > math.MaxInt32 {
			return nil, fmt.Errorf("bad dimension %d", d)
		}
		t.Shape[i] = int(d)
	}
	if !t.Type.supported() {
		return nil, fmt.Errorf("unsupported data type %s", t.Type)
	}
	n := t.Len()
	raw := tp.GetRawData()
	if raw != nil {
		size := map[DataType]int{Float32: 4, Float64: 8, Int32: 4, Int64: 8, Bool: 1}[t.Type]
		if len(raw) != n*size {
			return nil, fmt.Errorf("raw_data has %d bytes, shape %v of %s needs %d", len(raw), t.Shape, t.Type, n*size)
		}
		rd := bytes.NewReader(raw)
		var err error
		switch t.Type {
		case Float32:
			t.Float32 = make([]float32, n)
			err = binary.Read(rd, binary.LittleEndian, t.Float32)
		case Float64:
			t.Float64 = make([]float64, n)
			err = binary.Read(rd, binary.LittleEndian, t.Float64)
		case Int32:
			t.Int32 = make([]int32, n)
			err = binary.Read(rd, binary.LittleEndian, t.Int32)
		case Int64:
			t.Int64 = make([]int64, n)
			err = binary.Read(rd, binary.LittleEndian, t.Int64)
		case Bool:
			t.Bool = make([]bool, n)
			for i, c := range raw {
				t.Bool[i] = c != 0
			}
		}
		if err != nil {
			return nil, fmt.Errorf("decoding raw_data: %w", err)
		}
		return t, nil
	}
	switch t.Type {
	case Float32:
		t.Float32 = append([]float32{}, tp.GetFloatData()...)
	case Float64:
		t.Float64 = append([]float64{}, tp.GetDoubleData()...)
	case Int64:
		t.Int64 = append([]int64{}, tp.GetInt64Data()...)
	case Int32:
		t.Int32 = append([]int32{}, tp.GetInt32Data()...)
	case Bool:
		for _, v := range tp.GetInt32Data() {
			t.Bool = append(t.Bool, v != 0)
		}
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// attrs gives typed access to a node's attributes.
type attrs map[string]*onnxpb.AttributeProto

func (a attrs) has(name string) bool { return a[name] != nil }

func (a attrs) int(name string, def int64) int64 {
	if x := a[name]; x != nil {
		return x.GetI()
	}
	return def
}

func (a attrs) float(name string, def float32) float32 {
	if x := a[name]; x != nil {
		return x.GetF()
	}
	return def
}

func (a attrs) ints(name string) []int64 {
	if x := a[name]; x != nil {
		return x.GetInts()
	}
	return nil
}
