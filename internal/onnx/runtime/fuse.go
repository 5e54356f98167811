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
	consumers := map[int]int{}
	for _, n := range m.nodes {
		for _, in := range n.inputs {
			consumers[in]++
		}
	}
	for _, o := range m.outSlots {
		consumers[o]++
	}
	byOutput := map[int]*node{}
	for _, n := range m.nodes {
		for _, o := range n.outputs {
			byOutput[o] = n
		}
	}
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
		axes := red.attrs.ints("axes")
		if len(red.inputs) > 1 && red.inputs[1] >= 0 {
			c := m.consts[red.inputs[1]]
			if c == nil || c.Type != Int64 {
				continue
			}
			axes = c.Int64
		}
		if len(axes) != 1 || (axes[0] != 1 && axes[0] != -2) {
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
		offs, ends := s.idx[:0], s.ends[:0]
		for b := range batch {
			// Row offsets of the tokens, padding skipped.
			for _, id := range idx[b*seq : (b+1)*seq] {
				if id < -int64(rows) || id >= int64(rows) {
					return fmt.Errorf("index %d out of range [%d, %d)", id, -rows, rows)
				}
				if id == 0 && skipZero {
					continue
				}
				if id < 0 {
					id += int64(rows)
				}
				offs = append(offs, int(id)*dim)
			}
			ends = append(ends, len(offs))
		}
		sumBags(o.Float32, e.Float32, offs, ends, dim)
		s.idx, s.ends = offs, ends
		return nil
	}
}

// fuse enables fuseEmbeddingBags; tests turn it off to compare.
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
