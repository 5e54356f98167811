package dashboard

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// PSIFloor is the share given to an empty bin in PSI, which is undefined
// (infinite) when a bin is empty on one side only.
const PSIFloor = 1e-4

// Edges returns n+1 equal-width bin edges over [0, 1] (n >= 1).
func Edges(n int) []float64 {
	if n < 1 {
		n = 1
	}
	e := make([]float64, n+1)
	for i := range e {
		e[i] = float64(i) / float64(n)
	}
	e[n] = 1
	return e
}

// Histogram sums the weights of values into the bins [edges[i],
// edges[i+1]); the last bin also holds values equal to its upper edge.
// Values outside [edges[0], edges[n]] and NaNs are not counted. weights
// nil counts each value once. edges must be increasing, at least two.
func Histogram(values, weights, edges []float64) []float64 {
	n := len(edges) - 1
	if n < 1 {
		return nil
	}
	out := make([]float64, n)
	for i, v := range values {
		if math.IsNaN(v) || v < edges[0] || v > edges[n] {
			continue
		}
		// The first edge above v, less one, is the bin.
		b, _ := slices.BinarySearch(edges, v)
		if b < len(edges) && edges[b] == v {
			b++ // v on an edge belongs to the bin it opens
		}
		b--
		if b >= n {
			b = n - 1
		}
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		out[b] += w
	}
	return out
}

// Fractions divides counts by their sum (all zeros when the sum is 0).
func Fractions(counts []float64) []float64 {
	var sum float64
	for _, c := range counts {
		sum += c
	}
	out := make([]float64, len(counts))
	if sum == 0 {
		return out
	}
	for i, c := range counts {
		out[i] = c / sum
	}
	return out
}

// PSI is the population stability index of the actual bin shares against
// the expected ones:
//
//	PSI = sum over bins of (a_i - e_i) * ln(a_i / e_i)
//
// with each share floored at PSIFloor so an empty bin gives a large but
// finite term. It is 0 for equal distributions and grows with the shift;
// the usual reading is < 0.1 stable, 0.1-0.25 a moderate shift, > 0.25 a
// major one. Both slices are shares (summing to 1) over the same bins.
func PSI(expected, actual []float64) (float64, error) {
	if len(expected) != len(actual) {
		return math.NaN(), fmt.Errorf("psi: %d expected bins, %d actual bins", len(expected), len(actual))
	}
	if len(expected) == 0 {
		return math.NaN(), fmt.Errorf("psi: no bins")
	}
	var psi float64
	for i := range expected {
		e, a := max(expected[i], PSIFloor), max(actual[i], PSIFloor)
		psi += (a - e) * math.Log(a/e)
	}
	return psi, nil
}

// KS is the two-sample Kolmogorov-Smirnov statistic of weighted samples:
// the largest distance between their cumulative distribution functions,
// sup_x |F_a(x) - F_b(x)|, in [0, 1]. Weights nil count each value once;
// values need not be sorted. It is NaN when either sample has no weight.
func KS(a, wa, b, wb []float64) float64 {
	type pt struct {
		v    float64
		w    float64
		side int
	}
	pts := make([]pt, 0, len(a)+len(b))
	var ta, tb float64
	add := func(vs, ws []float64, side int, total *float64) {
		for i, v := range vs {
			if math.IsNaN(v) {
				continue
			}
			w := 1.0
			if ws != nil {
				w = ws[i]
			}
			if w <= 0 {
				continue
			}
			pts = append(pts, pt{v, w, side})
			*total += w
		}
	}
	add(a, wa, 0, &ta)
	add(b, wb, 1, &tb)
	if ta == 0 || tb == 0 {
		return math.NaN()
	}
	slices.SortFunc(pts, func(x, y pt) int { return cmp.Compare(x.v, y.v) })
	var ca, cb, d float64
	for i, p := range pts {
		if p.side == 0 {
			ca += p.w
		} else {
			cb += p.w
		}
		// Compare the CDFs only after every point of a value is in: ties
		// move both CDFs together.
		if i+1 < len(pts) && pts[i+1].v == p.v {
			continue
		}
		d = max(d, math.Abs(ca/ta-cb/tb))
	}
	return min(d, 1)
}

// Count is one entry of a top-k list.
type Count struct {
	Key string
	N   int
}

// TopK returns the k keys with the highest counts, highest first; equal
// counts are in key order, so the list is deterministic. k <= 0 returns
// every key.
func TopK(counts map[string]int, k int) []Count {
	out := make([]Count, 0, len(counts))
	for key, n := range counts {
		out = append(out, Count{key, n})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if c := cmp.Compare(b.N, a.N); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	if k > 0 && len(out) > k {
		out = out[:k]
	}
	return out
}
