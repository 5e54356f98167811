//go:build !purego

package word2vec

import "golang.org/x/sys/cpu"

// useAsm is true when the AVX2+FMA kernels in kernels_amd64.s can run.
var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func dotAVX2(a, b []float32) float32

//go:noescape
func axpyAVX2(a float32, x, y []float32)

//go:noescape
func sgdAVX2(grad float32, h, out, e []float32)

func dot(a, b []float32) float32 {
	if useAsm {
		_ = b[:len(a)] // the assembly does no bounds checks
		return dotAVX2(a, b)
	}
	return dotGo(a, b)
}

func axpy(a float32, x, y []float32) {
	if useAsm {
		_ = y[:len(x)]
		axpyAVX2(a, x, y)
		return
	}
	axpyGo(a, x, y)
}

func sgd(g float32, h, out, e []float32) {
	if useAsm {
		_, _ = out[:len(h)], e[:len(h)]
		sgdAVX2(g, h, out, e)
		return
	}
	sgdGo(g, h, out, e)
}

//go:noescape
func prefetchRows(base *float32, rowBytes int, ids []int32)

// prefetch asks the CPU to start loading rows ids (negative ids are
// skipped) of the row-major matrix m with dim columns, so that the cache
// misses of the random noise rows overlap with useful work.
func prefetch(m []float32, dim int, ids []int32) {
	if len(ids) > 0 {
		prefetchRows(&m[0], 4*dim, ids)
	}
}

//go:noescape
func stepAVX2(h, out, e *float32, n int, label, alpha float32) float32

// negStep scores one output row against h, applies the fused update and
// returns the example's loss term. label is 1 for the true word, 0 for
// noise. len(h) >= 1; out and e are at least as long.
func negStep(h, out, e []float32, label, alpha float32) float32 {
	if useAsm {
		_, _ = out[len(h)-1], e[len(h)-1]
		return stepAVX2(&h[0], &out[0], &e[0], len(h), label, alpha)
	}
	return negStepGo(h, out, e, label, alpha)
}
