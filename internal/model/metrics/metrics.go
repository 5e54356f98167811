package metrics

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// DefaultMaxCurvePoints is the default bound on the number of points kept
// per curve in a Report.
const DefaultMaxCurvePoints = 500

// Averaging modes reported in Report.AUCAverage.
const (
	AverageBinary   = "binary"    // AUCs of the positive class
	AverageMacroOvR = "macro_ovr" // unweighted mean of one-vs-rest AUCs
)

// Report is the evaluation of a classifier on a labelled set. Its JSON form
// is metrics.json; the keys are a public contract documented in the package
// doc. Undefined values are NaN in Go and null in JSON.
type Report struct {
	Labels         []string              `json:"labels"`
	N              int                   `json:"n"`
	Accuracy       float64               `json:"accuracy"`
	MacroRecall    Float                 `json:"macro_recall"`
	MacroPrecision Float                 `json:"macro_precision"`
	MacroF1        Float                 `json:"macro_f1"`
	ROCAUC         Float                 `json:"roc_auc"`
	PRAUC          Float                 `json:"pr_auc"`
	AUCAverage     string                `json:"auc_average"`
	PositiveLabel  string                `json:"positive_label,omitempty"`
	PerClass       map[string]ClassStats `json:"per_class"`
	Confusion      [][]int               `json:"confusion_matrix"`
	Curves         map[string]Curves     `json:"curves"`
	Warnings       []string              `json:"warnings,omitempty"`
}

// ClassStats are the one-vs-rest metrics of one class.
type ClassStats struct {
	Precision Float `json:"precision"`
	Recall    Float `json:"recall"`
	F1        Float `json:"f1"`
	Support   int   `json:"support"`
	ROCAUC    Float `json:"roc_auc"`
	PRAUC     Float `json:"pr_auc"`
}

// Curves are the one-vs-rest curves of one class, scored by the predicted
// probability of that class. A curve is nil (absent in JSON) when it is
// undefined.
type Curves struct {
	ROC *ROCCurve `json:"roc,omitempty"`
	PR  *PRCurve  `json:"pr,omitempty"`
}

type config struct {
	positive    int // -1: default rule
	maxPoints   int
	positiveSet bool
}

// Option configures Compute.
type Option func(*config)

// WithPositive sets the index of the positive class of a binary problem,
// whose ROC-AUC and PR-AUC become the headline roc_auc and pr_auc. By default
// it is the label named "positive" if there is one, else the last label. It
// is ignored for more than two classes.
func WithPositive(index int) Option {
	return func(c *config) { c.positive, c.positiveSet = index, true }
}

// WithMaxCurvePoints bounds the points kept per curve in the Report
// (default DefaultMaxCurvePoints; values below 2 mean 2). AUCs are always
// computed on the full curves.
func WithMaxCurvePoints(n int) Option {
	return func(c *config) { c.maxPoints = n }
}

// ComputeFlat is Compute for probabilities stored row-major in one slice
// of float64 or float32 (as classifier.PredictDataset returns): the
// probability of class c for sample i is proba[i*len(labels)+c]. float64
// input is used in place; float32 input is widened to a copy.
func ComputeFlat[F float32 | float64](yTrue []int, proba []F, labels []string, opts ...Option) (*Report, error) {
	c := len(labels)
	if c == 0 {
		return nil, errors.New("computing metrics: no labels")
	}
	if len(proba) != len(yTrue)*c {
		return nil, fmt.Errorf("computing metrics: %d probabilities for %d samples of %d classes (want %d)",
			len(proba), len(yTrue), c, len(yTrue)*c)
	}
	flat, ok := any(proba).([]float64)
	if !ok {
		flat = make([]float64, len(proba))
		for i, v := range proba {
			flat[i] = float64(v)
		}
	}
	rows := make([][]float64, len(yTrue))
	for i := range rows {
		rows[i] = flat[i*c : (i+1)*c : (i+1)*c]
	}
	return Compute(yTrue, rows, labels, opts...)
}

// Compute evaluates predicted class probabilities against true labels.
// yTrue[i] is the index in labels of sample i's class; proba[i][c] is the
// model's score for class c (probabilities, or any finite scores where
// higher means more likely). The predicted class is the argmax of each row,
// the lowest index winning ties.
//
// At least two labels are required, with distinct names. A class absent
// from yTrue has undefined recall, F1, ROC-AUC and PR-AUC, reported as NaN
// (null in JSON), skipped by the macro averages and listed in Warnings; see
// the package doc for the precision rule.
func Compute(yTrue []int, proba [][]float64, labels []string, opts ...Option) (*Report, error) {
	cfg := config{positive: -1, maxPoints: DefaultMaxCurvePoints}
	for _, o := range opts {
		o(&cfg)
	}
	nc := len(labels)
	if err := validate(yTrue, proba, labels); err != nil {
		return nil, fmt.Errorf("computing metrics: %w", err)
	}
	n := len(yTrue)

	r := &Report{
		Labels:    append([]string(nil), labels...),
		N:         n,
		PerClass:  make(map[string]ClassStats, nc),
		Confusion: make([][]int, nc),
		Curves:    make(map[string]Curves, nc),
	}
	for i := range r.Confusion {
		r.Confusion[i] = make([]int, nc)
	}
	correct := 0
	for i, t := range yTrue {
		p := argmax(proba[i])
		r.Confusion[t][p]++
		if p == t {
			correct++
		}
	}
	r.Accuracy = float64(correct) / float64(n)

	pos := make([]bool, n)
	scores := make([]float64, n)
	stats := make([]ClassStats, nc)
	for c := 0; c < nc; c++ {
		var tp, fn, fp int
		for k := 0; k < nc; k++ {
			if k == c {
				tp = r.Confusion[c][c]
				continue
			}
			fn += r.Confusion[c][k]
			fp += r.Confusion[k][c]
		}
		st := classStats(tp, fp, fn)
		for i, t := range yTrue {
			pos[i] = t == c
			scores[i] = proba[i][c]
		}
		cum := cumulate(pos, scores)
		roc, rocAUC := cum.roc()
		pr, ap := cum.pr()
		st.ROCAUC, st.PRAUC = Float(rocAUC), Float(ap)
		var cv Curves
		if roc.Len() > 0 {
			d := roc.Downsample(cfg.maxPoints)
			cv.ROC = &d
		}
		if pr.Len() > 0 {
			d := pr.Downsample(cfg.maxPoints)
			cv.PR = &d
		}
		stats[c] = st
		r.PerClass[labels[c]] = st
		r.Curves[labels[c]] = cv
		if st.Support == 0 {
			r.Warnings = append(r.Warnings, fmt.Sprintf(
				"class %q is absent from the true labels: its recall, f1, roc_auc and pr_auc are undefined and left out of the macro averages", labels[c]))
		} else if st.Support == n {
			r.Warnings = append(r.Warnings, fmt.Sprintf(
				"every sample is of class %q: its roc_auc is undefined and left out of the macro average", labels[c]))
		}
	}

	r.MacroPrecision = macro(stats, func(s ClassStats) Float { return s.Precision })
	r.MacroRecall = macro(stats, func(s ClassStats) Float { return s.Recall })
	r.MacroF1 = macro(stats, func(s ClassStats) Float { return s.F1 })
	if nc == 2 {
		p := cfg.positive
		if !cfg.positiveSet {
			p = defaultPositive(labels)
		} else if p < 0 || p >= nc {
			return nil, fmt.Errorf("computing metrics: positive class index %d out of range [0, %d)", p, nc)
		}
		r.AUCAverage = AverageBinary
		r.PositiveLabel = labels[p]
		r.ROCAUC, r.PRAUC = stats[p].ROCAUC, stats[p].PRAUC
	} else {
		r.AUCAverage = AverageMacroOvR
		r.ROCAUC = macro(stats, func(s ClassStats) Float { return s.ROCAUC })
		r.PRAUC = macro(stats, func(s ClassStats) Float { return s.PRAUC })
	}
	return r, nil
}

// classStats derives precision, recall and F1 from one class's counts.
func classStats(tp, fp, fn int) ClassStats {
	st := ClassStats{Support: tp + fn}
	switch {
	case tp+fp > 0:
		st.Precision = Float(float64(tp) / float64(tp+fp))
	case st.Support > 0:
		st.Precision = 0 // never predicted but present: scikit-learn's zero_division=0
	default:
		st.Precision = Undefined
	}
	if st.Support == 0 {
		st.Recall, st.F1 = Undefined, Undefined
		return st
	}
	st.Recall = Float(float64(tp) / float64(st.Support))
	if s := st.Precision + st.Recall; s > 0 {
		st.F1 = 2 * st.Precision * st.Recall / s
	}
	return st
}

// macro is the unweighted mean of the defined values of f over classes, or
// NaN if none is defined.
func macro(stats []ClassStats, f func(ClassStats) Float) Float {
	var sum float64
	k := 0
	for _, s := range stats {
		if v := f(s); v.Defined() {
			sum += float64(v)
			k++
		}
	}
	if k == 0 {
		return Undefined
	}
	return Float(sum / float64(k))
}

func defaultPositive(labels []string) int {
	for i, l := range labels {
		if strings.EqualFold(l, "positive") {
			return i
		}
	}
	return len(labels) - 1
}

func argmax(row []float64) int {
	best := 0
	for c := 1; c < len(row); c++ {
		if row[c] > row[best] {
			best = c
		}
	}
	return best
}

func validate(yTrue []int, proba [][]float64, labels []string) error {
	nc := len(labels)
	if nc < 2 {
		return fmt.Errorf("%d labels (want at least 2)", nc)
	}
	seen := make(map[string]bool, nc)
	for _, l := range labels {
		if seen[l] {
			return fmt.Errorf("duplicate label %q", l)
		}
		seen[l] = true
	}
	if len(yTrue) == 0 {
		return errors.New("no samples")
	}
	if len(proba) != len(yTrue) {
		return fmt.Errorf("%d probability rows for %d labels", len(proba), len(yTrue))
	}
	for i, t := range yTrue {
		if t < 0 || t >= nc {
			return fmt.Errorf("sample %d: label index %d out of range [0, %d)", i, t, nc)
		}
		if len(proba[i]) != nc {
			return fmt.Errorf("sample %d: %d probabilities (want %d)", i, len(proba[i]), nc)
		}
		for c, v := range proba[i] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("sample %d: probability of %q is %v", i, labels[c], v)
			}
		}
	}
	return nil
}
