package runtime

import (
	"fmt"
	"slices"

	"github.com/tweetflow/tweetflow/internal/onnx/onnxpb"
)

// kernel runs one node: in holds the input tensors (nil for omitted optional
// inputs); outputs are written through s.out / s.alias into n.outputs.
type kernel func(s *Session, n *node, in []*Tensor) error

// builder validates a node's attributes and returns its kernel.
type builder func(a attrs, opset int64) (kernel, error)

type node struct {
	index   int // position in the model's node list
	name    string
	op      string
	inputs  []int // value slots, -1 for an omitted optional input
	outputs []int
	attrs   attrs
	run     kernel
}

func (n *node) describe() string {
	return fmt.Sprintf("node %q (%s, #%d)", n.name, n.op, n.index)
}

// SupportedOps lists the operators Load accepts, sorted.
func SupportedOps() []string {
	ops := make([]string, 0, len(builders)+1)
	for op := range builders {
		ops = append(ops, op)
	}
	ops = append(ops, "Constant")
	slices.Sort(ops)
	return ops
}

func compile(mp *onnxpb.ModelProto) (*Model, error) {
	g := mp.GetGraph()
	if g == nil {
		return nil, fmt.Errorf("compiling onnx model: no graph")
	}
	m := &Model{
		info: Info{
			IRVersion:       mp.GetIrVersion(),
			Opsets:          map[string]int64{},
			ProducerName:    mp.GetProducerName(),
			ProducerVersion: mp.GetProducerVersion(),
			Domain:          mp.GetDomain(),
			ModelVersion:    mp.GetModelVersion(),
			Doc:             mp.GetDocString(),
			GraphName:       g.GetName(),
			GraphDoc:        g.GetDocString(),
			Metadata:        map[string]string{},
		},
		consts:   map[int]*Tensor{},
		defaults: map[int]*Tensor{},
	}
	for _, o := range mp.GetOpsetImport() {
		d := o.GetDomain()
		if d == "ai.onnx" {
			d = ""
		}
		m.info.Opsets[d] = o.GetVersion()
	}
	opset, ok := m.info.Opsets[""]
	if !ok {
		return nil, fmt.Errorf("compiling onnx model: no opset import for the default domain")
	}
	for _, p := range mp.GetMetadataProps() {
		m.info.Metadata[p.GetKey()] = p.GetValue()
	}

	slots := map[string]int{}
	slot := func(name string) int {
		if s, ok := slots[name]; ok {
			return s
		}
		slots[name] = m.nslots
		m.nslots++
		return m.nslots - 1
	}
	defined := map[string]bool{}

	inits := map[string]*Tensor{}
	for _, tp := range g.GetInitializer() {
		t, err := tensorFromProto(tp)
		if err != nil {
			return nil, fmt.Errorf("loading initializer %q: %w", tp.GetName(), err)
		}
		inits[tp.GetName()] = t
	}
	if len(g.GetSparseInitializer()) > 0 {
		return nil, fmt.Errorf("compiling onnx model: sparse initializers are not supported")
	}
	for _, vi := range g.GetInput() {
		info, err := valueInfo(vi)
		if err != nil {
			return nil, fmt.Errorf("reading graph input: %w", err)
		}
		if info.Type != 0 && !info.Type.supported() {
			return nil, fmt.Errorf("reading graph input %q: unsupported data type %s", info.Name, info.Type)
		}
		s := slot(info.Name)
		defined[info.Name] = true
		m.inputs = append(m.inputs, info)
		m.inSlots = append(m.inSlots, s)
		if t, ok := inits[info.Name]; ok {
			m.defaults[s] = t
		}
	}
	for name, t := range inits {
		if defined[name] {
			continue
		}
		defined[name] = true
		m.consts[slot(name)] = t
	}

	// Topological sort (Kahn), stable in the original node order.
	nps := g.GetNode()
	producer := map[string]int{}
	for i, np := range nps {
		for _, o := range np.GetOutput() {
			if o == "" {
				continue
			}
			if _, dup := producer[o]; dup || defined[o] {
				return nil, fmt.Errorf("compiling onnx model: value %q is defined twice (node %q, #%d)", o, np.GetName(), i)
			}
			producer[o] = i
		}
	}
	indeg := make([]int, len(nps))
	users := make([][]int, len(nps))
	for i, np := range nps {
		for _, in := range np.GetInput() {
			if in == "" || defined[in] {
				continue
			}
			p, ok := producer[in]
			if !ok {
				return nil, fmt.Errorf("compiling onnx model: node %q (%s, #%d) reads %q, which no node, initializer or graph input provides",
					np.GetName(), np.GetOpType(), i, in)
			}
			indeg[i]++
			users[p] = append(users[p], i)
		}
	}
	queue := make([]int, 0, len(nps))
	for i := range nps {
		if indeg[i] == 0 {
			queue = append(queue, i)
		}
	}
	for k := 0; k < len(queue); k++ {
		for _, u := range users[queue[k]] {
			if indeg[u]--; indeg[u] == 0 {
				queue = append(queue, u)
			}
		}
	}
	if len(queue) != len(nps) {
		return nil, fmt.Errorf("compiling onnx model: the graph has a cycle (%d of %d nodes sortable)", len(queue), len(nps))
	}

	// Build the kernels.
	m.nnodes = len(nps)
	for _, i := range queue {
		np := nps[i]
		n := &node{index: i, name: np.GetName(), op: np.GetOpType(), attrs: attrs{}}
		if d := np.GetDomain(); d != "" && d != "ai.onnx" {
			return nil, fmt.Errorf("compiling %s: unsupported operator domain %q", n.describe(), d)
		}
		a := n.attrs
		for _, at := range np.GetAttribute() {
			if at.GetRefAttrName() != "" {
				return nil, fmt.Errorf("compiling %s: attribute references are not supported", n.describe())
			}
			a[at.GetName()] = at
		}
		for _, in := range np.GetInput() {
			if in == "" {
				n.inputs = append(n.inputs, -1)
			} else {
				n.inputs = append(n.inputs, slot(in))
			}
		}
		for _, o := range np.GetOutput() {
			n.outputs = append(n.outputs, slot(o)) // "" gets a throwaway slot
		}
		if n.op == "Constant" {
			t, err := constantValue(a)
			if err != nil {
				return nil, fmt.Errorf("compiling %s: %w", n.describe(), err)
			}
			if len(n.outputs) != 1 {
				return nil, fmt.Errorf("compiling %s: want 1 output, have %d", n.describe(), len(n.outputs))
			}
			m.consts[n.outputs[0]] = t
			continue
		}
		b, ok := builders[n.op]
		if !ok {
			return nil, fmt.Errorf("compiling %s: unsupported operator %q (supported: %v)", n.describe(), n.op, SupportedOps())
		}
		k, err := b(a, opset)
		if err != nil {
			return nil, fmt.Errorf("compiling %s: %w", n.describe(), err)
		}
		n.run = k
		m.nodes = append(m.nodes, n)
	}

	for _, vi := range g.GetOutput() {
		info, err := valueInfo(vi)
		if err != nil {
			return nil, fmt.Errorf("reading graph output: %w", err)
		}
		s, ok := slots[info.Name]
		_, produced := producer[info.Name]
		if !ok || !(defined[info.Name] || produced) {
			return nil, fmt.Errorf("compiling onnx model: graph output %q is never computed", info.Name)
		}
		m.outputs = append(m.outputs, info)
		m.outSlots = append(m.outSlots, s)
	}

	if err := m.foldConstants(); err != nil {
		return nil, err
	}
	if fuse {
		m.fuseEmbeddingBags()
		m.fuseTokenCounts()
	}
	m.pool.New = func() any { return m.NewSession() }
	return m, nil
}

// foldConstants evaluates, once, the nodes whose inputs are all constant
// and turns their outputs into constants.
func (m *Model) foldConstants() error {
	s := m.NewSession()
	var keep []*node
	for _, n := range m.nodes {
		foldable := true
		for _, in := range n.inputs {
			if in >= 0 && m.consts[in] == nil {
				foldable = false
				break
			}
		}
		if !foldable {
			keep = append(keep, n)
			continue
		}
		if err := n.run(s, n, s.args[n.index]); err != nil {
			return fmt.Errorf("folding constant %s: %w", n.describe(), err)
		}
		for _, o := range n.outputs {
			t := s.vals[o].Clone()
			m.consts[o] = t
			s.vals[o] = *t
		}
	}
	m.nodes = keep
	return nil
}

func constantValue(a attrs) (*Tensor, error) {
	switch {
	case a.has("value"):
		t, err := tensorFromProto(a["value"].GetT())
		if err != nil {
			return nil, fmt.Errorf("decoding value: %w", err)
		}
		return t, nil
	case a.has("value_float"):
		return &Tensor{Type: Float32, Shape: []int{}, Float32: []float32{a.float("value_float", 0)}}, nil
	case a.has("value_floats"):
		v := append([]float32{}, a["value_floats"].GetFloats()...)
		return &Tensor{Type: Float32, Shape: []int{len(v)}, Float32: v}, nil
	case a.has("value_int"):
		return &Tensor{Type: Int64, Shape: []int{}, Int64: []int64{a.int("value_int", 0)}}, nil
	case a.has("value_ints"):
		v := append([]int64{}, a.ints("value_ints")...)
		return &Tensor{Type: Int64, Shape: []int{len(v)}, Int64: v}, nil
	}
	return nil, fmt.Errorf("unsupported Constant attribute (want value, value_float(s) or value_int(s))")
}
