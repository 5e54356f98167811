package onnxtest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/tweetflow/tweetflow/internal/onnx"
)

// Spec describes the shape of a random classifier.
type Spec struct {
	Rows, Dim int
	// Hidden is the hidden layer width; 0 means no hidden layer.
	Hidden  int
	Classes int
}

// String names the spec, e.g. for subtest names.
func (s Spec) String() string {
	return fmt.Sprintf("rows%d_dim%d_hidden%d_classes%d", s.Rows, s.Dim, s.Hidden, s.Classes)
}

// Classifier returns a classifier of the given shape with embeddings drawn
// uniformly from [-1, 1) (row 0 stays zero), dense weights and biases from
// the Glorot range ±sqrt(6/(in+out)) so that the probabilities stay away from
// 0 and 1, and labels "class0", "class1", ...
func Classifier(seed uint64, s Spec) *onnx.Classifier {
	r := rand.New(rand.NewPCG(seed, 0x7477656574666c6f))
	c := &onnx.Classifier{Rows: s.Rows, Dim: s.Dim, Embedding: make([]float32, s.Rows*s.Dim)}
	for i := s.Dim; i < len(c.Embedding); i++ {
		c.Embedding[i] = uniform(r)
	}
	in := s.Dim
	if s.Hidden > 0 {
		c.Hidden = dense(r, in, s.Hidden)
		in = s.Hidden
	}
	c.Output = *dense(r, in, s.Classes)
	for i := range s.Classes {
		c.Labels = append(c.Labels, fmt.Sprintf("class%d", i))
	}
	return c
}

func dense(r *rand.Rand, in, out int) *onnx.Dense {
	d := &onnx.Dense{In: in, Out: out, W: make([]float32, in*out), B: make([]float32, out)}
	scale := float32(math.Sqrt(6 / float64(in+out)))
	for i := range d.W {
		d.W[i] = scale * uniform(r)
	}
	for i := range d.B {
		d.B[i] = scale * uniform(r)
	}
	return d
}

func uniform(r *rand.Rand) float32 { return float32(2*r.Float64() - 1) }

// IDs returns n rows of seq token ids in [0, rows). Each row has a random
// number of leading tokens (0..seq) and is padded with zeros after them;
// tokens themselves are nonzero except with probability 1/10, so rows also
// contain interior padding (with rows == 1 every id is padding). Rows with zero tokens (all padding) are included
// with probability about 1/(seq+1).
func IDs(seed uint64, n, seq, rows int) [][]int64 {
	r := rand.New(rand.NewPCG(seed, 0x6964730000000000))
	out := make([][]int64, n)
	for i := range out {
		row := make([]int64, seq)
		l := r.IntN(seq + 1)
		for j := range l {
			if rows > 1 && r.IntN(10) != 0 {
				row[j] = 1 + r.Int64N(int64(rows-1))
			}
		}
		out[i] = row
	}
	return out
}
