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

// prefetch asks the CPU to start loading rows ids of the row-major matrix m
// (dim columns), so that the cache misses of the random noise rows overlap.
func prefetch(m []float32, dim int, ids []int32) {
	if len(ids) > 0 {
		prefetchRows(&m[0], 4*dim, ids)
	}
}
