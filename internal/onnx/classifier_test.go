package onnx_test

import (
	"math"
	"slices"
	"testing"

	"github.com/tweetflow/tweetflow/internal/onnx"
	"github.com/tweetflow/tweetflow/internal/onnx/onnxtest"
)

// predict64 is an independent float64 implementation of the model contract.
func predict64(c *onnx.Classifier, row []int64) []float64 {
	var tokens []int64
	for _, id := range row {
		if id != 0 {
			tokens = append(tokens, id)
		}
	}
	x := make([]float64, c.Dim)
	for _, id := range tokens {
		for k := range x {
			x[k] += float64(c.Embedding[int(id)*c.Dim+k])
		}
	}
	if len(tokens) > 0 {
		for k := range x {
			x[k] /= float64(len(tokens))
		}
	}
	dense := func(d *onnx.Dense, x []float64, relu bool) []float64 {
		y := make([]float64, d.Out)
		for j := range y {
			y[j] = float64(d.B[j])
			for i := range x {
				y[j] += x[i] * float64(d.W[i*d.Out+j])
			}
			if relu && y[j] < 0 {
				y[j] = 0
			}
		}
		return y
	}
	if c.Hidden != nil {
		x = dense(c.Hidden, x, true)
	}
	logits := dense(&c.Output, x, false)
	m := slices.Max(logits)
	var sum float64
	for i, v := range logits {
		logits[i] = math.Exp(v - m)
		sum += logits[i]
	}
	for i := range logits {
		logits[i] /= sum
	}
	return logits
}

func TestPredictMatchesFloat64(t *testing.T) {
	for i, spec := range []onnxtest.Spec{
		{Rows: 200, Dim: 20, Classes: 3},
		{Rows: 200, Dim: 50, Hidden: 10, Classes: 2},
	} {
		t.Run(spec.String(), func(t *testing.T) {
			c := onnxtest.Classifier(uint64(i), spec)
			ids := onnxtest.IDs(uint64(i), 500, 30, spec.Rows)
			got := c.Predict(ids)
			var worst float64
			for r, row := range ids {
				want := predict64(c, row)
				var sum float64
				for j, p := range got[r] {
					worst = max(worst, math.Abs(float64(p)-want[j]))
					sum += float64(p)
				}
				if math.Abs(sum-1) > 1e-6 {
					t.Fatalf("row %d: probabilities sum to %v", r, sum)
				}
			}
			if worst > 1e-6 {
				t.Errorf("max abs diff to float64 reference %.3g", worst)
			}
		})
	}
}

func TestPredictPaddingAndOrder(t *testing.T) {
	c := onnxtest.Classifier(7, onnxtest.Spec{Rows: 50, Dim: 8, Hidden: 4, Classes: 3})
	base := c.Predict([][]int64{{3, 9, 27}})[0]
	padded := c.Predict([][]int64{{0, 3, 0, 9, 27, 0, 0}, {3, 9, 27, 0}})
	for _, p := range padded {
		if !slices.Equal(p, base) {
			t.Errorf("padding changed the result: %v vs %v", p, base)
		}
	}
	// Token order only changes float32 rounding.
	perm := c.Predict([][]int64{{27, 3, 9}})[0]
	for j := range base {
		if math.Abs(float64(perm[j]-base[j])) > 1e-6 {
			t.Errorf("permuted tokens: %v vs %v", perm, base)
		}
	}
	// The mean, not the sum: repeating every token changes nothing (beyond rounding).
	rep := c.Predict([][]int64{{3, 3, 9, 9, 27, 27}})[0]
	for j := range base {
		if math.Abs(float64(rep[j]-base[j])) > 1e-6 {
			t.Errorf("repeated tokens: %v vs %v", rep, base)
		}
	}
	// Ragged rows are allowed; an empty row scores like all padding.
	got := c.Predict([][]int64{{}, {0, 0}})
	if !slices.Equal(got[0], got[1]) {
		t.Errorf("empty row %v differs from all-padding row %v", got[0], got[1])
	}
}

func TestPredictPanicsOnBadID(t *testing.T) {
	c := onnxtest.Classifier(1, onnxtest.Spec{Rows: 5, Dim: 2, Classes: 2})
	for _, id := range []int64{5, -1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Predict accepted id %d", id)
				}
			}()
			c.Predict([][]int64{{1, id}})
		}()
	}
}
