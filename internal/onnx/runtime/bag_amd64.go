//go:build !purego

package runtime

import "golang.org/x/sys/cpu"

// useBagAsm is true when the AVX2 embedding-bag kernel can run.
var useBagAsm = cpu.X86.HasAVX2

// bagPrefetch is how many rows ahead bagBlockAVX2 prefetches.
const bagPrefetch = 16

//go:noescape
func bagBlockAVX2(acc, base *float32, offs *int, n, avail, nfull, tail int)

// sumBags sets out[b*dim:(b+1)*dim] to the sum of the rows of table at
// offs[ends[b-1]:ends[b]] (ends[-1] = 0), each row dim floats; every offset
// is a valid row start. The rows are added in order (bit-identical to
// sumRows).
func sumBags(out, table []float32, offs, ends []int, dim int) {
	if !useBagAsm || dim == 0 || len(offs) == 0 {
		sumBagsGo(out, table, offs, ends, dim)
		return
	}
	_ = out[:len(ends)*dim]
	var zero int
	for c0 := 0; c0 < dim; c0 += 64 {
		w := min(64, dim-c0)
		start := 0
		for b, end := range ends {
			o := &zero
			if start < len(offs) {
				o = &offs[start]
			}
			bagBlockAVX2(&out[b*dim+c0], &table[c0], o, end-start, len(offs)-start, w/8, w%8)
			start = end
		}
	}
}
