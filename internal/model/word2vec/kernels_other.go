//go:build !amd64 || purego

package word2vec

const useAsm = false

func dot(a, b []float32) float32         { return dotGo(a, b) }
func axpy(a float32, x, y []float32)     { axpyGo(a, x, y) }
func sgd(g float32, h, out, e []float32) { sgdGo(g, h, out, e) }

func prefetch(m []float32, dim int, ids []int32) {}
