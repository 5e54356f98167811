package runtime

import "fmt"

// segment is a run of n output elements starting at o whose operands start
// at a and b; within a segment each operand either advances with the output
// (stride 1) or stays on one element (stride 0), as the plan says.
type segment struct{ a, b, o, n int }

// plan is a broadcast iteration plan for a binary elementwise operation.
type plan struct {
	shape  []int // broadcast output shape
	segs   []segment
	as, bs int // strides (0 or 1) of a and b within segments
}

// broadcast computes the multidirectional (numpy) broadcast of two shapes
// and the segments to iterate. It reuses the session's scratch space; the
// result is valid until the next call.
func (s *Session) broadcast(ashape, bshape []int) (*plan, error) {
	p := &s.plan
	r := max(len(ashape), len(bshape))
	p.shape = grow(p.shape, r)
	p.segs = p.segs[:0]
	for i := range r {
		ad, bd := padDim(ashape, r, i), padDim(bshape, r, i)
		switch {
		case ad == bd, bd == 1:
			p.shape[i] = ad
		case ad == 1:
			p.shape[i] = bd
		default:
			return nil, fmt.Errorf("shapes %v and %v cannot be broadcast", ashape, bshape)
		}
	}
	total := numel(p.shape)
	if total == 0 {
		return p, nil
	}
	// Fast paths: equal shapes, or one side a single element.
	na, nb := numel(ashape), numel(bshape)
	switch {
	case na == total && nb == total:
		p.as, p.bs = 1, 1
		p.segs = append(p.segs, segment{n: total})
		return p, nil
	case nb == 1 && na == total:
		p.as, p.bs = 1, 0
		p.segs = append(p.segs, segment{n: total})
		return p, nil
	case na == 1 && nb == total:
		p.as, p.bs = 0, 1
		p.segs = append(p.segs, segment{n: total})
		return p, nil
	}

	// General case: drop the output dims of size 1, then merge the innermost
	// dims that share one broadcast pattern into the segment length.
	dims := s.dims[:0]
	strideA, strideB := 1, 1
	for i := r - 1; i >= 0; i-- {
		ad, bd, od := padDim(ashape, r, i), padDim(bshape, r, i), p.shape[i]
		if od != 1 {
			d := bdim{n: od}
			if ad == od {
				d.sa = strideA
			}
			if bd == od {
				d.sb = strideB
			}
			dims = append(dims, d) // innermost first
		}
		strideA *= ad
		strideB *= bd
	}
	s.dims = dims
	inner := 1
	k := 0
	full := func(d bdim) (bool, bool) { return d.sa != 0, d.sb != 0 }
	fa, fb := full(dims[0])
	for k < len(dims) {
		ga, gb := full(dims[k])
		if ga != fa || gb != fb {
			break
		}
		inner *= dims[k].n
		k++
	}
	p.as, p.bs = 0, 0
	if fa {
		p.as = 1
	}
	if fb {
		p.bs = 1
	}
	outer := dims[k:]
	idx := grow(s.idx, len(outer))
	clear(idx)
	s.idx = idx
	aoff, boff := 0, 0
	for o := 0; o < total; o += inner {
		p.segs = append(p.segs, segment{a: aoff, b: boff, o: o, n: inner})
		for j := range outer {
			idx[j]++
			aoff += outer[j].sa
			boff += outer[j].sb
			if idx[j] < outer[j].n {
				break
			}
			aoff -= outer[j].sa * outer[j].n
			boff -= outer[j].sb * outer[j].n
			idx[j] = 0
		}
	}
	return p, nil
}

func padDim(shape []int, r, i int) int {
	j := i - (r - len(shape))
	if j < 0 {
		return 1
	}
	return shape[j]
}

// bdim is a broadcast output dimension: its size and the element strides of
// the two operands along it (0 where the operand is broadcast).
type bdim struct{ n, sa, sb int }
