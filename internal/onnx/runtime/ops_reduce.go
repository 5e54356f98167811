package runtime

import (
	"errors"
	"fmt"
	"math"
)

type reduceOp int

const (
	opSum reduceOp = iota
	opMean
	opRMax
	opRMin
)

// buildReduce builds ReduceSum/Mean/Max/Min. axesInput is the first opset
// whose axes come from the second input instead of the "axes" attribute;
// either form is accepted whatever the opset.
func buildReduce(op reduceOp) builder {
	return func(a attrs, _ int64) (kernel, error) {
		keep := a.int("keepdims", 1) != 0
		noop := a.int("noop_with_empty_axes", 0) != 0
		attrAxes := a.ints("axes")
		return func(s *Session, n *node, in []*Tensor) error {
			x, err := oneInput(in)
			if err != nil {
				return err
			}
			axes := attrAxes
			if len(in) > 1 && in[1] != nil {
				if in[1].Type != Int64 {
					return fmt.Errorf("axes input type %s, want INT64", in[1].Type)
				}
				axes = in[1].Int64
			}
			r := len(x.Shape)
			// reduced[i] marks reduced dims; all when axes is empty.
			red := grow(s.idx, r)
			s.idx = red
			clear(red)
			if len(axes) == 0 {
				if noop {
					s.alias(n.outputs[0], x, x.Shape)
					return nil
				}
				for i := range red {
					red[i] = 1
				}
			}
			for _, ax := range axes {
				i, err := normAxis(ax, r)
				if err != nil {
					return err
				}
				red[i] = 1
			}
			shape := s.shp[:0]
			lo, hi := -1, -1
			contiguous := true
			for i, d := range x.Shape {
				if red[i] == 1 {
					if lo < 0 {
						lo = i
					} else if hi != i-1 {
						contiguous = false
					}
					hi = i
					if keep {
						shape = append(shape, 1)
					}
				} else {
					shape = append(shape, d)
				}
			}
			s.shp = shape
			if lo < 0 { // rank 0
				lo, hi = 0, -1
			}
			o := s.out(n.outputs[0], x.Type, shape)
			if !contiguous {
				return reduceGeneral(op, x, o, red)
			}
			outer, mid, inner := numel(x.Shape[:lo]), numel(x.Shape[lo:hi+1]), numel(x.Shape[hi+1:])
			switch x.Type {
			case Float32:
				reduce(op, x.Float32, o.Float32, outer, mid, inner)
			case Float64:
				reduce(op, x.Float64, o.Float64, outer, mid, inner)
			case Int32:
				reduce(op, x.Int32, o.Int32, outer, mid, inner)
			case Int64:
				reduce(op, x.Int64, o.Int64, outer, mid, inner)
			default:
				return fmt.Errorf("unsupported input type %s", x.Type)
			}
			return nil
		}, nil
	}
}

func normAxis(ax int64, r int) (int, error) {
	if ax < -int64(r) || ax >= int64(r) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", ax, r)
	}
	if ax < 0 {
		ax += int64(r)
	}
	return int(ax), nil
}

func initial[T numeric](op reduceOp) T {
	var z T
	switch op {
	case opRMax:
		switch any(z).(type) {
		case float32, float64:
			return T(math.Inf(-1))
		case int32:
			return T(math.MinInt32)
		default:
			v := int64(math.MinInt64)
			return T(v)
		}
	case opRMin:
		switch any(z).(type) {
		case float32, float64:
			return T(math.Inf(1))
		case int32:
			return T(math.MaxInt32)
		default:
			v := int64(math.MaxInt64)
			return T(v)
		}
	}
	return z
}

// reduce reduces x viewed as [outer, mid, inner] over mid into o [outer, inner].
func reduce[T numeric](op reduceOp, x, o []T, outer, mid, inner int) {
	init := initial[T](op)
	for i := range o {
		o[i] = init
	}
	for a := range outer {
		ov := o[a*inner : (a+1)*inner]
		if inner == 1 && (op == opSum || op == opMean) {
			// A row sum: accumulate in a register, in the same order.
			acc := ov[0]
			for _, v := range x[a*mid : (a+1)*mid] {
				acc += v
			}
			ov[0] = acc
			continue
		}
		for m := range mid {
			xv := x[(a*mid+m)*inner : (a*mid+m+1)*inner]
			switch op {
			case opSum, opMean:
				ov := ov[:len(xv)]
				for i, v := range xv {
					ov[i] += v
				}
			case opRMax:
				for i, v := range xv {
					ov[i] = max(ov[i], v)
				}
			case opRMin:
				for i, v := range xv {
					ov[i] = min(ov[i], v)
				}
			}
		}
	}
	if op == opMean {
		for i := range o {
			o[i] /= T(mid)
		}
	}
}

// reduceGeneral handles non-contiguous reduced axes with an odometer.
func reduceGeneral(op reduceOp, x, o *Tensor, red []int) error {
	shape := x.Shape
	r := len(shape)
	ostride := make([]int, r)
	s, count := 1, 1
	for i := r - 1; i >= 0; i-- {
		if red[i] == 1 {
			count *= shape[i]
			continue
		}
		ostride[i] = s
		s *= shape[i]
	}
	offsets := make([]int, x.Len())
	idx := make([]int, r)
	off := 0
	for k := range offsets {
		offsets[k] = off
		for j := r - 1; j >= 0; j-- {
			idx[j]++
			off += ostride[j]
			if idx[j] < shape[j] {
				break
			}
			off -= ostride[j] * shape[j]
			idx[j] = 0
		}
	}
	switch x.Type {
	case Float32:
		reduceScatter(op, x.Float32, o.Float32, offsets, count)
	case Float64:
		reduceScatter(op, x.Float64, o.Float64, offsets, count)
	case Int32:
		reduceScatter(op, x.Int32, o.Int32, offsets, count)
	case Int64:
		reduceScatter(op, x.Int64, o.Int64, offsets, count)
	default:
		return fmt.Errorf("unsupported input type %s", x.Type)
	}
	return nil
}

func reduceScatter[T numeric](op reduceOp, x, o []T, offsets []int, count int) {
	init := initial[T](op)
	for i := range o {
		o[i] = init
	}
	for k, v := range x {
		p := &o[offsets[k]]
		switch op {
		case opSum, opMean:
			*p += v
		case opRMax:
			*p = max(*p, v)
		case opRMin:
			*p = min(*p, v)
		}
	}
	if op == opMean {
		for i := range o {
			o[i] /= T(count)
		}
	}
}

// buildSoftmax builds Softmax and LogSoftmax. Before opset 13 the input is
// coerced to 2-D at axis (default 1); from 13 on it works along one axis
// (default -1).
func buildSoftmax(log bool) builder {
	return func(a attrs, opset int64) (kernel, error) {
		def := int64(-1)
		if opset < 13 {
			def = 1
		}
		axis := a.int("axis", def)
		return func(s *Session, n *node, in []*Tensor) error {
			x, err := oneInput(in)
			if err != nil {
				return err
			}
			r := len(x.Shape)
			if r == 0 {
				return errors.New("input is a scalar")
			}
			ax, err := normAxis(axis, r)
			if err != nil {
				return err
			}
			outer, mid, inner := numel(x.Shape[:ax]), x.Shape[ax], numel(x.Shape[ax+1:])
			if opset < 13 {
				mid, inner = numel(x.Shape[ax:]), 1
			}
			o := s.out(n.outputs[0], x.Type, x.Shape)
			switch x.Type {
			case Float32:
				softmax(log, x.Float32, o.Float32, outer, mid, inner)
			case Float64:
				softmax(log, x.Float64, o.Float64, outer, mid, inner)
			default:
				return fmt.Errorf("unsupported input type %s", x.Type)
			}
			return nil
		}, nil
	}
}

func softmax[T float](log bool, x, o []T, outer, mid, inner int) {
	if mid == 0 {
		return
	}
	for a := range outer {
		for i := range inner {
			base := a*mid*inner + i
			m := x[base]
			for k := 1; k < mid; k++ {
				m = max(m, x[base+k*inner])
			}
			var sum T
			for k := range mid {
				j := base + k*inner
				e := T(math.Exp(float64(x[j] - m)))
				sum += e
				if !log {
					o[j] = e
				}
			}
			if log {
				ls := T(math.Log(float64(sum)))
				for k := range mid {
					j := base + k*inner
					o[j] = x[j] - m - ls
				}
				continue
			}
			for k := range mid {
				o[base+k*inner] /= sum
			}
		}
	}
}
