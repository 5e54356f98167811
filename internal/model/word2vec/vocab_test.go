package word2vec

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func split(lines ...string) [][]string {
	out := make([][]string, len(lines))
	for i, l := range lines {
		out[i] = strings.Fields(l)
	}
	return out
}

func TestBuildCorpus(t *testing.T) {
	cases := []struct {
		name      string
		sents     [][]string
		minCount  int
		maxVocab  int
		words     []string
		counts    []int64
		encoded   [][]string // sentences after dropping out-of-vocabulary words
		rawWords  int64
		chunkSize int
		chunks    int
	}{
		{
			name:     "order by count then word",
			sents:    split("b a c a", "c b a", "d"),
			minCount: 1,
			words:    []string{"a", "b", "c", "d"},
			counts:   []int64{3, 2, 2, 1},
			encoded:  split("b a c a", "c b a", "d"),
			rawWords: 8, chunkSize: 100, chunks: 1,
		},
		{
			name:     "min count drops rare words and empty sentences",
			sents:    split("x a b", "y z", "a b a", "", "b q"),
			minCount: 2,
			words:    []string{"a", "b"},
			counts:   []int64{3, 3},
			encoded:  split("a b", "a b a", "b"),
			rawWords: 10, chunkSize: 100, chunks: 1,
		},
		{
			name:     "max vocab keeps the most frequent",
			sents:    split("a a a b b c", "c d e"),
			minCount: 1, maxVocab: 2,
			words:    []string{"a", "b"},
			counts:   []int64{3, 2},
			encoded:  split("a a a b b"),
			rawWords: 9, chunkSize: 100, chunks: 1,
		},
		{
			name:     "chunks of whole sentences",
			sents:    split("a b c", "a b", "a", "c c c c"),
			minCount: 1,
			words:    []string{"c", "a", "b"},
			counts:   []int64{5, 3, 2},
			encoded:  split("a b c", "a b", "a", "c c c c"),
			rawWords: 10, chunkSize: 3, chunks: 3, // [3] [2 1] [4]
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			p.MinCount, p.MaxVocab, p.ChunkSize = tc.minCount, tc.maxVocab, tc.chunkSize
			c, err := buildCorpus(context.Background(), slices.Values(tc.sents), p)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.words, tc.words) || !slices.Equal(c.counts, tc.counts) {
				t.Errorf("vocabulary %v %v, want %v %v", c.words, c.counts, tc.words, tc.counts)
			}
			var got [][]string
			for i := range c.sentEnd {
				var s []string
				for _, id := range c.sentence(i) {
					s = append(s, c.words[id])
				}
				got = append(got, s)
			}
			if !slices.EqualFunc(got, tc.encoded, slices.Equal) {
				t.Errorf("encoded %v, want %v", got, tc.encoded)
			}
			if c.rawWords != tc.rawWords {
				t.Errorf("raw words %d, want %d", c.rawWords, tc.rawWords)
			}
			if len(c.chunks) != tc.chunks {
				t.Errorf("%d chunks %+v, want %d", len(c.chunks), c.chunks, tc.chunks)
			}
			var raw int64
			next := 0
			for _, ch := range c.chunks {
				if ch.firstSent != next || ch.rawBefore != raw {
					t.Errorf("chunk %+v does not follow the previous one", ch)
				}
				next, raw = ch.endSent, raw+ch.raw
			}
			if next != len(c.sentEnd) || raw != c.rawWords {
				t.Errorf("chunks cover %d sentences and %d words, want %d and %d", next, raw, len(c.sentEnd), c.rawWords)
			}
		})
	}
}

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
