package word2vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestAliasTableMatchesUnigramPower(t *testing.T) {
	counts := []int64{1000, 300, 300, 50, 7, 1, 1}
	tab := newAliasTable(counts, 0.75)
	var z float64
	want := make([]float64, len(counts))
	for i, c := range counts {
		want[i] = math.Pow(float64(c), 0.75)
		z += want[i]
	}
	r := rand.NewPCG(1, 2)
	const n = 2_000_000
	got := make([]float64, len(counts))
	for range n {
		got[sampleAlias(tab, r.Uint64())]++
	}
	for i := range counts {
		p := want[i] / z
		sd := math.Sqrt(p * (1 - p) / n)
		if f := got[i] / n; math.Abs(f-p) > 5*sd+1e-9 {
			t.Errorf("word %d (count %d): frequency %.5f, want %.5f ± %.5f", i, counts[i], f, p, 5*sd)
		}
	}
}

func TestKeepThresholds(t *testing.T) {
	counts := []int64{5000, 1000, 10, 1} // total 6011
	keep := keepThresholds(counts, 1e-3)
	th := 1e-3 * 6011
	for i, c := range counts {
		p := math.Min(1, (math.Sqrt(float64(c)/th)+1)*th/float64(c))
		if got := float64(keep[i]) / (1 << 32); math.Abs(got-p) > 1e-9 {
			t.Errorf("count %d: keep %.6f, want %.6f", c, got, p)
		}
	}
	if keep[3] != 1<<32 {
		t.Errorf("rare word must always be kept, got %d", keep[3])
	}
	for _, k := range keepThresholds(counts, 0) {
		if k != 1<<32 {
			t.Fatal("sample=0 must keep everything")
		}
	}
}
