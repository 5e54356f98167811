package runtime

import (
	"errors"
	"fmt"
	"slices"
)

func buildIdentity(attrs, int64) (kernel, error) {
	return func(s *Session, n *node, in []*Tensor) error {
		x, err := oneInput(in)
		if err != nil {
			return err
		}
		s.alias(n.outputs[0], x, x.Shape)
		return nil
	}, nil
}

func buildGather(a attrs, _ int64) (kernel, error) {
	axis := a.int("axis", 0)
	return func(s *Session, n *node, in []*Tensor) error {
		if len(in) != 2 || in[0] == nil || in[1] == nil {
			return fmt.Errorf("want 2 inputs, have %d", len(in))
		}
		x, ind := in[0], in[1]
		r := len(x.Shape)
		if r == 0 {
			return errors.New("data is a scalar")
		}
		ax, err := normAxis(axis, r)
		if err != nil {
			return err
		}
		var idx []int64
		switch ind.Type {
		case Int64:
			idx = ind.Int64
		case Int32:
			idx = make([]int64, len(ind.Int32))
			for i, v := range ind.Int32 {
				idx[i] = int64(v)
			}
		default:
			return fmt.Errorf("indices type %s, want INT32 or INT64", ind.Type)
		}
		size := int64(x.Shape[ax])
		for _, v := range idx {
			if v < -size || v >= size {
				return fmt.Errorf("index %d out of range [%d, %d)", v, -size, size)
			}
		}
		shape := append(s.shp[:0], x.Shape[:ax]...)
		shape = append(shape, ind.Shape...)
		shape = append(shape, x.Shape[ax+1:]...)
		s.shp = shape
		o := s.out(n.outputs[0], x.Type, shape)
		outer, inner := numel(x.Shape[:ax]), numel(x.Shape[ax+1:])
		switch x.Type {
		case Float32:
			gather(x.Float32, o.Float32, idx, outer, int(size), inner)
		case Float64:
			gather(x.Float64, o.Float64, idx, outer, int(size), inner)
		case Int32:
			gather(x.Int32, o.Int32, idx, outer, int(size), inner)
		case Int64:
			gather(x.Int64, o.Int64, idx, outer, int(size), inner)
		case Bool:
			gather(x.Bool, o.Bool, idx, outer, int(size), inner)
		}
		return nil
	}, nil
}

// gather copies x viewed as [outer, size, inner] rows idx into o
// [outer, len(idx), inner]; idx must be in range.
func gather[T any](x, o []T, idx []int64, outer, size, inner int) {
	k := 0
	for a := range outer {
		base := a * size
		for _, v := range idx {
			j := int(v)
			if j < 0 {
				j += size
			}
			copy(o[k:k+inner], x[(base+j)*inner:])
			k += inner
		}
	}
}

// axesFrom returns the axes of Unsqueeze/Squeeze: the "axes" attribute
// (before opset 13) or the second input (opset 13 on).
func axesFrom(attr []int64, hasAttr bool, in []*Tensor) ([]int64, error) {
	if len(in) > 1 && in[1] != nil {
		if in[1].Type != Int64 {
			return nil, fmt.Errorf("axes input type %s, want INT64", in[1].Type)
		}
		return in[1].Int64, nil
	}
	if hasAttr {
		return attr, nil
	}
	return nil, nil
}

func buildUnsqueeze(a attrs, _ int64) (kernel, error) {
	attr, hasAttr := a.ints("axes"), a.has("axes")
	return func(s *Session, n *node, in []*Tensor) error {
		x, err := oneInput(in)
		if err != nil {
			return err
		}
		axes, err := axesFrom(attr, hasAttr, in)
		if err != nil {
			return err
		}
		if len(axes) == 0 {
			return errors.New("no axes")
		}
		r := len(x.Shape) + len(axes)
		ins := grow(s.idx, r)
		s.idx = ins
		clear(ins)
		for _, ax := range axes {
			i, err := normAxis(ax, r)
			if err != nil {
				return err
			}
			if ins[i] == 1 {
				return fmt.Errorf("axis %d repeated", ax)
			}
			ins[i] = 1
		}
		shape := s.shp[:0]
		k := 0
		for i := range r {
			if ins[i] == 1 {
				shape = append(shape, 1)
			} else {
				shape = append(shape, x.Shape[k])
				k++
			}
		}
		s.shp = shape
		s.alias(n.outputs[0], x, shape)
		return nil
	}, nil
}

func buildSqueeze(a attrs, _ int64) (kernel, error) {
	attr, hasAttr := a.ints("axes"), a.has("axes")
	return func(s *Session, n *node, in []*Tensor) error {
		x, err := oneInput(in)
		if err != nil {
			return err
		}
		axes, err := axesFrom(attr, hasAttr, in)
		if err != nil {
			return err
		}
		r := len(x.Shape)
		drop := grow(s.idx, r)
		s.idx = drop
		clear(drop)
		for _, ax := range axes {
			i, err := normAxis(ax, r)
			if err != nil {
				return err
			}
			if x.Shape[i] != 1 {
				return fmt.Errorf("cannot squeeze axis %d of shape %v", ax, x.Shape)
			}
			drop[i] = 1
		}
		shape := s.shp[:0]
		for i, d := range x.Shape {
			if drop[i] == 1 || len(axes) == 0 && d == 1 {
				continue
			}
			shape = append(shape, d)
		}
		s.shp = shape
		s.alias(n.outputs[0], x, shape)
		return nil
	}, nil
}

func buildReshape(a attrs, _ int64) (kernel, error) {
	allowZero := a.int("allowzero", 0) != 0
	return func(s *Session, n *node, in []*Tensor) error {
		if len(in) != 2 || in[0] == nil || in[1] == nil {
			return fmt.Errorf("want 2 inputs, have %d", len(in))
		}
		x, sh := in[0], in[1]
		if sh.Type != Int64 {
			return fmt.Errorf("shape input type %s, want INT64", sh.Type)
		}
		shape := s.shp[:0]
		infer := -1
		known := 1
		for i, d := range sh.Int64 {
			switch {
			case d == -1:
				if infer >= 0 {
					return fmt.Errorf("more than one -1 in shape %v", sh.Int64)
				}
				infer = i
				shape = append(shape, 1)
			case d == 0 && !allowZero:
				if i >= len(x.Shape) {
					return fmt.Errorf("shape %v copies dim %d of input shape %v", sh.Int64, i, x.Shape)
				}
				shape = append(shape, x.Shape[i])
				known *= x.Shape[i]
			case d < 0:
				return fmt.Errorf("bad dimension %d in shape %v", d, sh.Int64)
			default:
				shape = append(shape, int(d))
				known *= int(d)
			}
		}
		total := x.Len()
		if infer >= 0 {
			if known == 0 || total%known != 0 {
				return fmt.Errorf("cannot reshape %v to %v", x.Shape, sh.Int64)
			}
			shape[infer] = total / known
		}
		s.shp = shape
		if numel(shape) != total {
			return fmt.Errorf("cannot reshape %v to %v", x.Shape, sh.Int64)
		}
		s.alias(n.outputs[0], x, shape)
		return nil
	}, nil
}

func buildFlatten(a attrs, _ int64) (kernel, error) {
	axis := a.int("axis", 1)
	return func(s *Session, n *node, in []*Tensor) error {
		x, err := oneInput(in)
		if err != nil {
			return err
		}
		r := len(x.Shape)
		ax := int(axis)
		if ax < 0 {
			ax += r
		}
		if ax < 0 || ax > r {
			return fmt.Errorf("axis %d out of range for rank %d", axis, r)
		}
		shape := append(s.shp[:0], numel(x.Shape[:ax]), numel(x.Shape[ax:]))
		s.shp = shape
		s.alias(n.outputs[0], x, shape)
		return nil
	}, nil
}

func buildShape(a attrs, _ int64) (kernel, error) {
	start, end := a.int("start", 0), a.int("end", 0)
	hasEnd := a.has("end")
	return func(s *Session, n *node, in []*Tensor) error {
		x, err := oneInput(in)
		if err != nil {
			return err
		}
		r := int64(len(x.Shape))
		clamp := func(v int64) int64 {
			if v < 0 {
				v += r
			}
			return min(max(v, 0), r)
		}
		lo, hi := clamp(start), r
		if hasEnd {
			hi = clamp(end)
		}
		hi = max(hi, lo)
		shape := append(s.shp[:0], int(hi-lo))
		s.shp = shape
		o := s.out(n.outputs[0], Int64, shape)
		for i, d := range x.Shape[lo:hi] {
			o.Int64[i] = int64(d)
		}
		return nil
	}, nil
}

func buildConcat(a attrs, _ int64) (kernel, error) {
	if !a.has("axis") {
		return nil, errors.New(`missing attribute "axis"`)
	}
	axis := a.int("axis", 0)
	return func(s *Session, n *node, in []*Tensor) error {
		if len(in) == 0 || in[0] == nil {
			return errors.New("want at least 1 input")
		}
		first := in[0]
		r := len(first.Shape)
		ax, err := normAxis(axis, r)
		if err != nil {
			return err
		}
		shape := append(s.shp[:0], first.Shape...)
		shape[ax] = 0
		for i, t := range in {
			if t == nil || t.Type != first.Type || len(t.Shape) != r {
				return fmt.Errorf("input %d (%v) does not match input 0 (%v)", i, t, first)
			}
			for j := range r {
				if j != ax && t.Shape[j] != first.Shape[j] {
					return fmt.Errorf("input %d shape %v does not match input 0 shape %v", i, t.Shape, first.Shape)
				}
			}
			shape[ax] += t.Shape[ax]
		}
		s.shp = shape
		o := s.out(n.outputs[0], first.Type, shape)
		outer := numel(first.Shape[:ax])
		inner := numel(first.Shape[ax+1:])
		switch first.Type {
		case Float32:
			concat(in, o.Float32, outer, inner, ax)
		case Float64:
			concat(in, o.Float64, outer, inner, ax)
		case Int32:
			concat(in, o.Int32, outer, inner, ax)
		case Int64:
			concat(in, o.Int64, outer, inner, ax)
		case Bool:
			concat(in, o.Bool, outer, inner, ax)
		}
		return nil
	}, nil
}

func concat[T elem](in []*Tensor, o []T, outer, inner, ax int) {
	k := 0
	for a := range outer {
		for _, t := range in {
			w := t.Shape[ax] * inner
			k += copy(o[k:k+w], data[T](t)[a*w:(a+1)*w])
		}
	}
}

func buildTranspose(a attrs, _ int64) (kernel, error) {
	perm := a.ints("perm")
	return func(s *Session, n *node, in []*Tensor) error {
		x, err := oneInput(in)
		if err != nil {
			return err
		}
		r := len(x.Shape)
		p := make([]int, r)
		if perm == nil {
			for i := range p {
				p[i] = r - 1 - i
			}
		} else {
			if len(perm) != r {
				return fmt.Errorf("perm %v for rank %d", perm, r)
			}
			for i, v := range perm {
				j, err := normAxis(v, r)
				if err != nil {
					return err
				}
				p[i] = j
			}
			sorted := slices.Clone(p)
			slices.Sort(sorted)
			for i, v := range sorted {
				if v != i {
					return fmt.Errorf("perm %v is not a permutation", perm)
				}
			}
		}
		shape := make([]int, r)
		istride := make([]int, r)
		st := 1
		for i := r - 1; i >= 0; i-- {
			istride[i] = st
			st *= x.Shape[i]
		}
		ostride := make([]int, r) // input stride along each output dim
		for i, j := range p {
			shape[i] = x.Shape[j]
			ostride[i] = istride[j]
		}
		o := s.out(n.outputs[0], x.Type, shape)
		switch x.Type {
		case Float32:
			transpose(x.Float32, o.Float32, shape, ostride)
		case Float64:
			transpose(x.Float64, o.Float64, shape, ostride)
		case Int32:
			transpose(x.Int32, o.Int32, shape, ostride)
		case Int64:
			transpose(x.Int64, o.Int64, shape, ostride)
		case Bool:
			transpose(x.Bool, o.Bool, shape, ostride)
		}
		return nil
	}, nil
}

func transpose[T any](x, o []T, shape, stride []int) {
	if len(o) == 0 {
		return
	}
	r := len(shape)
	idx := make([]int, r)
	off := 0
	for k := range o {
		o[k] = x[off]
		for j := r - 1; j >= 0; j-- {
			idx[j]++
			off += stride[j]
			if idx[j] < shape[j] {
				break
			}
			off -= stride[j] * shape[j]
			idx[j] = 0
		}
	}
}
