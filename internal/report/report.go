package report

import (
	"math"

	"github.com/tweetflow/tweetflow/internal/model/metrics"
)

// DefaultTitle is the page title used when Report.Title is empty.
const DefaultTitle = "tweetflow evaluation"

// Report is everything an evaluation report shows: who and what was
// evaluated, the quality gate's verdict per metric, and the metrics.
type Report struct {
	Title        string // page title; DefaultTitle when empty
	ModelVersion string // e.g. a model tag or content hash
	RunID        string // pipeline run that produced the model
	Dataset      string // name of the evaluation set
	Gate         []GateCheck
	Metrics      *metrics.Report
}

// GateCheck is the outcome of one quality-gate rule: Value Op Threshold
// must hold for the gate to pass. The gate decides Pass; the report only
// shows it.
type GateCheck struct {
	Metric    string  // metrics.json name, e.g. "macro_f1" or "per_class.negative.recall"
	Value     float64 // NaN when the metric is undefined
	Op        string  // ">=", ">", "<=" or "<"; empty means ">="
	Threshold float64
	Pass      bool
}

// Passed reports whether every gate check passed (true with no checks).
func (r Report) Passed() bool {
	for _, c := range r.Gate {
		if !c.Pass {
			return false
		}
	}
	return true
}

func (r Report) title() string {
	if r.Title == "" {
		return DefaultTitle
	}
	return r.Title
}

func (c GateCheck) op() string {
	if c.Op == "" {
		return ">="
	}
	return c.Op
}

func defined(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
