package metrics

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestComputeMultiClassHandComputed(t *testing.T) {
	labels := []string{"negative", "neutral", "positive"}
	yTrue := []int{0, 0, 1, 1, 2, 2}
	proba := [][]float64{
		{0.7, 0.2, 0.1}, // true 0, pred 0
		{0.3, 0.5, 0.2}, // true 0, pred 1
		{0.2, 0.6, 0.2}, // true 1, pred 1
		{0.1, 0.3, 0.6}, // true 1, pred 2
		{0.1, 0.1, 0.8}, // true 2, pred 2
		{0.4, 0.4, 0.2}, // true 2, tie 0/1 -> pred 0 (lowest index)
	}
	r, err := Compute(yTrue, proba, labels)
	if err != nil {
		t.Fatal(err)
	}
	wantCM := [][]int{{1, 1, 0}, {0, 1, 1}, {1, 0, 1}}
	for i := range wantCM {
		if !slices.Equal(r.Confusion[i], wantCM[i]) {
			t.Fatalf("confusion = %v, want %v", r.Confusion, wantCM)
		}
	}
	// Each class: tp 1, fp 1, fn 1 -> precision = recall = f1 = 1/2.
	// ROC-AUC (pairs won / 4*2... i.e. U/(P*N), P=2, N=4):
	//   negative: pos {.7,.3} vs neg {.2,.1,.1,.4}: 4 + 3 = 7 -> 7/8
	//   neutral:  pos {.6,.3} vs neg {.2,.5,.1,.4}: 4 + 2 = 6 -> 6/8
	//   positive: pos {.8,.2} vs neg {.1,.2,.2,.6}: 4 + (1 + 2*.5) = 6 -> 6/8
	// AP:
	//   negative: .7 P (R .5, P 1) + .4 N + .3 P (R 1, P 2/3) -> .5 + .5*2/3 = 5/6
	//   neutral:  .6 P (R .5, P 1) + .5 N + .4 N + .3 P (R 1, P 2/4) -> .5 + .25 = 3/4
	//   positive: .8 P (R .5, P 1) + .6 N + .2 {N,N,P} (R 1, P 2/5) -> .5 + .2 = 7/10
	want := map[string]ClassStats{
		"negative": {Precision: .5, Recall: .5, F1: .5, Support: 2, ROCAUC: 7.0 / 8, PRAUC: 5.0 / 6},
		"neutral":  {Precision: .5, Recall: .5, F1: .5, Support: 2, ROCAUC: 6.0 / 8, PRAUC: 3.0 / 4},
		"positive": {Precision: .5, Recall: .5, F1: .5, Support: 2, ROCAUC: 6.0 / 8, PRAUC: 7.0 / 10},
	}
	checkPerClass(t, r, want)
	checkFloat(t, "accuracy", Float(r.Accuracy), 0.5)
	checkFloat(t, "macro_recall", r.MacroRecall, 0.5)
	checkFloat(t, "macro_precision", r.MacroPrecision, 0.5)
	checkFloat(t, "macro_f1", r.MacroF1, 0.5)
	checkFloat(t, "roc_auc", r.ROCAUC, (7.0/8+6.0/8+6.0/8)/3)
	checkFloat(t, "pr_auc", r.PRAUC, (5.0/6+3.0/4+7.0/10)/3)
	if r.AUCAverage != AverageMacroOvR || r.PositiveLabel != "" {
		t.Errorf("auc_average %q positive_label %q, want macro_ovr and none", r.AUCAverage, r.PositiveLabel)
	}
	if len(r.Warnings) != 0 {
		t.Errorf("unexpected warnings %q", r.Warnings)
	}
	for _, l := range labels {
		if c := r.Curves[l]; c.ROC == nil || c.PR == nil {
			t.Errorf("class %q lacks curves", l)
		}
	}
}

func TestComputeAbsentClass(t *testing.T) {
	labels := []string{"a", "b", "c"}
	yTrue := []int{0, 0, 1, 1} // "c" never occurs
	proba := [][]float64{
		{0.6, 0.3, 0.1}, // pred a
		{0.2, 0.3, 0.5}, // pred c (a false positive of an absent class)
		{0.1, 0.8, 0.1}, // pred b
		{0.3, 0.6, 0.1}, // pred b
	}
	r, err := Compute(yTrue, proba, labels)
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	// a: tp 1 fp 0 fn 1 -> P 1, R 1/2, F1 = 2*.5/1.5 = 2/3; AUC: {.6,.2} vs {.1,.3} -> 3/4
	//    AP: .6 P (R .5, P 1), .3 N, .2 P (R 1, P 2/3) -> .5 + 1/3
	// b: tp 2 fp 0 fn 0 -> 1, 1, 1; AUC 1; AP 1
	// c: support 0, predicted once -> precision 0, the rest undefined.
	want := map[string]ClassStats{
		"a": {Precision: 1, Recall: .5, F1: 2.0 / 3, Support: 2, ROCAUC: .75, PRAUC: .5 + 1.0/3},
		"b": {Precision: 1, Recall: 1, F1: 1, Support: 2, ROCAUC: 1, PRAUC: 1},
		"c": {Precision: 0, Recall: Float(nan), F1: Float(nan), Support: 0, ROCAUC: Float(nan), PRAUC: Float(nan)},
	}
	checkPerClass(t, r, want)
	checkFloat(t, "macro_precision", r.MacroPrecision, 2.0/3) // (1+1+0)/3
	checkFloat(t, "macro_recall", r.MacroRecall, .75)         // (.5+1)/2, c skipped
	checkFloat(t, "macro_f1", r.MacroF1, (2.0/3+1)/2)
	checkFloat(t, "roc_auc", r.ROCAUC, (.75+1)/2)
	checkFloat(t, "pr_auc", r.PRAUC, (.5+1.0/3+1)/2)
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], `"c"`) {
		t.Errorf("warnings = %q, want one about class \"c\"", r.Warnings)
	}
	if c := r.Curves["c"]; c.ROC != nil || c.PR != nil {
		t.Error("absent class has curves")
	}
}

func TestComputeSingleClassData(t *testing.T) {
	// Every sample is "positive": "negative" is absent (all undefined but its
	// precision, which is 0 because it was predicted once), and "positive"
	// has no negatives to rank, so its ROC-AUC is undefined while AP = 1.
	labels := []string{"negative", "positive"}
	yTrue := []int{1, 1, 1}
	proba := [][]float64{{0.2, 0.8}, {0.6, 0.4}, {0.1, 0.9}}
	r, err := Compute(yTrue, proba, labels)
	if err != nil {
		t.Fatal(err)
	}
	if r.PositiveLabel != "positive" || r.AUCAverage != AverageBinary {
		t.Errorf("positive %q average %q", r.PositiveLabel, r.AUCAverage)
	}
	checkFloat(t, "roc_auc", r.ROCAUC, math.NaN())
	checkFloat(t, "pr_auc", r.PRAUC, 1)
	checkFloat(t, "accuracy", Float(r.Accuracy), 2.0/3)
	// positive: tp 2 fp 0 fn 1 -> P 1, R 2/3, F1 .8; negative: P 0 (tp 0, fp 1)
	checkFloat(t, "macro_precision", r.MacroPrecision, 0.5)
	checkFloat(t, "macro_recall", r.MacroRecall, 2.0/3)
	checkFloat(t, "macro_f1", r.MacroF1, 0.8)
	if len(r.Warnings) != 2 {
		t.Errorf("warnings = %q, want 2", r.Warnings)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"roc_auc":null`) {
		t.Errorf("undefined roc_auc not null in %s", b)
	}
}

func TestComputeBinaryPositiveClass(t *testing.T) {
	yTrue := []int{0, 0, 1, 1}
	// Class-1 probabilities perfectly separate; class 0 is the mirror.
	flat := []float64{0.9, 0.1, 0.7, 0.3, 0.4, 0.6, 0.2, 0.8}
	tests := []struct {
		name   string
		labels []string
		opts   []Option
		want   string
	}{
		{"last label by default", []string{"a", "b"}, nil, "b"},
		{"label named positive", []string{"Positive", "negative"}, nil, "Positive"},
		{"explicit index", []string{"a", "b"}, []Option{WithPositive(0)}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ComputeFlat(yTrue, flat, tt.labels, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if r.PositiveLabel != tt.want {
				t.Errorf("positive = %q, want %q", r.PositiveLabel, tt.want)
			}
			if r.ROCAUC != r.PerClass[tt.want].ROCAUC || r.PRAUC != r.PerClass[tt.want].PRAUC {
				t.Errorf("headline AUCs %v/%v are not those of %q: %+v", r.ROCAUC, r.PRAUC, tt.want, r.PerClass[tt.want])
			}
			checkFloat(t, "roc_auc", r.ROCAUC, 1)
			// float32 input gives the same report.
			flat32 := make([]float32, len(flat))
			for i, v := range flat {
				flat32[i] = float32(v)
			}
			r32, err := ComputeFlat(yTrue, flat32, tt.labels, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if r32.ROCAUC != r.ROCAUC || r32.PRAUC != r.PRAUC || r32.Accuracy != r.Accuracy || r32.PositiveLabel != r.PositiveLabel {
				t.Errorf("float32 report %+v differs from float64 %+v", r32, r)
			}
		})
	}
}

func TestComputeAllEqualScores(t *testing.T) {
	r, err := Compute([]int{0, 1, 1, 0, 1}, [][]float64{{.5, .5}, {.5, .5}, {.5, .5}, {.5, .5}, {.5, .5}}, []string{"neg", "pos"})
	if err != nil {
		t.Fatal(err)
	}
	// Argmax ties go to index 0, so everything is predicted "neg".
	checkFloat(t, "accuracy", Float(r.Accuracy), 0.4)
	checkFloat(t, "roc_auc", r.ROCAUC, 0.5)
	checkFloat(t, "pr_auc", r.PRAUC, 0.6) // prevalence of "pos"
	checkFloat(t, "pos precision", r.PerClass["pos"].Precision, 0)
}

func TestComputeErrors(t *testing.T) {
	two := []string{"a", "b"}
	tests := []struct {
		name   string
		y      []int
		proba  [][]float64
		labels []string
		opts   []Option
		want   string
	}{
		{"one label", []int{0}, [][]float64{{1}}, []string{"a"}, nil, "at least 2"},
		{"duplicate label", []int{0}, [][]float64{{1, 0}}, []string{"a", "a"}, nil, `duplicate label "a"`},
		{"no samples", nil, nil, two, nil, "no samples"},
		{"row count", []int{0, 1}, [][]float64{{1, 0}}, two, nil, "1 probability rows for 2"},
		{"label range", []int{0, 2}, [][]float64{{1, 0}, {0, 1}}, two, nil, "label index 2 out of range"},
		{"row width", []int{0}, [][]float64{{1, 0, 0}}, two, nil, "3 probabilities (want 2)"},
		{"NaN", []int{0}, [][]float64{{math.NaN(), 0}}, two, nil, `probability of "a" is NaN`},
		{"positive range", []int{0}, [][]float64{{1, 0}}, two, []Option{WithPositive(2)}, "positive class index 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compute(tt.y, tt.proba, tt.labels, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "computing metrics: ") {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := ComputeFlat([]int{0, 1}, []float64{1, 0, 0}, two); err == nil {
		t.Error("ComputeFlat accepted a short slice")
	}
	if _, err := ComputeFlat([]int{0}, []float32{1, 0}, nil); err == nil {
		t.Error("ComputeFlat accepted no labels")
	}
}

func TestReportJSONKeys(t *testing.T) {
	r, err := Compute([]int{0, 1, 2, 0}, [][]float64{{.8, .1, .1}, {.2, .7, .1}, {.1, .1, .8}, {.3, .6, .1}},
		[]string{"x", "y", "z"}, WithMaxCurvePoints(3))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"accuracy", "auc_average", "confusion_matrix", "curves", "labels", "macro_f1", "macro_precision",
		"macro_recall", "n", "per_class", "pr_auc", "roc_auc"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys = %v, want %v", keys, want)
	}
	var pc map[string]map[string]json.RawMessage
	if err := json.Unmarshal(m["per_class"], &pc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"precision", "recall", "f1", "support", "roc_auc", "pr_auc"} {
		if _, ok := pc["x"][k]; !ok {
			t.Errorf("per_class.x lacks %q", k)
		}
	}
	var cv map[string]map[string]map[string][]*float64
	if err := json.Unmarshal(m["curves"], &cv); err != nil {
		t.Fatal(err)
	}
	roc := cv["x"]["roc"]
	if len(roc["fpr"]) > 3 || len(roc["fpr"]) != len(roc["thresholds"]) || roc["thresholds"][0] != nil {
		t.Errorf("curves.x.roc = %v, want <= 3 points with a null first threshold", roc)
	}
	// Round trip: null comes back as NaN.
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.MacroF1 != r.MacroF1 || back.Curves["x"].ROC.Thresholds[0].Defined() {
		t.Errorf("round trip changed values: %v vs %v", back.MacroF1, r.MacroF1)
	}
}

func TestMetricLookup(t *testing.T) {
	r, err := Compute([]int{0, 1}, [][]float64{{.9, .1}, {.2, .8}}, []string{"neg.ative", "pos"})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]float64{
		"accuracy":                      1,
		"roc_auc":                       1,
		"per_class.neg.ative.recall":    1,
		"per_class.pos.support":         1,
		"per_class.neg.ative.pr_auc":    1,
		"per_class.neg.ative.f1":        1,
		"per_class.pos.precision":       1,
		"per_class.pos.roc_auc":         1,
		"macro_f1":                      1,
		"macro_recall":                  1,
		"macro_precision":               1,
		"pr_auc":                        1,
		"per_class.neg.ative.support":   1,
		"per_class.neg.ative.roc_auc":   1,
		"per_class.neg.ative.precision": 1,
	} {
		got, err := r.Metric(name)
		if err != nil || got != want {
			t.Errorf("Metric(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	for _, bad := range []string{"f1", "per_class.pos", "per_class.nope.recall", "per_class.pos.auc"} {
		if _, err := r.Metric(bad); err == nil {
			t.Errorf("Metric(%q) succeeded", bad)
		}
	}
}

func checkFloat(t *testing.T, name string, got Float, want float64) {
	t.Helper()
	if !near(float64(got), want) {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

func checkPerClass(t *testing.T, r *Report, want map[string]ClassStats) {
	t.Helper()
	for l, w := range want {
		g, ok := r.PerClass[l]
		if !ok {
			t.Errorf("no per_class entry for %q", l)
			continue
		}
		if g.Support != w.Support {
			t.Errorf("%s support = %d, want %d", l, g.Support, w.Support)
		}
		checkFloat(t, l+" precision", g.Precision, float64(w.Precision))
		checkFloat(t, l+" recall", g.Recall, float64(w.Recall))
		checkFloat(t, l+" f1", g.F1, float64(w.F1))
		checkFloat(t, l+" roc_auc", g.ROCAUC, float64(w.ROCAUC))
		checkFloat(t, l+" pr_auc", g.PRAUC, float64(w.PRAUC))
	}
}

func BenchmarkCompute(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, c = 20000, 3
	y := make([]int, n)
	flat := make([]float64, n*c)
	for i := range y {
		y[i] = rng.IntN(c)
		for k := range c {
			flat[i*c+k] = rng.Float64()
		}
	}
	labels := []string{"negative", "neutral", "positive"}
	for b.Loop() {
		if _, err := ComputeFlat(y, flat, labels); err != nil {
			b.Fatal(err)
		}
	}
}
