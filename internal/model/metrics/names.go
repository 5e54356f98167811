package metrics

// Headline names one headline metric of metrics.json everywhere it is
// named: its key (Report.Metric), evaluate-gate's result and threshold
// parameter, and how the report and dashboard title it. It is the one
// mapping between these names (the contract, evaluate-gate and the
// dashboard read it).
type Headline struct {
	Key   string // metrics.json key, e.g. "roc_auc"
	Title string // display name, e.g. "ROC-AUC"
	// Result is evaluate-gate's result (an Argo output parameter), e.g.
	// "roc-auc"; "" when the step does not report it.
	Result string
	// Param is evaluate-gate's threshold parameter, e.g. "min-roc-auc";
	// "" when the metric is not gated.
	Param string
	// ZeroDisables: a threshold of 0 turns the check off (instead of
	// failing only a NaN value).
	ZeroDisables bool
	Description  string // of the result, one phrase
}

// GatePassed is the result evaluate-gate reports its decision as
// ("true" when every threshold of Gated is met).
const GatePassed = "passed"

// The headline metrics.
var (
	Accuracy       = Headline{Key: "accuracy", Title: "accuracy", Result: "accuracy", Description: "accuracy"}
	MacroRecall    = Headline{Key: "macro_recall", Title: "macro recall", Result: "macro-recall", Param: "min-macro-recall", ZeroDisables: true, Description: "macro-averaged recall"}
	MacroPrecision = Headline{Key: "macro_precision", Title: "macro precision", Description: "macro-averaged precision"}
	MacroF1        = Headline{Key: "macro_f1", Title: "macro F1", Description: "macro-averaged F1"}
	ROCAUC         = Headline{Key: "roc_auc", Title: "ROC-AUC", Result: "roc-auc", Param: "min-roc-auc", Description: "ROC-AUC"}
	PRAUC          = Headline{Key: "pr_auc", Title: "PR-AUC", Result: "pr-auc", Param: "min-pr-auc", Description: "PR-AUC (average precision)"}
)

// Headlines lists every headline metric (the names Metric accepts besides
// per_class.<label>.<field>).
var Headlines = []Headline{Accuracy, MacroRecall, MacroPrecision, MacroF1, ROCAUC, PRAUC}

// Gated lists the metrics the quality gate thresholds, in gate order.
var Gated = []Headline{ROCAUC, PRAUC, MacroRecall}

// Reported lists the metrics evaluate-gate reports as results, in order.
var Reported = []Headline{ROCAUC, PRAUC, MacroRecall, Accuracy}

// GatedByParam returns the gated metric whose threshold parameter is param.
func GatedByParam(param string) (Headline, bool) {
	for _, h := range Gated {
		if h.Param == param {
			return h, true
		}
	}
	return Headline{}, false
}

// Disabled reports whether threshold th turns the check of h off.
func (h Headline) Disabled(th float64) bool { return h.ZeroDisables && th == 0 }
