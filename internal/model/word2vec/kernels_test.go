package word2vec

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestKernelsMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	vec := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	close := func(a, b float32, scale float64) bool { return math.Abs(float64(a-b)) <= 1e-5*scale+1e-6 }
	for n := 0; n <= 70; n++ {
		a, b := vec(n), vec(n)
		var ref float64
		for i := range a {
			ref += float64(a[i]) * float64(b[i])
		}
		if d, g := dot(a, b), dotGo(a, b); !close(d, float32(ref), float64(n)) || !close(g, float32(ref), float64(n)) {
			t.Errorf("n=%d: dot %v, dotGo %v, want %v", n, d, g, ref)
		}
		y1, y2 := vec(n), []float32(nil)
		y2 = append(y2, y1...)
		axpy(0.3, a, y1)
		axpyGo(0.3, a, y2)
		for i := range y1 {
			if want := y2[i]; !close(y1[i], want, 1) {
				t.Errorf("n=%d: axpy[%d] = %v, want %v", n, i, y1[i], want)
			}
		}
		h, out, e := vec(n), vec(n), vec(n)
		out2, e2 := slices.Clone(out), slices.Clone(e)
		sgd(-0.7, h, out, e)
		for i := range h {
			wantE := e2[i] + -0.7*out2[i]
			wantO := out2[i] + -0.7*h[i]
			if !close(e[i], wantE, 1) || !close(out[i], wantO, 1) {
				t.Errorf("n=%d: sgd[%d] = (%v, %v), want (%v, %v)", n, i, e[i], out[i], wantE, wantO)
			}
		}
	}
	t.Logf("assembly kernels in use: %v", useAsm)
}

// TestFusedStepMatchesGo checks the fused assembly step against negStepGo
// bit for bit, over the whole sigmoid range and beyond, for both labels.
func TestFusedStepMatchesGo(t *testing.T) {
	if !useAsm {
		t.Skip("no assembly kernels on this machine or build")
	}
	r := rand.New(rand.NewPCG(5, 6))
	var below, inside, above int
	for trial := range 4000 {
		n := 1 + trial%130
		scale := float32(math.Pow(10, r.Float64()*2-1.5)) // dot products from ~0.001 to ~30
		h, out, e := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range h {
			h[i], out[i], e[i] = float32(r.NormFloat64())*scale, float32(r.NormFloat64())*scale, float32(r.NormFloat64())
		}
		label := float32(trial % 2)
		alpha := float32(0.025)
		out2, e2 := slices.Clone(out), slices.Clone(e)
		switch f := dot(h, out); {
		case f <= -maxExp:
			below++
		case f >= maxExp:
			above++
		default:
			inside++
		}
		got := stepAVX2(&h[0], &out[0], &e[0], n, label, alpha)
		want := negStepGo(h, out2, e2, label, alpha)
		if got != want || !slices.Equal(out, out2) || !slices.Equal(e, e2) {
			t.Fatalf("trial %d (n=%d, label %v, f=%v): loss %v, want %v; rows equal: %v %v",
				trial, n, label, dot(h, out2), got, want, slices.Equal(out, out2), slices.Equal(e, e2))
		}
	}
	if below < 100 || inside < 100 || above < 100 {
		t.Errorf("dot products not spread over the table: %d below, %d inside, %d above", below, inside, above)
	}
}
