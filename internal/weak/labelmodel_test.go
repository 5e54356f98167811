package weak

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

const A = Abstain

func TestMajorityVote(t *testing.T) {
	v := Votes{
		{0, 0, 1},    // 0 wins 2:1
		{1, A, A},    // one vote
		{0, 1, A},    // tie: abstains
		{A, A, A},    // uncovered
		{2, 2, 1},    // 2 wins
		{0, 1, 2},    // three-way tie
		{1, 1, 1, 0}, // wrong width
	}
	if _, err := MajorityVote(v, 3); err == nil || !strings.Contains(err.Error(), "row 6") {
		t.Fatalf("ragged votes: %v", err)
	}
	res, err := MajorityVote(v[:6], 3)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Labels(), []int{0, 1, A, A, 2, A}; !reflect.DeepEqual(got, want) {
		t.Errorf("labels %v, want %v", got, want)
	}
	if res.Uncovered != 1 || res.Ties != 2 || res.Labeled() != 3 {
		t.Errorf("uncovered %d ties %d labeled %d", res.Uncovered, res.Ties, res.Labeled())
	}
	if p := res.Predictions[0]; math.Abs(p.Confidence-2.0/3) > 1e-12 || !reflect.DeepEqual(p.Probs, []float64{2.0 / 3, 1.0 / 3, 0}) {
		t.Errorf("row 0: %+v", p)
	}
}

// synthVotes draws n rows of k classes with prior pi and m LFs; LF j votes
// with probability cov[j] and is right with probability acc[j], else votes
// a uniformly drawn wrong class.
func synthVotes(seed uint64, n, k int, pi, cov, acc []float64) (Votes, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	v := make(Votes, n)
	y := make([]int, n)
	for i := range v {
		u, c := rng.Float64(), 0
		for c < k-1 && u > pi[c] {
			u -= pi[c]
			c++
		}
		y[i] = c
		v[i] = make([]int, len(cov))
		for j := range cov {
			v[i][j] = Abstain
			if rng.Float64() >= cov[j] {
				continue
			}
			if rng.Float64() < acc[j] {
				v[i][j] = c
			} else {
				w := rng.IntN(k - 1)
				if w >= c {
					w++
				}
				v[i][j] = w
			}
		}
	}
	return v, y
}

// EM recovers the accuracies that generated the votes, without labels.
func TestDawidSkeneRecoversAccuracies(t *testing.T) {
	acc := []float64{0.9, 0.8, 0.7, 0.65, 0.85, 0.6}
	cov := []float64{0.6, 0.5, 0.7, 0.4, 0.3, 0.8}
	for _, tc := range []struct {
		name      string
		k         int
		pi        []float64
		symmetric bool
	}{
		{"binary symmetric", 2, []float64{0.3, 0.7}, true},
		{"binary confusion", 2, []float64{0.3, 0.7}, false},
		{"three classes confusion", 3, []float64{0.2, 0.5, 0.3}, false},
		{"three classes symmetric", 3, []float64{0.2, 0.5, 0.3}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, y := synthVotes(7, 20000, tc.k, tc.pi, cov, acc)
			md, err := FitDawidSkene(v, DSOptions{Classes: tc.k, Symmetric: tc.symmetric})
			if err != nil {
				t.Fatal(err)
			}
			for j, a := range acc {
				if math.Abs(md.Accuracy[j]-a) > 0.03 {
					t.Errorf("LF %d: learned accuracy %.3f, true %.3f", j, md.Accuracy[j], a)
				}
			}
			for c, p := range tc.pi {
				if math.Abs(md.Prior[c]-p) > 0.03 {
					t.Errorf("class %d: learned prior %.3f, true %.3f", c, md.Prior[c], p)
				}
			}
			if !md.Converged {
				t.Errorf("did not converge in %d iterations", md.Iterations)
			}
			res, err := md.Predict(v)
			if err != nil {
				t.Fatal(err)
			}
			mv, _ := MajorityVote(v, tc.k)
			right, mvRight := 0, 0
			for i, p := range res.Predictions {
				if p.Label == y[i] {
					right++
				}
				if mv.Predictions[i].Label == y[i] {
					mvRight++
				}
				if p.Label != Abstain {
					s := 0.0
					for _, q := range p.Probs {
						s += q
					}
					if math.Abs(s-1) > 1e-9 || p.Confidence != p.Probs[p.Label] {
						t.Fatalf("row %d: probs %v sum %g, confidence %g", i, p.Probs, s, p.Confidence)
					}
				}
			}
			// Weighting LFs by accuracy beats counting them.
			if right <= mvRight {
				t.Errorf("generative model right on %d rows, majority vote on %d", right, mvRight)
			}
		})
	}
}

func TestDawidSkeneOptions(t *testing.T) {
	v, _ := synthVotes(3, 2000, 2, []float64{0.5, 0.5}, []float64{0.5, 0.5, 0.5}, []float64{0.8, 0.8, 0.8})
	if _, err := FitDawidSkene(Votes{{0, 1}, {1, 1}}, DSOptions{Classes: 2}); err == nil || !strings.Contains(err.Error(), "2 labeling functions, want at least 3") {
		t.Errorf("two LFs: %v", err)
	}
	if _, err := FitDawidSkene(Votes{{A, A, A}}, DSOptions{Classes: 2}); err == nil || !strings.Contains(err.Error(), "every LF abstains") {
		t.Errorf("no votes: %v", err)
	}
	if _, err := FitDawidSkene(v, DSOptions{Classes: 2, ClassBalance: []float64{1}}); err == nil {
		t.Error("class balance of the wrong length accepted")
	}
	if _, err := FitDawidSkene(v, DSOptions{Classes: 2, ClassBalance: []float64{1, -1}}); err == nil {
		t.Error("negative class balance accepted")
	}
	md, err := FitDawidSkene(v, DSOptions{Classes: 2, ClassBalance: []float64{1, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if md.Prior[0] != 0.25 || md.Prior[1] != 0.75 {
		t.Errorf("a given class balance must stay fixed: %v", md.Prior)
	}
	// Deterministic, with or without seeded restarts.
	for _, restarts := range []int{0, 3} {
		a, _ := FitDawidSkene(v, DSOptions{Classes: 2, Restarts: restarts, Seed: 5})
		b, _ := FitDawidSkene(v, DSOptions{Classes: 2, Restarts: restarts, Seed: 5})
		if !reflect.DeepEqual(a, b) {
			t.Errorf("restarts %d: two fits differ", restarts)
		}
	}
	if _, err := md.Predict(Votes{{0, 1}}); err == nil {
		t.Error("Predict with the wrong number of LFs accepted")
	}
}

func TestSummarizeHandComputed(t *testing.T) {
	v := Votes{
		{0, 0, A},
		{0, 1, A},
		{A, 1, 1},
		{A, A, A},
	}
	gold := []int{0, 1, 1, -1}
	s, err := Summarize([]string{"a", "b", "c"}, []string{"X", "Y"}, v, gold, []float64{0.9, 0.8, 0.7})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		pol                string
		cov, ovl, cfl      float64
		correct, incorrect int
		emp                float64
	}
	want := []row{
		{"X", 0.5, 0.5, 0.25, 1, 1, 0.5},
		{"X,Y", 0.75, 0.75, 0.25, 3, 0, 1},
		{"Y", 0.25, 0.25, 0, 1, 0, 1},
	}
	for j, w := range want {
		l := s.LFs[j]
		got := row{strings.Join(l.Polarity, ","), l.Coverage, l.Overlaps, l.Conflicts, *l.Correct, *l.Incorrect, *l.EmpAccuracy}
		if got != w {
			t.Errorf("LF %d: got %+v, want %+v", j, got, w)
		}
	}
	if s.Uncovered != 1 || s.Coverage != 0.75 || s.GoldRows != 3 || *s.LFs[2].LearnedAccuracy != 0.7 {
		t.Errorf("summary %+v", s)
	}
	var b bytes.Buffer
	if err := s.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"polarity", "coverage", "overlaps", "conflicts", "correct", "emp. acc.", "learned acc.", "0.5000", "4 rows, 3 covered"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("text table lacks %q:\n%s", w, b.String())
		}
	}
	// Without gold and learned accuracies those columns are absent.
	s2, _ := Summarize([]string{"a", "b", "c"}, []string{"X", "Y"}, v, nil, nil)
	b.Reset()
	s2.WriteText(&b)
	if strings.Contains(b.String(), "correct") || strings.Contains(b.String(), "learned") {
		t.Errorf("columns without data:\n%s", b.String())
	}
	var h bytes.Buffer
	rep := &Report{Title: "t", Model: "generative", Summary: s, Golden: s}
	e, _ := Evaluate([]int{0, 1, 1}, []int{0, 1, A}, []string{"X", "Y"})
	rep.Evaluation = []NamedEval{{"majority", e}}
	if err := rep.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"<svg", "majority vs golden", "abstain", "66.7%"} {
		if !strings.Contains(h.String(), w) {
			t.Errorf("HTML lacks %q", w)
		}
	}
}

func TestEvaluateHandComputed(t *testing.T) {
	gold := []int{0, 0, 0, 1, 1, 2}
	pred := []int{0, 1, A, 1, 1, 0}
	e, err := Evaluate(gold, pred, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{1, 1, 0, 1}, {0, 2, 0, 0}, {1, 0, 0, 0}}
	if !reflect.DeepEqual(e.Confusion, want) {
		t.Errorf("confusion %v, want %v", e.Confusion, want)
	}
	a, b, c := e.Classes[0], e.Classes[1], e.Classes[2]
	if a.Precision != 0.5 || math.Abs(a.Recall-1.0/3) > 1e-12 || math.Abs(a.F1-0.4) > 1e-12 || a.Support != 3 {
		t.Errorf("class a: %+v", a)
	}
	if math.Abs(b.Precision-2.0/3) > 1e-12 || b.Recall != 1 || math.Abs(b.F1-0.8) > 1e-12 {
		t.Errorf("class b: %+v", b)
	}
	if c.Precision != 0 || c.Recall != 0 || c.F1 != 0 {
		t.Errorf("class c: %+v", c)
	}
	if math.Abs(e.MacroRecall-(1.0/3+1+0)/3) > 1e-12 || e.Abstained != 1 || math.Abs(e.Coverage-5.0/6) > 1e-12 || e.Accuracy != 0.5 {
		t.Errorf("evaluation %+v", e)
	}
	if _, err := Evaluate([]int{0}, []int{0, 1}, []string{"a", "b"}); err == nil {
		t.Error("length mismatch accepted")
	}
	if _, err := Evaluate([]int{5}, []int{0}, []string{"a", "b"}); err == nil {
		t.Error("gold out of range accepted")
	}
	if got := WithFallback([]int{A, 0, A}, 1); !reflect.DeepEqual(got, []int{1, 0, 1}) {
		t.Errorf("WithFallback = %v", got)
	}
}
