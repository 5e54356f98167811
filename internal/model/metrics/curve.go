package metrics

import (
	"math"
	"slices"
)

// ROCCurve is a receiver operating characteristic curve stored as parallel
// columns, ordered by decreasing threshold: point i is what you get by
// predicting positive every score >= Thresholds[i]. The first point is
// (0, 0) with threshold +Inf (nothing predicted positive), written null in
// JSON; the last point is (1, 1) at the lowest score.
type ROCCurve struct {
	FPR        []float64 `json:"fpr"`
	TPR        []float64 `json:"tpr"`
	Thresholds []Float   `json:"thresholds"`
}

// PRCurve is a precision-recall curve stored as parallel columns, ordered by
// decreasing threshold (increasing recall). The first point is
// (recall 0, precision 1) with threshold +Inf (null in JSON), the
// convention scikit-learn uses; then one point per distinct score.
type PRCurve struct {
	Recall     []float64 `json:"recall"`
	Precision  []float64 `json:"precision"`
	Thresholds []Float   `json:"thresholds"`
}

// Len returns the number of points of the curve.
func (c ROCCurve) Len() int { return len(c.FPR) }

// Len returns the number of points of the curve.
func (c PRCurve) Len() int { return len(c.Recall) }

// counts is the cumulative confusion of a binary problem at each distinct
// score, visited from the highest score down.
type counts struct {
	tp, fp     []float64 // cumulative true/false positives at each distinct threshold
	thresholds []float64
	p, n       float64 // total positives and negatives
}

// cumulate sorts scores in decreasing order and records the cumulative true
// and false positive counts after each run of equal scores. Tied scores are
// one threshold: they enter the positive set together, which is what makes
// ties produce diagonal ROC segments.
func cumulate(pos []bool, scores []float64) counts {
	if len(pos) != len(scores) {
		panic("metrics: pos and scores differ in length")
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		}
		return 0
	})
	var c counts
	var tp, fp float64
	for k, i := range idx {
		if pos[i] {
			tp++
		} else {
			fp++
		}
		if k == len(idx)-1 || scores[idx[k+1]] != scores[i] {
			c.tp = append(c.tp, tp)
			c.fp = append(c.fp, fp)
			c.thresholds = append(c.thresholds, scores[i])
		}
	}
	c.p, c.n = tp, fp
	return c
}

// ROC computes the ROC curve of scores for the binary labels pos (true =
// positive) and its area. The area is the trapezoid rule over every distinct
// threshold; a run of tied scores that mixes positives and negatives becomes
// one diagonal segment, so the area equals the Mann-Whitney U statistic
// divided by P*N with ties counted 1/2: the probability that a random
// positive outscores a random negative.
//
// The curve and area are undefined when pos has no positive or no negative:
// ROC then returns an empty curve and NaN. Scores must be finite (Compute
// checks this); pos and scores must have the same length.
func ROC(pos []bool, scores []float64) (ROCCurve, float64) {
	return cumulate(pos, scores).roc()
}

func (c counts) roc() (ROCCurve, float64) {
	if c.p == 0 || c.n == 0 {
		return ROCCurve{}, math.NaN()
	}
	m := len(c.tp) + 1
	curve := ROCCurve{
		FPR:        make([]float64, 0, m),
		TPR:        make([]float64, 0, m),
		Thresholds: make([]Float, 0, m),
	}
	curve.FPR = append(curve.FPR, 0)
	curve.TPR = append(curve.TPR, 0)
	curve.Thresholds = append(curve.Thresholds, Float(math.Inf(1)))
	// Twice the area in count units, exact for any realistic n.
	var area2, prevTP, prevFP float64
	for i := range c.tp {
		area2 += (c.fp[i] - prevFP) * (c.tp[i] + prevTP)
		prevTP, prevFP = c.tp[i], c.fp[i]
		curve.FPR = append(curve.FPR, c.fp[i]/c.n)
		curve.TPR = append(curve.TPR, c.tp[i]/c.p)
		curve.Thresholds = append(curve.Thresholds, Float(c.thresholds[i]))
	}
	return curve, area2 / (2 * c.p * c.n)
}

// PR computes the precision-recall curve of scores for the binary labels pos
// and its average precision, scikit-learn's definition of PR-AUC:
//
//	AP = sum over distinct thresholds n of (R_n - R_{n-1}) * P_n,  R_0 = 0
//
// a step-wise sum (no interpolation), where P_n and R_n are the precision
// and recall when predicting positive every score >= threshold n. Tied
// scores form one threshold.
//
// The curve and AP are undefined when pos has no positive (recall is 0/0):
// PR then returns an empty curve and NaN. With no negatives, precision is 1
// everywhere and AP is 1.
func PR(pos []bool, scores []float64) (PRCurve, float64) {
	return cumulate(pos, scores).pr()
}

func (c counts) pr() (PRCurve, float64) {
	if c.p == 0 {
		return PRCurve{}, math.NaN()
	}
	m := len(c.tp) + 1
	curve := PRCurve{
		Recall:     make([]float64, 0, m),
		Precision:  make([]float64, 0, m),
		Thresholds: make([]Float, 0, m),
	}
	curve.Recall = append(curve.Recall, 0)
	curve.Precision = append(curve.Precision, 1)
	curve.Thresholds = append(curve.Thresholds, Float(math.Inf(1)))
	var ap, prevTP float64
	for i := range c.tp {
		prec := c.tp[i] / (c.tp[i] + c.fp[i])
		ap += (c.tp[i] - prevTP) / c.p * prec
		prevTP = c.tp[i]
		curve.Recall = append(curve.Recall, c.tp[i]/c.p)
		curve.Precision = append(curve.Precision, prec)
		curve.Thresholds = append(curve.Thresholds, Float(c.thresholds[i]))
	}
	return curve, ap
}

// Downsample returns a copy of c with at most max points (max < 2 means 2),
// chosen evenly along the curve's length so that both steep and flat parts
// keep their shape. The first and last points are always kept. Areas must be
// computed on the full curve; the reduced one is for plotting.
func (c ROCCurve) Downsample(max int) ROCCurve {
	keep := downsampleIndex(c.FPR, c.TPR, max)
	if keep == nil {
		return ROCCurve{
			FPR:        slices.Clone(c.FPR),
			TPR:        slices.Clone(c.TPR),
			Thresholds: slices.Clone(c.Thresholds),
		}
	}
	out := ROCCurve{
		FPR:        make([]float64, len(keep)),
		TPR:        make([]float64, len(keep)),
		Thresholds: make([]Float, len(keep)),
	}
	for j, i := range keep {
		out.FPR[j], out.TPR[j], out.Thresholds[j] = c.FPR[i], c.TPR[i], c.Thresholds[i]
	}
	return out
}

// Downsample returns a copy of c with at most max points; see
// ROCCurve.Downsample.
func (c PRCurve) Downsample(max int) PRCurve {
	keep := downsampleIndex(c.Recall, c.Precision, max)
	if keep == nil {
		return PRCurve{
			Recall:     slices.Clone(c.Recall),
			Precision:  slices.Clone(c.Precision),
			Thresholds: slices.Clone(c.Thresholds),
		}
	}
	out := PRCurve{
		Recall:     make([]float64, len(keep)),
		Precision:  make([]float64, len(keep)),
		Thresholds: make([]Float, len(keep)),
	}
	for j, i := range keep {
		out.Recall[j], out.Precision[j], out.Thresholds[j] = c.Recall[i], c.Precision[i], c.Thresholds[i]
	}
	return out
}

// downsampleIndex picks at most max indices of the polyline (x, y), evenly
// spaced in cumulative L1 length, always including the first and last. It
// returns nil when no reduction is needed.
func downsampleIndex(x, y []float64, max int) []int {
	n := len(x)
	if max < 2 {
		max = 2
	}
	if n <= max {
		return nil
	}
	cum := make([]float64, n)
	for i := 1; i < n; i++ {
		cum[i] = cum[i-1] + math.Abs(x[i]-x[i-1]) + math.Abs(y[i]-y[i-1])
	}
	total := cum[n-1]
	keep := make([]int, 0, max)
	keep = append(keep, 0)
	i := 1
	for k := 1; k < max-1; k++ {
		var target float64
		if total > 0 {
			target = total * float64(k) / float64(max-1)
		} else {
			target = math.Inf(1) // degenerate: only endpoints
		}
		for i < n-1 && cum[i] < target {
			i++
		}
		if i >= n-1 {
			break
		}
		if i > keep[len(keep)-1] {
			keep = append(keep, i)
		}
	}
	keep = append(keep, n-1)
	return keep
}
