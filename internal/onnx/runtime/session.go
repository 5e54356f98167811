package runtime

import (
	"fmt"
	"slices"
)

// Session runs a Model with scratch buffers that are reused from call to
// call. A Session is not safe for concurrent use; make one per goroutine
// (NewSession) or use Model.Run, which pools them.
type Session struct {
	m    *Model
	vals []Tensor    // current value of every slot
	bufs []buffers   // owned storage per slot
	args [][]*Tensor // per node index: pointers into vals
	outs map[string]*Tensor

	plan plan   // broadcast plan scratch
	dims []bdim // broadcast dims scratch
	idx  []int  // odometer scratch
	ends []int  // embedding-bag scratch
	shp  []int  // output shape scratch
}

type buffers struct {
	shape []int
	f32   []float32
	f64   []float64
	i32   []int32
	i64   []int64
	b     []bool
}

// NewSession returns a new Session for m.
func (m *Model) NewSession() *Session {
	s := &Session{
		m:    m,
		vals: make([]Tensor, m.nslots),
		bufs: make([]buffers, m.nslots),
		args: make([][]*Tensor, m.nnodes),
		outs: make(map[string]*Tensor, len(m.outputs)),
	}
	for slot, t := range m.consts {
		s.vals[slot] = *t
	}
	for _, n := range m.nodes {
		a := make([]*Tensor, len(n.inputs))
		for i, in := range n.inputs {
			if in >= 0 {
				a[i] = &s.vals[in]
			}
		}
		s.args[n.index] = a
	}
	return s
}

// Run evaluates the graph. inputs maps graph input names to tensors (they
// are read, never modified, and must not change during the call). The
// returned map and tensors belong to the Session: they are overwritten by
// the next Run and must not be modified.
func (s *Session) Run(inputs map[string]*Tensor) (outs map[string]*Tensor, err error) {
	m := s.m
	var current *node
	defer func() {
		// A kernel bug or an input the checks missed must not take the
		// server down: report it like any other node failure.
		if r := recover(); r != nil {
			outs = nil
			if current != nil {
				err = fmt.Errorf("running %s: panic: %v", current.describe(), r)
			} else {
				err = fmt.Errorf("running model: panic: %v", r)
			}
		}
	}()
	for name := range inputs {
		if !slices.ContainsFunc(m.inputs, func(v ValueInfo) bool { return v.Name == name }) {
			return nil, fmt.Errorf("running model: unknown input %q", name)
		}
	}
	for i := range m.inputs {
		vi := &m.inputs[i]
		slot := m.inSlots[i]
		t := inputs[vi.Name]
		if t == nil {
			if d := m.defaults[slot]; d != nil {
				s.vals[slot] = *d
				continue
			}
			return nil, fmt.Errorf("running model: missing input %q", vi.Name)
		}
		if err := checkInput(vi, t); err != nil {
			return nil, fmt.Errorf("running model: input %q: %w", vi.Name, err)
		}
		s.vals[slot] = *t
	}
	for _, n := range m.nodes {
		current = n
		if err := n.run(s, n, s.args[n.index]); err != nil {
			return nil, fmt.Errorf("running %s: %w", n.describe(), err)
		}
	}
	clear(s.outs)
	for i, vi := range m.outputs {
		s.outs[vi.Name] = &s.vals[m.outSlots[i]]
	}
	return s.outs, nil
}

func checkInput(vi *ValueInfo, t *Tensor) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if vi.Type != 0 && t.Type != vi.Type {
		return fmt.Errorf("type %s, model wants %s", t.Type, vi.Type)
	}
	if vi.Shape == nil {
		return nil
	}
	if len(t.Shape) != len(vi.Shape) {
		return fmt.Errorf("shape %v has rank %d, model wants %v", t.Shape, len(t.Shape), vi.Shape)
	}
	for i, d := range vi.Shape {
		if d.Value >= 0 && t.Shape[i] != d.Value {
			return fmt.Errorf("shape %v, model wants %v", t.Shape, vi.Shape)
		}
	}
	return nil
}

// Run evaluates the graph with a pooled Session and returns outputs that
// the caller owns. It is safe for concurrent use.
func (m *Model) Run(inputs map[string]*Tensor) (map[string]*Tensor, error) {
	s := m.pool.Get().(*Session)
	defer m.pool.Put(s)
	outs, err := s.Run(inputs)
	if err != nil {
		return nil, err
	}
	res := make(map[string]*Tensor, len(outs))
	for k, v := range outs {
		res[k] = v.Clone()
	}
	return res, nil
}

// out makes slot hold a fresh (uninitialised) tensor of the given type and
// shape backed by the slot's own reusable storage.
func (s *Session) out(slot int, dt DataType, shape []int) *Tensor {
	b := &s.bufs[slot]
	b.shape = append(b.shape[:0], shape...)
	n := numel(shape)
	t := &s.vals[slot]
	*t = Tensor{Type: dt, Shape: b.shape}
	switch dt {
	case Float32:
		b.f32 = grow(b.f32, n)
		t.Float32 = b.f32
	case Float64:
		b.f64 = grow(b.f64, n)
		t.Float64 = b.f64
	case Int32:
		b.i32 = grow(b.i32, n)
		t.Int32 = b.i32
	case Int64:
		b.i64 = grow(b.i64, n)
		t.Int64 = b.i64
	case Bool:
		b.b = grow(b.b, n)
		t.Bool = b.b
	}
	return t
}

// alias makes slot a view of src's data with another shape.
func (s *Session) alias(slot int, src *Tensor, shape []int) *Tensor {
	b := &s.bufs[slot]
	b.shape = append(b.shape[:0], shape...)
	t := &s.vals[slot]
	*t = *src
	t.Shape = b.shape
	return t
}

func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n, n+n/4)
	}
	return b[:n]
}
