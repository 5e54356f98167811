package runtime

import (
	"fmt"
	"slices"
)

// fuseEmbeddingBags rewrites Gather(E, ids) -> ReduceSum(axis 1), with E a
// constant float32 matrix and ids of rank 2, into one kernel that sums the
// embedding rows directly instead of materialising the [batch, seq, dim]
// gather. This is the hot path of tweetflow's classifier. The sums are
// accumulated in the same order, so results are unchanged; if row 0 of E is
// all zeros, id 0 (padding) is skipped, which can at most change the sign
// of an exact zero.
func (m *Model) fuseEmbeddingBags() {
	consumers, byOutput := m.graphIndex()
	removed := map[*node]bool{}
	huge := map[*Tensor]bool{}
	for _, red := range m.nodes {
		if red.op != "ReduceSum" || len(red.inputs) == 0 || red.inputs[0] < 0 {
			continue
		}
		g := byOutput[red.inputs[0]]
		if g == nil || g.op != "Gather" || g.attrs.int("axis", 0) != 0 || consumers[g.outputs[0]] != 1 || len(g.inputs) != 2 {
			continue
		}
		e := m.consts[g.inputs[0]]
		if e == nil || e.Type != Float32 || len(e.Shape) != 2 || g.inputs[1] < 0 {
			continue
		}
		if axes, ok := m.reduceAxes(red); !ok || len(axes) != 1 || (axes[0] != 1 && axes[0] != -2) {
			continue
		}
		if !huge[e] {
			// Every bag gathers random rows: keep them on huge pages.
			e.Float32 = hugeTable(e.Float32)
			huge[e] = true
		}
		keep := red.attrs.int("keepdims", 1) != 0
		rows, dim := e.Shape[0], e.Shape[1]
		skipZero := rows > 0 && !slices.ContainsFunc(e.Float32[:dim], func(v float32) bool { return v != 0 })
		fused := &node{
			index:   red.index,
			name:    red.name,
			op:      "Gather+ReduceSum",
			inputs:  []int{g.inputs[0], g.inputs[1]},
			outputs: red.outputs,
			attrs:   red.attrs,
			run:     embeddingBag(keep, skipZero),
		}
		*red = *fused
		removed[g] = true
	}
	m.nodes = slices.DeleteFunc(m.nodes, func(n *node) bool { return removed[n] })
}

// graphIndex returns the number of consumers of every slot (graph outputs
// count as one) and the node producing every slot.
func (m *Model) graphIndex() (consumers map[int]int, byOutput map[int]*node) {
	consumers = map[int]int{}
	for _, n := range m.nodes {
		for _, in := range n.inputs {
			consumers[in]++
		}
	}
	for _, o := range m.outSlots {
		consumers[o]++
	}
	byOutput = map[int]*node{}
	for _, n := range m.nodes {
		for _, o := range n.outputs {
			byOutput[o] = n
		}
	}
	return consumers, byOutput
}

// reduceAxes returns the constant axes of a Reduce node (attribute, or
// input from opset 13); ok is false when they are not constant.
func (m *Model) reduceAxes(red *node) (axes []int64, ok bool) {
	axes = red.attrs.ints("axes")
	if len(red.inputs) > 1 && red.inputs[1] >= 0 {
		c := m.consts[red.inputs[1]]
		if c == nil || c.Type != Int64 {
			return nil, false
		}
		axes = c.Int64
	}
	return axes, true
}

// fuseTokenCounts rewrites ReduceSum(Cast(Not(Equal(ids, pad))), axis 1)
// over a [batch, seq] int64 graph input ids and a constant scalar pad, the
// token count of a mean pooling, into one kernel that counts the ids
// different from pad per row. The counts are exact in every numeric type
// (below 2^24 for float32), as are the sums of ones they replace.
func (m *Model) fuseTokenCounts() {
	consumers, byOutput := m.graphIndex()
	inputRank := map[int]int{}
	for i, vi := range m.inputs {
		if vi.Type == Int64 && vi.Shape != nil {
			inputRank[m.inSlots[i]] = len(vi.Shape)
		}
	}
	single := func(op string, slot int) *node {
		n := byOutput[slot]
		if n == nil || n.op != op || consumers[slot] != 1 || len(n.outputs) != 1 {
			return nil
		}
		return n
	}
	removed := map[*node]bool{}
	for _, red := range m.nodes {
		if red.op != "ReduceSum" || len(red.inputs) == 0 || red.inputs[0] < 0 {
			continue
		}
		if axes, ok := m.reduceAxes(red); !ok || len(axes) != 1 || (axes[0] != 1 && axes[0] != -1) {
			continue
		}
		cast := single("Cast", red.inputs[0])
		if cast == nil || len(cast.inputs) != 1 {
			continue
		}
		to := DataType(cast.attrs.int("to", 0))
		if to != Float32 && to != Float64 && to != Int32 && to != Int64 {
			continue
		}
		not := single("Not", cast.inputs[0])
		if not == nil || len(not.inputs) != 1 {
			continue
		}
		eq := single("Equal", not.inputs[0])
		if eq == nil || len(eq.inputs) != 2 || eq.inputs[0] < 0 || eq.inputs[1] < 0 {
			continue
		}
		ids, pad := eq.inputs[0], m.consts[eq.inputs[1]]
		if pad == nil {
			ids, pad = eq.inputs[1], m.consts[eq.inputs[0]]
		}
		if pad == nil || pad.Type != Int64 || len(pad.Int64) != 1 || len(pad.Shape) > 1 || inputRank[ids] != 2 || m.defaults[ids] != nil {
			continue
		}
		*red = node{
			index:   red.index,
			name:    red.name,
			op:      "CountNotEqual",
			inputs:  []int{ids},
			outputs: red.outputs,
			attrs:   red.attrs,
			run:     countNotEqual(pad.Int64[0], to, red.attrs.int("keepdims", 1) != 0),
		}
		removed[cast], removed[not], removed[eq] = true, true, true
	}
	m.nodes = slices.DeleteFunc(m.nodes, func(n *node) bool { return removed[n] })
}

func countNotEqual(pad int64, to DataType, keep bool) kernel {
	return func(s *Session, n *node, in []*Tensor) error {
		ids := in[0]
		if ids.Type != Int64 || len(ids.Shape) != 2 {
			return fmt.Errorf("ids %s %v, want INT64 [batch, seq]", ids.Type, ids.Shape)
		}
		batch, seq := ids.Shape[0], ids.Shape[1]
		shape := append(s.shp[:0], batch)
		if keep {
			shape = append(shape, 1)
		}
		s.shp = shape
		o := s.out(n.outputs[0], to, shape)
		for b := range batch {
			c := 0
			for _, id := range ids.Int64[b*seq : (b+1)*seq] {
				if id != pad {
					c++
				}
			}
			switch to {
			case Float32:
				o.Float32[b] = float32(c)
			case Float64:
				o.Float64[b] = float64(c)
			case Int32:
				o.Int32[b] = int32(c)
			case Int64:
				o.Int64[b] = int64(c)
			}
		}
		return nil
	}
}

func embeddingBag(keep, skipZero bool) kernel {
	return func(s *Session, n *node, in []*Tensor) error {
		e, ids := in[0], in[1]
		if len(ids.Shape) != 2 {
			return fmt.Errorf("indices shape %v, want rank 2", ids.Shape)
		}
		var idx []int64
		switch ids.Type {
		case Int64:
			idx = ids.Int64
		case Int32:
			idx = make([]int64, len(ids.Int32))
			for i, v := range ids.Int32 {
				idx[i] = int64(v)
			}
		default:
			return fmt.Errorf("indices type %s, want INT32 or INT64", ids.Type)
		}
		rows, dim := e.Shape[0], e.Shape[1]
		batch, seq := ids.Shape[0], ids.Shape[1]
		shape := append(s.shp[:0], batch, dim)
		if keep {
			shape = append(s.shp[:0], batch, 1, dim)
		}
		s.shp = shape
		o := s.out(n.outputs[0], Float32, shape)
		offs, ends := slices.Grow(s.idx[:0], len(idx))[:len(idx)], s.ends[:0]
		k := 0
		for b := range batch {
			// Row offsets of the tokens, padding skipped.
			for _, id := range idx[b*seq : (b+1)*seq] {
				if id == 0 && skipZero {
					continue
				}
				if uint64(id) >= uint64(rows) { // negative or out of range
					if id < -int64(rows) || id >= int64(rows) {
						return fmt.Errorf("index %d out of range [%d, %d)", id, -rows, rows)
					}
					id += int64(rows)
				}
				offs[k] = int(id) * dim
				k++
			}
			ends = append(ends, k)
		}
		offs = offs[:k]
		sumBags(o.Float32, e.Float32, offs, ends, dim)
		s.idx, s.ends = offs, ends
		return nil
	}
}

// fuse enables fuseEmbeddingBags and fuseTokenCounts; tests turn it off to
// compare.
var fuse = true

// sumBagsGo is the portable sumBags: one sumRows per bag.
func sumBagsGo(out, table []float32, offs, ends []int, dim int) {
	start := 0
	for b, end := range ends {
		sumRows(out[b*dim:(b+1)*dim], table, offs[start:end])
		start = end
	}
}

// sumRows sets acc to the sum of the dim-long rows of table starting at
// offs, adding them one after the other (the order a plain ReduceSum uses)
// but four rows per pass over acc.
func sumRows(acc, table []float32, offs []int) {
	clear(acc)
	dim := len(acc)
	i := 0
	for ; i+4 <= len(offs); i += 4 {
		r0 := table[offs[i] : offs[i]+dim]
		r1 := table[offs[i+1] : offs[i+1]+dim]
		r2 := table[offs[i+2] : offs[i+2]+dim]
		r3 := table[offs[i+3] : offs[i+3]+dim]
		r0, r1, r2, r3 = r0[:len(acc)], r1[:len(acc)], r2[:len(acc)], r3[:len(acc)]
		for k := range acc {
			acc[k] = acc[k] + r0[k] + r1[k] + r2[k] + r3[k]
		}
	}
	for ; i < len(offs); i++ {
		r := table[offs[i] : offs[i]+dim]
		r = r[:len(acc)]
		for k := range acc {
			acc[k] += r[k]
		}
	}
}
