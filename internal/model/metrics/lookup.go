package metrics

import (
	"fmt"
	"math"
	"strings"
)

// MetricNames lists the headline metric names Metric accepts (the keys of
// Headlines).
var MetricNames = func() []string {
	var names []string
	for _, h := range Headlines {
		names = append(names, h.Key)
	}
	return names
}()

// Metric returns a metric by its metrics.json name, for gates and scripts.
// name is a headline key (see MetricNames) or
// "per_class.<label>.<field>" with field one of precision, recall, f1,
// support, roc_auc, pr_auc (the label may itself contain dots). The value is
// NaN when the metric is undefined; an unknown name is an error.
func (r *Report) Metric(name string) (float64, error) {
	switch name {
	case Accuracy.Key:
		return r.Accuracy, nil
	case MacroRecall.Key:
		return float64(r.MacroRecall), nil
	case MacroPrecision.Key:
		return float64(r.MacroPrecision), nil
	case MacroF1.Key:
		return float64(r.MacroF1), nil
	case ROCAUC.Key:
		return float64(r.ROCAUC), nil
	case PRAUC.Key:
		return float64(r.PRAUC), nil
	}
	rest, ok := strings.CutPrefix(name, "per_class.")
	dot := strings.LastIndexByte(rest, '.')
	if !ok || dot < 0 {
		return math.NaN(), fmt.Errorf("looking up metric %q: unknown name (want one of %s or per_class.<label>.<field>)",
			name, strings.Join(MetricNames, ", "))
	}
	label, field := rest[:dot], rest[dot+1:]
	st, ok := r.PerClass[label]
	if !ok {
		return math.NaN(), fmt.Errorf("looking up metric %q: no class %q", name, label)
	}
	switch field {
	case "precision":
		return float64(st.Precision), nil
	case "recall":
		return float64(st.Recall), nil
	case "f1":
		return float64(st.F1), nil
	case "support":
		return float64(st.Support), nil
	case "roc_auc":
		return float64(st.ROCAUC), nil
	case "pr_auc":
		return float64(st.PRAUC), nil
	}
	return math.NaN(), fmt.Errorf("looking up metric %q: unknown field %q (want precision, recall, f1, support, roc_auc or pr_auc)", name, field)
}
