package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

const eps = 1e-12

func near(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= eps
}

func TestROCAndPRHandComputed(t *testing.T) {
	T, F := true, false
	tests := []struct {
		name   string
		pos    []bool
		scores []float64
		auc    float64
		ap     float64
		fpr    []float64
		tpr    []float64
		rec    []float64
		prec   []float64
	}{
		{
			// Sorted: 0.9 {T,F} tie, 0.5 T, 0.1 F; P = N = 2.
			// ROC: (0,0) -> 0.9: tp1 fp1 (.5,.5) -> 0.5: tp2 fp1 (.5,1) -> 0.1: (1,1).
			// Area: .5*(0+.5)/2 + 0 + .5*(1+1)/2 = .125 + .5 = .625.
			// Mann-Whitney: .9 vs .9 tie = .5, .9>.1 = 1, .5<.9 = 0, .5>.1 = 1 -> 2.5/4 = .625.
			// AP: 0.9: R .5 P 1/2 -> .25; 0.5: R 1 P 2/3 -> .5*2/3; 0.1: dR 0 -> 7/12.
			name:   "ties make a diagonal segment",
			pos:    []bool{T, F, T, F},
			scores: []float64{0.9, 0.9, 0.5, 0.1},
			auc:    0.625,
			ap:     0.25 + 1.0/3,
			fpr:    []float64{0, 0.5, 0.5, 1},
			tpr:    []float64{0, 0.5, 1, 1},
			rec:    []float64{0, 0.5, 1, 1},
			prec:   []float64{1, 0.5, 2.0 / 3, 0.5},
		},
		{
			// Every positive above every negative: ROC goes (0,0)->(0,.5)->(0,1)->(.5,1)->(1,1),
			// area 1; precision is 1 until recall reaches 1, AP = .5*1 + .5*1 = 1.
			name:   "perfect",
			pos:    []bool{F, F, T, T},
			scores: []float64{0.1, 0.2, 0.8, 0.9},
			auc:    1,
			ap:     1,
			fpr:    []float64{0, 0, 0, 0.5, 1},
			tpr:    []float64{0, 0.5, 1, 1, 1},
			rec:    []float64{0, 0.5, 1, 1, 1},
			prec:   []float64{1, 1, 1, 2.0 / 3, 0.5},
		},
		{
			// Every negative above every positive: ROC runs along the bottom, area 0.
			// AP: .9,.8 negatives (dR 0); .2: tp1 fp2 R .5 P 1/3 -> 1/6; .1: R 1 P 1/2 -> 1/4; 5/12.
			name:   "inverted",
			pos:    []bool{F, F, T, T},
			scores: []float64{0.9, 0.8, 0.2, 0.1},
			auc:    0,
			ap:     1.0/6 + 0.25,
			fpr:    []float64{0, 0.5, 1, 1, 1},
			tpr:    []float64{0, 0, 0, 0.5, 1},
			rec:    []float64{0, 0, 0, 0.5, 1},
			prec:   []float64{1, 0, 0, 1.0 / 3, 0.5},
		},
		{
			// One threshold holding everything: ROC is the diagonal, area .5;
			// AP = 1 * precision at full recall = prevalence 2/5.
			name:   "all equal scores",
			pos:    []bool{T, F, F, T, F},
			scores: []float64{0.3, 0.3, 0.3, 0.3, 0.3},
			auc:    0.5,
			ap:     0.4,
			fpr:    []float64{0, 1},
			tpr:    []float64{0, 1},
			rec:    []float64{0, 1},
			prec:   []float64{1, 0.4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			roc, auc := ROC(tt.pos, tt.scores)
			if !near(auc, tt.auc) {
				t.Errorf("ROC AUC = %v, want %v", auc, tt.auc)
			}
			if mw := mannWhitney(tt.pos, tt.scores); !near(auc, mw) {
				t.Errorf("ROC AUC = %v, Mann-Whitney = %v", auc, mw)
			}
			checkSeries(t, "fpr", roc.FPR, tt.fpr)
			checkSeries(t, "tpr", roc.TPR, tt.tpr)
			if !math.IsInf(float64(roc.Thresholds[0]), 1) || len(roc.Thresholds) != roc.Len() {
				t.Errorf("ROC thresholds = %v, want +Inf first and one per point", roc.Thresholds)
			}
			pr, ap := PR(tt.pos, tt.scores)
			if !near(ap, tt.ap) {
				t.Errorf("AP = %v, want %v", ap, tt.ap)
			}
			checkSeries(t, "recall", pr.Recall, tt.rec)
			checkSeries(t, "precision", pr.Precision, tt.prec)
		})
	}
}

func checkSeries(t *testing.T, name string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %v, want %v", name, got, want)
		return
	}
	for i := range got {
		if !near(got[i], want[i]) {
			t.Errorf("%s = %v, want %v", name, got, want)
			return
		}
	}
}

func TestROCAndPRUndefined(t *testing.T) {
	allPos := []bool{true, true, true}
	allNeg := []bool{false, false, false}
	scores := []float64{0.2, 0.5, 0.9}

	// Only positives: no negatives to rank against, so ROC is undefined,
	// but precision is 1 at every threshold and AP = 1.
	if c, auc := ROC(allPos, scores); !math.IsNaN(auc) || c.Len() != 0 {
		t.Errorf("ROC(all positive) = %v, %v; want empty, NaN", c, auc)
	}
	if _, ap := PR(allPos, scores); ap != 1 {
		t.Errorf("AP(all positive) = %v, want 1", ap)
	}
	// Only negatives: recall is 0/0, both undefined.
	if c, auc := ROC(allNeg, scores); !math.IsNaN(auc) || c.Len() != 0 {
		t.Errorf("ROC(all negative) = %v, %v; want empty, NaN", c, auc)
	}
	if c, ap := PR(allNeg, scores); !math.IsNaN(ap) || c.Len() != 0 {
		t.Errorf("PR(all negative) = %v, %v; want empty, NaN", c, ap)
	}
}

// mannWhitney is the O(P*N) definition of ROC-AUC: the fraction of
// (positive, negative) pairs the scores order correctly, ties counting 1/2.
func mannWhitney(pos []bool, scores []float64) float64 {
	var u, pairs float64
	for i := range pos {
		if !pos[i] {
			continue
		}
		for j := range pos {
			if pos[j] {
				continue
			}
			pairs++
			switch {
			case scores[i] > scores[j]:
				u++
			case scores[i] == scores[j]:
				u += 0.5
			}
		}
	}
	return u / pairs
}

func TestROCEqualsMannWhitneyRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		n := 2 + rng.IntN(200)
		pos := make([]bool, n)
		scores := make([]float64, n)
		for i := range n {
			pos[i] = rng.IntN(3) == 0
			// Few distinct values so ties are common.
			scores[i] = float64(rng.IntN(1+trial%10)) / 10
		}
		pos[0], pos[1] = true, false
		_, auc := ROC(pos, scores)
		if mw := mannWhitney(pos, scores); math.Abs(auc-mw) > 1e-12 {
			t.Fatalf("trial %d: ROC AUC %v != Mann-Whitney %v", trial, auc, mw)
		}
	}
}

func TestDownsample(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	n := 20000
	pos := make([]bool, n)
	scores := make([]float64, n)
	for i := range n {
		pos[i] = rng.IntN(2) == 0
		scores[i] = rng.NormFloat64()
		if pos[i] {
			scores[i] += 1
		}
	}
	roc, auc := ROC(pos, scores)
	pr, _ := PR(pos, scores)
	if roc.Len() < 10000 {
		t.Fatalf("test needs a long curve, got %d points", roc.Len())
	}
	for _, max := range []int{2, 3, 50, 500} {
		d := roc.Downsample(max)
		if d.Len() > max || d.Len() < 2 {
			t.Errorf("ROC.Downsample(%d) kept %d points", max, d.Len())
		}
		last := roc.Len() - 1
		if d.FPR[0] != 0 || d.TPR[0] != 0 || d.FPR[d.Len()-1] != roc.FPR[last] || d.TPR[d.Len()-1] != roc.TPR[last] {
			t.Errorf("ROC.Downsample(%d) lost an endpoint", max)
		}
		for i := 1; i < d.Len(); i++ {
			if d.FPR[i] < d.FPR[i-1] || d.TPR[i] < d.TPR[i-1] || d.Thresholds[i] >= d.Thresholds[i-1] {
				t.Fatalf("ROC.Downsample(%d) is not monotone at %d", max, i)
			}
		}
		p := pr.Downsample(max)
		if p.Len() > max || p.Recall[0] != 0 || p.Recall[p.Len()-1] != 1 {
			t.Errorf("PR.Downsample(%d): %d points, recall from %v to %v", max, p.Len(), p.Recall[0], p.Recall[p.Len()-1])
		}
	}
	// 500 points keep the shape: the trapezoid area of the reduced curve is
	// close to the exact one.
	d := roc.Downsample(500)
	var area float64
	for i := 1; i < d.Len(); i++ {
		area += (d.FPR[i] - d.FPR[i-1]) * (d.TPR[i] + d.TPR[i-1]) / 2
	}
	if math.Abs(area-auc) > 1e-3 {
		t.Errorf("downsampled ROC area %v, exact %v", area, auc)
	}
	// A short curve is copied, not shared.
	short := ROCCurve{FPR: []float64{0, 1}, TPR: []float64{0, 1}, Thresholds: []Float{1, 0}}
	c := short.Downsample(500)
	c.FPR[1] = 9
	if short.FPR[1] != 1 {
		t.Error("Downsample of a short curve aliases the input")
	}
}

func BenchmarkROCAndPR(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 20000
	pos := make([]bool, n)
	scores := make([]float64, n)
	for i := range n {
		pos[i] = rng.IntN(2) == 0
		scores[i] = rng.Float64()
	}
	for b.Loop() {
		ROC(pos, scores)
		PR(pos, scores)
	}
}
