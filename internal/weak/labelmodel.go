package weak

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Prediction is a label model's output for one row.
type Prediction struct {
	Label      int       // argmax class, or Abstain when the row is dropped
	Confidence float64   // probability of Label (0 when dropped)
	Probs      []float64 // per-class probabilities (nil when dropped)
}

// Result is a label model's output for a vote matrix.
type Result struct {
	Predictions []Prediction // one per row, in row order
	Uncovered   int          // rows where every LF abstained (dropped)
	Ties        int          // majority vote: rows dropped for a tie between the top classes
}

// Labeled is the number of rows with a label (not dropped).
func (r *Result) Labeled() int { return len(r.Predictions) - r.Uncovered - r.Ties }

// Labels returns the argmax labels (Abstain for dropped rows).
func (r *Result) Labels() []int {
	out := make([]int, len(r.Predictions))
	for i, p := range r.Predictions {
		out[i] = p.Label
	}
	return out
}

// MajorityVote labels each row with the class most LFs voted. Probabilities
// are the share of the row's votes per class. Ties: when two or more classes
// share the highest count the row abstains (is dropped and counted in
// Result.Ties), like Snorkel's tie_break_policy="abstain": a tie carries no
// evidence for either class. Rows no LF covers are dropped (Uncovered).
func MajorityVote(v Votes, classes int) (*Result, error) {
	if classes < 2 {
		return nil, fmt.Errorf("majority vote: %d classes, want at least 2", classes)
	}
	if _, err := v.check(classes); err != nil {
		return nil, fmt.Errorf("majority vote: %w", err)
	}
	res := &Result{Predictions: make([]Prediction, len(v))}
	counts := make([]int, classes)
	for i, row := range v {
		clear(counts)
		total := 0
		for _, x := range row {
			if x != Abstain {
				counts[x]++
				total++
			}
		}
		if total == 0 {
			res.Predictions[i] = Prediction{Label: Abstain}
			res.Uncovered++
			continue
		}
		best, tie := 0, false
		for k := 1; k < classes; k++ {
			switch {
			case counts[k] > counts[best]:
				best, tie = k, false
			case counts[k] == counts[best]:
				tie = true
			}
		}
		if tie {
			res.Predictions[i] = Prediction{Label: Abstain}
			res.Ties++
			continue
		}
		p := make([]float64, classes)
		for k := range p {
			p[k] = float64(counts[k]) / float64(total)
		}
		res.Predictions[i] = Prediction{Label: best, Confidence: p[best], Probs: p}
	}
	return res, nil
}

// DSOptions configure FitDawidSkene.
type DSOptions struct {
	Classes int
	// Symmetric learns one accuracy per LF (a wrong vote is spread evenly
	// over the other classes, abstaining carries no information) instead
	// of a full class-conditional confusion matrix in which abstaining is
	// an outcome like a vote (so an LF that fires mostly on one class is
	// evidence even when it abstains).
	Symmetric bool
	// ClassBalance fixes the class prior (normalised); nil estimates it.
	ClassBalance []float64
	MaxIter      int     // EM iterations (default 200)
	Tol          float64 // stop when the mean log-likelihood per row improves less (default 1e-7)
	Smoothing    float64 // Dirichlet pseudo-count per confusion cell (default 1)
	// Restarts adds seeded random starting points besides the majority
	// vote one; the fit with the highest likelihood wins (ties keep the
	// earlier one). 0 runs EM once, from the majority vote.
	Restarts int
	Seed     uint64
}

// DSModel is a fitted Dawid-Skene label model.
type DSModel struct {
	Classes   int
	Symmetric bool
	Prior     []float64 // class balance (given or estimated)
	// Confusion[j][k][o] = P(LF j outputs o | true class k); o in
	// [0, Classes) is a vote, o == Classes is abstaining. Symmetric
	// models fill it from Accuracy with abstaining at 0.
	Confusion [][][]float64
	// Accuracy[j] is P(LF j's vote is the true class | it votes): the
	// learned accuracy of the LF table.
	Accuracy      []float64
	Iterations    int
	Converged     bool
	LogLikelihood float64 // mean per covered row
}

// MinLFs is the fewest LFs the generative model accepts: with fewer the
// accuracies are not identifiable from agreements alone.
const MinLFs = 3

// FitDawidSkene learns each LF's accuracy from the votes alone by EM
// (Dawid & Skene 1979), starting from the majority vote's soft labels.
// Rows every LF abstains on are ignored. It is deterministic: the same
// votes and options give the same model.
func FitDawidSkene(v Votes, o DSOptions) (*DSModel, error) {
	k := o.Classes
	if k < 2 {
		return nil, fmt.Errorf("generative label model: %d classes, want at least 2", k)
	}
	m, err := v.check(k)
	if err != nil {
		return nil, fmt.Errorf("generative label model: %w", err)
	}
	if m < MinLFs {
		return nil, fmt.Errorf("generative label model: %d labeling functions, want at least %d (use majority vote with fewer)", m, MinLFs)
	}
	if o.MaxIter <= 0 {
		o.MaxIter = 200
	}
	if o.Tol <= 0 {
		o.Tol = 1e-7
	}
	if o.Smoothing <= 0 {
		o.Smoothing = 1
	}
	var prior []float64
	if o.ClassBalance != nil {
		if len(o.ClassBalance) != k {
			return nil, fmt.Errorf("generative label model: class balance has %d values, want %d", len(o.ClassBalance), k)
		}
		sum := 0.0
		for _, p := range o.ClassBalance {
			if !(p > 0) || math.IsInf(p, 0) {
				return nil, fmt.Errorf("generative label model: class balance %v: want positive values", o.ClassBalance)
			}
			sum += p
		}
		prior = make([]float64, k)
		for i, p := range o.ClassBalance {
			prior[i] = p / sum
		}
	}
	var rows [][]int
	for _, row := range v {
		if covered(row) {
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		return nil, errors.New("generative label model: every LF abstains on every row")
	}
	mv, _ := MajorityVote(rows, k)
	q0 := make([][]float64, len(rows))
	for i, p := range mv.Predictions {
		q0[i] = make([]float64, k)
		if p.Probs != nil {
			copy(q0[i], p.Probs)
			continue
		}
		// A tie: the tied classes share the row.
		for _, x := range rows[i] {
			if x != Abstain {
				q0[i][x]++
			}
		}
		normalize(q0[i])
	}
	best := em(rows, q0, k, m, prior, o)
	rng := rand.New(rand.NewPCG(o.Seed, 0x7765616b))
	for r := 0; r < o.Restarts; r++ {
		q := make([][]float64, len(rows))
		for i := range q {
			q[i] = make([]float64, k)
			for c := range q[i] {
				q[i][c] = rng.ExpFloat64()
			}
			normalize(q[i])
		}
		if fit := em(rows, q, k, m, prior, o); fit.LogLikelihood > best.LogLikelihood+1e-9 {
			best = fit
		}
	}
	return best, nil
}

func normalize(p []float64) {
	s := 0.0
	for _, x := range p {
		s += x
	}
	if s <= 0 {
		for i := range p {
			p[i] = 1 / float64(len(p))
		}
		return
	}
	for i := range p {
		p[i] /= s
	}
}

// em runs EM from the soft labels q (overwritten).
func em(rows [][]int, q [][]float64, k, m int, fixedPrior []float64, o DSOptions) *DSModel {
	md := &DSModel{Classes: k, Symmetric: o.Symmetric, Prior: make([]float64, k), Accuracy: make([]float64, m)}
	md.Confusion = make([][][]float64, m)
	for j := range md.Confusion {
		md.Confusion[j] = make([][]float64, k)
		for c := range md.Confusion[j] {
			md.Confusion[j][c] = make([]float64, k+1)
		}
	}
	prev := math.Inf(-1)
	for it := 1; it <= o.MaxIter; it++ {
		md.mstep(rows, q, fixedPrior, o.Smoothing)
		ll := md.estep(rows, q)
		md.Iterations, md.LogLikelihood = it, ll
		if ll-prev < o.Tol && it > 1 {
			md.Converged = true
			break
		}
		prev = ll
	}
	md.fillAccuracy()
	return md
}

func (md *DSModel) mstep(rows [][]int, q [][]float64, fixedPrior []float64, s float64) {
	k := md.Classes
	if fixedPrior != nil {
		copy(md.Prior, fixedPrior)
	} else {
		for c := range md.Prior {
			md.Prior[c] = 1e-3 // keeps every class possible
		}
		for _, qi := range q {
			for c, p := range qi {
				md.Prior[c] += p
			}
		}
		normalize(md.Prior)
	}
	for j := range md.Confusion {
		if md.Symmetric {
			right, total := s, 2*s
			for i, row := range rows {
				if x := row[j]; x != Abstain {
					right += q[i][x]
					total++
				}
			}
			a := right / total
			for c := 0; c < k; c++ {
				for x := 0; x < k; x++ {
					if x == c {
						md.Confusion[j][c][x] = a
					} else {
						md.Confusion[j][c][x] = (1 - a) / float64(k-1)
					}
				}
				md.Confusion[j][c][k] = 0
			}
			continue
		}
		for c := 0; c < k; c++ {
			cm := md.Confusion[j][c]
			for x := range cm {
				cm[x] = s
			}
			for i, row := range rows {
				x := row[j]
				if x == Abstain {
					x = k
				}
				cm[x] += q[i][c]
			}
			normalize(cm)
		}
	}
}

// logPost fills lp with log P(y=c) + sum_j log P(vote_j | c) and returns
// the log of the normaliser.
func (md *DSModel) logPost(row []int, lp []float64) float64 {
	k := md.Classes
	for c := 0; c < k; c++ {
		l := math.Log(md.Prior[c])
		for j, x := range row {
			if x == Abstain {
				if md.Symmetric {
					continue
				}
				x = k
			}
			l += math.Log(md.Confusion[j][c][x])
		}
		lp[c] = l
	}
	mx := math.Inf(-1)
	for _, l := range lp {
		mx = math.Max(mx, l)
	}
	sum := 0.0
	for _, l := range lp {
		sum += math.Exp(l - mx)
	}
	z := mx + math.Log(sum)
	for c := range lp {
		lp[c] = math.Exp(lp[c] - z)
	}
	return z
}

func (md *DSModel) estep(rows [][]int, q [][]float64) float64 {
	ll := 0.0
	for i, row := range rows {
		ll += md.logPost(row, q[i])
	}
	return ll / float64(len(rows))
}

func (md *DSModel) fillAccuracy() {
	k := md.Classes
	for j, cm := range md.Confusion {
		right, votes := 0.0, 0.0
		for c := 0; c < k; c++ {
			vote := 1.0
			if !md.Symmetric {
				vote = 1 - cm[c][k]
			}
			right += md.Prior[c] * cm[c][c]
			votes += md.Prior[c] * vote
		}
		if votes > 0 {
			md.Accuracy[j] = right / votes
		}
	}
}

// Predict gives each row's posterior class probabilities; rows every LF
// abstains on are dropped (Label Abstain, counted in Uncovered).
func (md *DSModel) Predict(v Votes) (*Result, error) {
	m, err := v.check(md.Classes)
	if err != nil {
		return nil, fmt.Errorf("generative label model: %w", err)
	}
	if m != len(md.Confusion) {
		return nil, fmt.Errorf("generative label model: %d LFs in the votes, the model has %d", m, len(md.Confusion))
	}
	res := &Result{Predictions: make([]Prediction, len(v))}
	for i, row := range v {
		if !covered(row) {
			res.Predictions[i] = Prediction{Label: Abstain}
			res.Uncovered++
			continue
		}
		p := make([]float64, md.Classes)
		md.logPost(row, p)
		best := 0
		for c := range p {
			if p[c] > p[best] {
				best = c
			}
		}
		res.Predictions[i] = Prediction{Label: best, Confidence: p[best], Probs: p}
	}
	return res, nil
}
