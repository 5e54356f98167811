package word2vec

// Pure-Go float32 kernels. They are the reference implementation and the
// fallback where no assembly version exists (see kernels_amd64.go).
// Every kernel requires the other slices to be at least as long as the
// first one; the length of the first slice is the vector dimension.

// dotGo returns sum(a[i]*b[i]).
func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpyGo computes y += a*x.
func axpyGo(a float32, x, y []float32) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		y[i] += a * x[i]
		y[i+1] += a * x[i+1]
		y[i+2] += a * x[i+2]
		y[i+3] += a * x[i+3]
	}
	for ; i < len(x); i++ {
		y[i] += a * x[i]
	}
}

// sgdGo is the fused update of one output row: e += g*out, then
// out += g*h (out is read before it is changed).
func sgdGo(g float32, h, out, e []float32) {
	out = out[:len(h)]
	e = e[:len(h)]
	i := 0
	for ; i+4 <= len(h); i += 4 {
		o0, o1, o2, o3 := out[i], out[i+1], out[i+2], out[i+3]
		e[i] += g * o0
		e[i+1] += g * o1
		e[i+2] += g * o2
		e[i+3] += g * o3
		out[i] = o0 + g*h[i]
		out[i+1] = o1 + g*h[i+1]
		out[i+2] = o2 + g*h[i+2]
		out[i+3] = o3 + g*h[i+3]
	}
	for ; i < len(h); i++ {
		o := out[i]
		e[i] += g * o
		out[i] = o + g*h[i]
	}
}
