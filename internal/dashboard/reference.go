package dashboard

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/tweetflow/tweetflow/internal/model/metrics"
)

// Reference is the distribution of one label's predicted probability on
// the model's test split, as a weighted sample: Weights[i] test rows
// scored Values[i] (increasing). It is read back from the label's
// one-vs-rest ROC curve in metrics.json (see ReferenceFromROC).
type Reference struct {
	Label   string
	Values  []float64
	Weights []float64
	N       int // test rows
	// Exact is false when the curve was downsampled (more distinct scores
	// than metrics.DefaultMaxCurvePoints): the rows between two kept
	// thresholds then count at the lower one, so the histogram and the
	// statistics are close approximations.
	Exact bool
}

// ReferenceFromROC rebuilds the score distribution of a label on the
// evaluation data from its one-vs-rest ROC curve: at threshold t the curve
// holds TPR = TP/P and FPR = FP/N', so TPR*P + FPR*N' rows scored >= t,
// where P is the label's support and N' = n - P. The differences between
// consecutive thresholds are the rows at each score. distinct is the
// number of distinct scores of the full curve when known (0: unknown); the
// reference is exact when the curve kept all of them.
func ReferenceFromROC(label string, roc metrics.ROCCurve, support, n int) (Reference, error) {
	ref := Reference{Label: label, N: n}
	if roc.Len() < 2 || len(roc.TPR) != roc.Len() || len(roc.Thresholds) != roc.Len() {
		return ref, fmt.Errorf("reference of %q: the ROC curve has %d points", label, roc.Len())
	}
	if support <= 0 || support >= n {
		return ref, fmt.Errorf("reference of %q: support %d of %d rows leaves no ROC curve", label, support, n)
	}
	neg := float64(n - support)
	prev := 0.0
	for i := 0; i < roc.Len(); i++ {
		t := float64(roc.Thresholds[i])
		tp, fp := roc.TPR[i]*float64(support), roc.FPR[i]*neg
		if math.Abs(tp-math.Round(tp)) > 1e-6 || math.Abs(fp-math.Round(fp)) > 1e-6 {
			return ref, fmt.Errorf("reference of %q: the ROC curve does not fit %d positives of %d rows (%.3f true and %.3f false positives at threshold %g)", label, support, n, tp, fp, t)
		}
		ge := math.Round(tp) + math.Round(fp)
		if math.IsInf(t, 1) || math.IsNaN(t) {
			prev = ge
			continue
		}
		if ge < prev {
			return ref, fmt.Errorf("reference of %q: the ROC curve is not monotone at threshold %g", label, t)
		}
		if ge > prev {
			ref.Values = append(ref.Values, t)
			ref.Weights = append(ref.Weights, ge-prev)
		}
		prev = ge
	}
	if int(prev) != n {
		return ref, fmt.Errorf("reference of %q: the ROC curve covers %d of %d rows", label, int(prev), n)
	}
	slices.Reverse(ref.Values)
	slices.Reverse(ref.Weights)
	// A full curve has one point per distinct score plus the +Inf start;
	// a downsampled one is cut to DefaultMaxCurvePoints.
	ref.Exact = roc.Len() < metrics.DefaultMaxCurvePoints
	return ref, nil
}

// shownMetrics are the headline metrics of metrics.json the dashboard
// shows when the gate's run summary is missing.
var shownMetrics = []metrics.Headline{metrics.ROCAUC, metrics.PRAUC, metrics.MacroRecall, metrics.MacroF1, metrics.Accuracy}

// GateCheck is one threshold of the evaluation gate.
type GateCheck struct {
	Metric    string
	Value     float64
	Threshold float64
	Pass      bool
}

// Model is what the dashboard knows of the model its reference comes from:
// version, labels, the evaluation metrics and gate, and per label the
// reference distribution.
type Model struct {
	Version  string
	Labels   []string
	Positive string // the positive label of a two-class model; "" when unknown
	// Metrics are the headline metrics of metrics.json, by key.
	Metrics map[string]float64
	Gate    []GateCheck
	Passed  *bool // the gate's decision when its run summary was read
	RunID   string
	Source  string // where the metrics came from (a URI)
	refs    map[string]Reference
}

// Reference returns the reference distribution of a label.
func (m *Model) Reference(label string) (Reference, bool) {
	if m == nil {
		return Reference{}, false
	}
	r, ok := m.refs[label]
	return r, ok
}

// stepSummary is the part of a component run summary (_summary.json) the
// dashboard reads.
type stepSummary struct {
	RunID   string            `json:"run_id"`
	Status  string            `json:"status"`
	Params  map[string]string `json:"params"`
	Results map[string]string `json:"results"`
}

// ModelMetadata is the part of a model's metadata.json the dashboard reads.
type ModelMetadata struct {
	ModelVersion  string   `json:"model_version"`
	Labels        []string `json:"labels"`
	PositiveLabel string   `json:"positive_label"`
}

// LoadModel reads evaluate-gate's metrics.json and, when not nil, the run
// summary of that step (_summary.json beside the metrics folder: the gate
// thresholds and decision) and the model's metadata.json (version,
// labels). Any of them may be nil; with no metrics there is no reference.
func LoadModel(metricsJSON, summaryJSON, metadataJSON io.Reader) (*Model, error) {
	m := &Model{Metrics: map[string]float64{}, refs: map[string]Reference{}}
	if metadataJSON != nil {
		var md ModelMetadata
		if err := json.NewDecoder(metadataJSON).Decode(&md); err != nil {
			return nil, fmt.Errorf("reading the model's metadata.json: %w", err)
		}
		m.Version, m.Labels, m.Positive = md.ModelVersion, md.Labels, md.PositiveLabel
	}
	var sum *stepSummary
	if summaryJSON != nil {
		sum = &stepSummary{}
		if err := json.NewDecoder(summaryJSON).Decode(sum); err != nil {
			return nil, fmt.Errorf("reading the evaluate-gate run summary: %w", err)
		}
		m.RunID = sum.RunID
		if v, ok := sum.Results[metrics.GatePassed]; ok {
			b, err := strconv.ParseBool(v)
			if err == nil {
				m.Passed = &b
			}
		}
	}
	if metricsJSON == nil {
		return m, nil
	}
	rep, err := metrics.ReadReport(metricsJSON)
	if err != nil {
		return nil, fmt.Errorf("reading metrics.json: %w", err)
	}
	if len(m.Labels) == 0 {
		m.Labels = rep.Labels
	} else if !slices.Equal(m.Labels, rep.Labels) {
		return nil, fmt.Errorf("metrics.json is of labels %v, the model's metadata.json of %v: give the metrics of this model", rep.Labels, m.Labels)
	}
	if m.Positive == "" {
		m.Positive = rep.PositiveLabel
	}
	for _, h := range shownMetrics {
		if v, err := rep.Metric(h.Key); err == nil {
			m.Metrics[h.Key] = v
		}
	}
	if sum != nil {
		for _, k := range slices.Sorted(maps.Keys(sum.Params)) {
			g, ok := metrics.GatedByParam(k)
			if !ok {
				continue
			}
			th, err := strconv.ParseFloat(sum.Params[k], 64)
			if err != nil {
				continue
			}
			v, err := rep.Metric(g.Key)
			if err != nil || g.Disabled(th) {
				continue
			}
			m.Gate = append(m.Gate, GateCheck{Metric: g.Key, Value: v, Threshold: th, Pass: !math.IsNaN(v) && v >= th})
		}
	}
	for _, l := range rep.Labels {
		cv, ok := rep.Curves[l]
		cs, ok2 := rep.PerClass[l]
		if !ok || !ok2 || cv.ROC == nil {
			continue
		}
		ref, err := ReferenceFromROC(l, *cv.ROC, cs.Support, rep.N)
		if err != nil {
			return nil, fmt.Errorf("reading metrics.json: %w", err)
		}
		m.refs[l] = ref
	}
	return m, nil
}
