//go:build !cgo

package ortcheck

import "github.com/tweetflow/tweetflow/internal/onnx/runtime"

// Version reports ErrNoCgo: this binary was built without cgo.
func Version(string) (string, error) { return "", ErrNoCgo }

// Run reports ErrNoCgo: this binary was built without cgo.
func Run(string, []byte, [][]int64) ([][]float32, error) { return nil, ErrNoCgo }

// RunGraph reports ErrNoCgo: this binary was built without cgo.
func RunGraph(string, []byte, map[string]*runtime.Tensor, []string) (map[string]*runtime.Tensor, error) {
	return nil, ErrNoCgo
}
