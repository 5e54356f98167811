package weak

import (
	"errors"
	"fmt"
)

// ClassMetrics are one class's scores against golden labels.
type ClassMetrics struct {
	Label     string  `json:"label"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`   // golden rows of the class
	Predicted int     `json:"predicted"` // rows predicted as the class
}

// Evaluation scores predictions (class indexes, or Abstain) against golden
// labels. A row the model abstained on counts as a miss for the recall of
// its golden class and for accuracy; precision is over the rows predicted
// as each class.
type Evaluation struct {
	Labels      []string       `json:"labels"`
	Rows        int            `json:"rows"`
	Abstained   int            `json:"abstained"`
	Coverage    float64        `json:"coverage"`
	Accuracy    float64        `json:"accuracy"`
	MacroRecall float64        `json:"macro_recall"`
	MacroF1     float64        `json:"macro_f1"`
	Classes     []ClassMetrics `json:"classes"`
	// Confusion[t][p]: golden class t predicted as p; the last column
	// (index len(Labels)) counts abstentions.
	Confusion [][]int `json:"confusion"`
}

// Evaluate compares pred with gold (same length; gold values must be class
// indexes, pred values class indexes or Abstain).
func Evaluate(gold, pred []int, labels []string) (*Evaluation, error) {
	k := len(labels)
	if len(gold) != len(pred) {
		return nil, fmt.Errorf("evaluating: %d golden labels, %d predictions", len(gold), len(pred))
	}
	if len(gold) == 0 {
		return nil, errors.New("evaluating: no rows")
	}
	e := &Evaluation{Labels: labels, Rows: len(gold), Confusion: make([][]int, k)}
	for t := range e.Confusion {
		e.Confusion[t] = make([]int, k+1)
	}
	right := 0
	for i := range gold {
		t, p := gold[i], pred[i]
		if t < 0 || t >= k {
			return nil, fmt.Errorf("evaluating: row %d: golden class %d outside [0, %d)", i, t, k)
		}
		if p == Abstain {
			e.Abstained++
			e.Confusion[t][k]++
			continue
		}
		if p < 0 || p >= k {
			return nil, fmt.Errorf("evaluating: row %d: predicted class %d outside [0, %d)", i, p, k)
		}
		e.Confusion[t][p]++
		if t == p {
			right++
		}
	}
	e.Coverage = float64(e.Rows-e.Abstained) / float64(e.Rows)
	e.Accuracy = float64(right) / float64(e.Rows)
	present := 0
	for c := 0; c < k; c++ {
		cm := ClassMetrics{Label: labels[c]}
		tp := e.Confusion[c][c]
		for t := 0; t < k; t++ {
			cm.Predicted += e.Confusion[t][c]
		}
		for p := 0; p <= k; p++ {
			cm.Support += e.Confusion[c][p]
		}
		if cm.Predicted > 0 {
			cm.Precision = float64(tp) / float64(cm.Predicted)
		}
		if cm.Support > 0 {
			cm.Recall = float64(tp) / float64(cm.Support)
			present++
			e.MacroRecall += cm.Recall
		}
		if cm.Precision+cm.Recall > 0 {
			cm.F1 = 2 * cm.Precision * cm.Recall / (cm.Precision + cm.Recall)
		}
		if cm.Support > 0 {
			e.MacroF1 += cm.F1
		}
		e.Classes = append(e.Classes, cm)
	}
	if present > 0 {
		e.MacroRecall /= float64(present)
		e.MacroF1 /= float64(present)
	}
	return e, nil
}

// Class returns the metrics of the named class (nil when unknown).
func (e *Evaluation) Class(label string) *ClassMetrics {
	for i := range e.Classes {
		if e.Classes[i].Label == label {
			return &e.Classes[i]
		}
	}
	return nil
}

// WithFallback returns pred with every Abstain replaced by class fb: the
// way a pipeline that gives uncovered rows a default class would score.
func WithFallback(pred []int, fb int) []int {
	out := make([]int, len(pred))
	for i, p := range pred {
		if p == Abstain {
			p = fb
		}
		out[i] = p
	}
	return out
}
