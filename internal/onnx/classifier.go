package onnx

import (
	"errors"
	"fmt"
	"math"
)

// Dense is a fully connected layer y = x @ W + B.
type Dense struct {
	// W is row-major [In, Out].
	W []float32
	// B has Out entries.
	B       []float32
	In, Out int
}

// Classifier is the bag-of-embeddings tweet classifier described in the
// package documentation.
type Classifier struct {
	// Embedding is row-major [Rows, Dim]; row 0 is the padding row and must
	// be all zeros.
	Embedding []float32
	Rows, Dim int
	// Hidden is the optional ReLU layer; nil means none.
	Hidden *Dense
	// Output maps the pooled (or hidden) vector to the class logits.
	Output Dense
	// Labels names the classes in output order; it may be empty, otherwise
	// it has Output.Out entries.
	Labels []string
}

// Validate reports whether the shapes of c are consistent.
func (c *Classifier) Validate() error {
	if c == nil {
		return errors.New("validating classifier: nil classifier")
	}
	if c.Rows < 1 || c.Dim < 1 {
		return fmt.Errorf("validating classifier: embedding shape [%d, %d] must be positive", c.Rows, c.Dim)
	}
	if len(c.Embedding) != c.Rows*c.Dim {
		return fmt.Errorf("validating classifier: embedding has %d values, want %d x %d = %d",
			len(c.Embedding), c.Rows, c.Dim, c.Rows*c.Dim)
	}
	for j := 0; j < c.Dim; j++ {
		if c.Embedding[j] != 0 {
			return fmt.Errorf("validating classifier: padding row 0 of the embedding is not zero at column %d", j)
		}
	}
	in := c.Dim
	if c.Hidden != nil {
		if err := c.Hidden.validate("hidden", in); err != nil {
			return err
		}
		in = c.Hidden.Out
	}
	if err := c.Output.validate("output", in); err != nil {
		return err
	}
	if c.Output.Out < 1 {
		return errors.New("validating classifier: output layer has no classes")
	}
	if len(c.Labels) != 0 && len(c.Labels) != c.Output.Out {
		return fmt.Errorf("validating classifier: %d labels for %d classes", len(c.Labels), c.Output.Out)
	}
	return nil
}

func (d *Dense) validate(name string, in int) error {
	if d.In != in {
		return fmt.Errorf("validating classifier: %s layer takes %d inputs, previous layer gives %d", name, d.In, in)
	}
	if d.Out < 1 {
		return fmt.Errorf("validating classifier: %s layer has %d outputs", name, d.Out)
	}
	if len(d.W) != d.In*d.Out {
		return fmt.Errorf("validating classifier: %s weights have %d values, want %d x %d = %d",
			name, len(d.W), d.In, d.Out, d.In*d.Out)
	}
	if len(d.B) != d.Out {
		return fmt.Errorf("validating classifier: %s bias has %d values, want %d", name, len(d.B), d.Out)
	}
	return nil
}

// Predict is the reference forward pass: it returns the class probabilities
// for every row of ids, computed in float32 with the same operation order as
// the exported graph. Rows may differ in length (missing entries behave like
// padding). Ids must lie in [0, Rows); Predict panics otherwise, like an
// out-of-range slice index. c must be valid (see Validate).
func (c *Classifier) Predict(ids [][]int64) [][]float32 {
	out := make([][]float32, len(ids))
	pooled := make([]float32, c.Dim)
	var hidden []float32
	if c.Hidden != nil {
		hidden = make([]float32, c.Hidden.Out)
	}
	for b, row := range ids {
		clear(pooled)
		var count float32
		for _, id := range row {
			if id < 0 || id >= int64(c.Rows) {
				panic(fmt.Sprintf("onnx: token id %d out of range [0, %d)", id, c.Rows))
			}
			e := c.Embedding[int(id)*c.Dim : (int(id)+1)*c.Dim]
			for k, v := range e {
				pooled[k] += v
			}
			if id != 0 {
				count++
			}
		}
		count = max(count, 1)
		for k := range pooled {
			pooled[k] /= count
		}
		x := pooled
		if c.Hidden != nil {
			c.Hidden.forward(x, hidden)
			for k, v := range hidden {
				hidden[k] = max(v, 0)
			}
			x = hidden
		}
		p := make([]float32, c.Output.Out)
		c.Output.forward(x, p)
		softmax(p)
		out[b] = p
	}
	return out
}

// forward computes y = x @ W + B, accumulating over the inputs in order
// (MatMul) and adding the bias afterwards (Add).
func (d *Dense) forward(x, y []float32) {
	clear(y)
	for i, xv := range x {
		w := d.W[i*d.Out : (i+1)*d.Out]
		for j, wv := range w {
			y[j] += xv * wv
		}
	}
	for j, bv := range d.B {
		y[j] += bv
	}
}

// softmax replaces x by exp(x - max(x)) / sum(exp(x - max(x))).
func softmax(x []float32) {
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	var sum float32
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		x[i] = e
		sum += e
	}
	for i := range x {
		x[i] /= sum
	}
}
