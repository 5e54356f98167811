package onnx

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/tweetflow/tweetflow/internal/onnx/onnxpb"
)

// Versions written by Export. IR 8 with opset 17 is the newest pair that
// Debian's onnx 1.12 checker accepts; ONNX Runtime 1.30 runs it.
const (
	IRVersion = 8
	Opset     = 17
)

// Names of the graph inputs and outputs (the serving contract).
const (
	InputName  = "token_ids"
	OutputName = "probabilities"
	// LabelsKey is the metadata key holding the JSON array of class labels.
	LabelsKey = "labels"
)

// Option configures Export.
type Option func(*exportConfig)

type exportConfig struct {
	modelVersion    int64
	producerName    string
	producerVersion string
	domain          string
	graphName       string
	docString       string
	graphDoc        string
	metadata        map[string]string
}

// WithModelVersion sets ModelProto.model_version.
func WithModelVersion(v int64) Option { return func(c *exportConfig) { c.modelVersion = v } }

// WithProducer sets the producer name and version (default "tweetflow", "").
func WithProducer(name, version string) Option {
	return func(c *exportConfig) { c.producerName, c.producerVersion = name, version }
}

// WithDocString sets the model's doc string.
func WithDocString(s string) Option { return func(c *exportConfig) { c.docString = s } }

// WithMetadata adds a metadata_props entry, e.g. the tokenizer settings as
// JSON. Later calls with the same key win; an explicit LabelsKey entry
// replaces the one Export derives from Classifier.Labels.
func WithMetadata(key, value string) Option {
	return func(c *exportConfig) { c.metadata[key] = value }
}

// WithMetadataMap adds every entry of m as WithMetadata does.
func WithMetadataMap(m map[string]string) Option {
	return func(c *exportConfig) {
		for k, v := range m {
			c.metadata[k] = v
		}
	}
}

// Export serialises c as an ONNX model (see the package documentation for
// the graph). Metadata props are written sorted by key, and the encoding is
// deterministic: the same classifier and options give the same bytes.
func Export(c *Classifier, opts ...Option) ([]byte, error) {
	m, err := Model(c, opts...)
	if err != nil {
		return nil, err
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding onnx model: %w", err)
	}
	return b, nil
}

// Model builds the ModelProto that Export serialises.
func Model(c *Classifier, opts ...Option) (*onnxpb.ModelProto, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("exporting classifier: %w", err)
	}
	cfg := exportConfig{
		producerName: "tweetflow",
		domain:       "tweetflow",
		graphName:    "tweetflow_classifier",
		metadata:     map[string]string{},
	}
	if len(c.Labels) > 0 {
		j, err := json.Marshal(c.Labels)
		if err != nil {
			return nil, fmt.Errorf("encoding labels: %w", err)
		}
		cfg.metadata[LabelsKey] = string(j)
	}
	for _, o := range opts {
		o(&cfg)
	}

	g := &graphBuilder{}
	classes := c.Output.Out

	g.initF32("embedding", c.Embedding, c.Rows, c.Dim)
	g.initI64("zero_id", []int64{0})
	g.initI64("seq_axis", []int64{1}, 1)
	g.initF32("one", []float32{1})

	g.node("Gather", "gather_embeddings", "Looks up the embedding row of every token id.",
		[]string{"embedding", InputName}, "token_vectors", attrInt("axis", 0))
	g.node("ReduceSum", "sum_tokens", "Sums the token vectors of each row (padding rows are zero).",
		[]string{"token_vectors", "seq_axis"}, "vector_sum", attrInt("keepdims", 0))
	g.node("Equal", "is_padding", "", []string{InputName, "zero_id"}, "padding_mask")
	g.node("Not", "is_token", "", []string{"padding_mask"}, "token_mask_bool")
	g.node("Cast", "token_mask", "", []string{"token_mask_bool"}, "token_mask",
		attrInt("to", int64(onnxpb.TensorProto_FLOAT)))
	g.node("ReduceSum", "count_tokens", "Counts the non-padding ids of each row.",
		[]string{"token_mask", "seq_axis"}, "token_count", attrInt("keepdims", 1))
	g.node("Max", "clamp_count", "Avoids dividing by zero for all-padding rows.",
		[]string{"token_count", "one"}, "divisor")
	g.node("Div", "mean_tokens", "Mean of the non-padding token vectors.",
		[]string{"vector_sum", "divisor"}, "pooled")

	x := "pooled"
	if h := c.Hidden; h != nil {
		g.initF32("hidden_weight", h.W, h.In, h.Out)
		g.initF32("hidden_bias", h.B, h.Out)
		g.node("MatMul", "hidden_matmul", "", []string{x, "hidden_weight"}, "hidden_mm")
		g.node("Add", "hidden_add", "", []string{"hidden_mm", "hidden_bias"}, "hidden_pre")
		g.node("Relu", "hidden_relu", "", []string{"hidden_pre"}, "hidden")
		x = "hidden"
	}
	g.initF32("output_weight", c.Output.W, c.Output.In, c.Output.Out)
	g.initF32("output_bias", c.Output.B, c.Output.Out)
	g.node("MatMul", "output_matmul", "", []string{x, "output_weight"}, "logits_mm")
	g.node("Add", "output_add", "", []string{"logits_mm", "output_bias"}, "logits")
	g.node("Softmax", "softmax", "", []string{"logits"}, OutputName, attrInt("axis", -1))

	outDoc := fmt.Sprintf("Class probabilities [batch, %d], softmax over the last axis.", classes)
	if len(c.Labels) > 0 {
		outDoc += " Classes in order: " + strings.Join(c.Labels, ", ") + "."
	}
	graph := &onnxpb.GraphProto{
		Name:        proto.String(cfg.graphName),
		DocString:   nonEmpty(cfg.graphDoc),
		Node:        g.nodes,
		Initializer: g.inits,
		Input: []*onnxpb.ValueInfoProto{valueInfo(InputName,
			"Token ids [batch, seq]: word and hashed n-gram ids into the embedding table; 0 is padding.",
			onnxpb.TensorProto_INT64, dimParam("batch"), dimParam("seq"))},
		Output: []*onnxpb.ValueInfoProto{valueInfo(OutputName, outDoc,
			onnxpb.TensorProto_FLOAT, dimParam("batch"), dimValue(int64(classes)))},
	}

	keys := make([]string, 0, len(cfg.metadata))
	for k := range cfg.metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	props := make([]*onnxpb.StringStringEntryProto, 0, len(keys))
	for _, k := range keys {
		props = append(props, &onnxpb.StringStringEntryProto{Key: proto.String(k), Value: proto.String(cfg.metadata[k])})
	}

	return &onnxpb.ModelProto{
		IrVersion:       proto.Int64(IRVersion),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(Opset)}},
		ProducerName:    proto.String(cfg.producerName),
		ProducerVersion: proto.String(cfg.producerVersion),
		Domain:          proto.String(cfg.domain),
		ModelVersion:    proto.Int64(cfg.modelVersion),
		DocString:       nonEmpty(cfg.docString),
		Graph:           graph,
		MetadataProps:   props,
	}, nil
}

type graphBuilder struct {
	nodes []*onnxpb.NodeProto
	inits []*onnxpb.TensorProto
}

func (g *graphBuilder) node(op, name, doc string, inputs []string, output string, attrs ...*onnxpb.AttributeProto) {
	g.nodes = append(g.nodes, &onnxpb.NodeProto{
		OpType:    proto.String(op),
		Name:      proto.String(name),
		DocString: nonEmpty(doc),
		Input:     inputs,
		Output:    []string{output},
		Attribute: attrs,
	})
}

// initF32 adds a float32 initializer; no dims means a scalar.
func (g *graphBuilder) initF32(name string, v []float32, dims ...int) {
	raw := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
	}
	g.inits = append(g.inits, tensor(name, onnxpb.TensorProto_FLOAT, raw, dims))
}

// initI64 adds an int64 initializer; no dims means a scalar.
func (g *graphBuilder) initI64(name string, v []int64, dims ...int) {
	raw := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(x))
	}
	g.inits = append(g.inits, tensor(name, onnxpb.TensorProto_INT64, raw, dims))
}

func tensor(name string, dt onnxpb.TensorProto_DataType, raw []byte, dims []int) *onnxpb.TensorProto {
	d := make([]int64, len(dims))
	for i, x := range dims {
		d[i] = int64(x)
	}
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(dt)), Dims: d, RawData: raw}
}

func attrInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func valueInfo(name, doc string, dt onnxpb.TensorProto_DataType, dims ...*onnxpb.TensorShapeProto_Dimension) *onnxpb.ValueInfoProto {
	return &onnxpb.ValueInfoProto{
		Name:      proto.String(name),
		DocString: nonEmpty(doc),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(dt)),
			Shape:    &onnxpb.TensorShapeProto{Dim: dims},
		}}},
	}
}

func dimParam(p string) *onnxpb.TensorShapeProto_Dimension {
	return &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: p}}
}

func dimValue(v int64) *onnxpb.TensorShapeProto_Dimension {
	return &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: v}}
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return proto.String(s)
}
