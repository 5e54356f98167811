//go:build !amd64 || purego

package word2vec

const useAsm = false

func dot(a, b []float32) float32         { return dotGo(a, b) }
func axpy(a float32, x, y []float32)     { axpyGo(a, x, y) }
func sgd(g float32, h, out, e []float32) { sgdGo(g, h, out, e) }

func prefetch(m []float32, dim int, ids []int32) {}

func negStep(h, out, e []float32, label, alpha float32) float32 {
	return negStepGo(h, out, e, label, alpha)
}

// stepAVX2 is never called where useAsm is false.
func stepAVX2(h, out, e *float32, n int, label, alpha float32) float32 {
	panic("word2vec: stepAVX2 without assembly")
}
