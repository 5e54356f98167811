package metrics

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

const sklearnPython = "/usr/bin/python3"

// sklearnScript reads datasets from argv[1] and writes scikit-learn's
// metrics for each to argv[2]. Curves use drop_intermediate=False so that
// they keep every distinct threshold, like ROC and PR here.
const sklearnScript = `
import json, sys
import numpy as np
from sklearn.metrics import (accuracy_score, average_precision_score, confusion_matrix, f1_score,
    precision_recall_curve, precision_score, recall_score, roc_auc_score, roc_curve)
from sklearn.preprocessing import label_binarize

out = []
for d in json.load(open(sys.argv[1])):
    y = np.array(d["y"]); p = np.array(d["proba"]); c = p.shape[1]; labels = list(range(c))
    pred = p.argmax(axis=1)
    r = {
        "accuracy": accuracy_score(y, pred),
        "macro_recall": recall_score(y, pred, labels=labels, average="macro", zero_division=0),
        "macro_precision": precision_score(y, pred, labels=labels, average="macro", zero_division=0),
        "macro_f1": f1_score(y, pred, labels=labels, average="macro", zero_division=0),
        "recall": recall_score(y, pred, labels=labels, average=None, zero_division=0).tolist(),
        "precision": precision_score(y, pred, labels=labels, average=None, zero_division=0).tolist(),
        "f1": f1_score(y, pred, labels=labels, average=None, zero_division=0).tolist(),
        "confusion": confusion_matrix(y, pred, labels=labels).tolist(),
    }
    if c == 2:
        pos = d["positive"]
        r["roc_auc"] = roc_auc_score(y == pos, p[:, pos])
        r["pr_auc"] = average_precision_score(y == pos, p[:, pos])
    else:
        r["roc_auc"] = roc_auc_score(y, p, multi_class="ovr", average="macro", labels=labels)
        r["pr_auc"] = average_precision_score(label_binarize(y, classes=labels), p, average="macro")
    rocs, prs = [], []
    for k in labels:
        fpr, tpr, _ = roc_curve(y == k, p[:, k], drop_intermediate=False)
        prec, rec, _ = precision_recall_curve(y == k, p[:, k])
        rocs.append({"fpr": fpr.tolist(), "tpr": tpr.tolist()})
        prs.append({"recall": rec[::-1].tolist(), "precision": prec[::-1].tolist()})
        r.setdefault("class_roc_auc", []).append(roc_auc_score(y == k, p[:, k]))
        r.setdefault("class_pr_auc", []).append(average_precision_score(y == k, p[:, k]))
    r["roc"] = rocs; r["pr"] = prs
    out.append(r)
json.dump(out, open(sys.argv[2], "w"))
`

type sklearnInput struct {
	Y        []int       `json:"y"`
	Proba    [][]float64 `json:"proba"`
	Positive int         `json:"positive"`
}

type sklearnCurve struct {
	FPR, TPR, Recall, Precision []float64
}

type sklearnOutput struct {
	Accuracy       float64        `json:"accuracy"`
	MacroRecall    float64        `json:"macro_recall"`
	MacroPrecision float64        `json:"macro_precision"`
	MacroF1        float64        `json:"macro_f1"`
	Recall         []float64      `json:"recall"`
	Precision      []float64      `json:"precision"`
	F1             []float64      `json:"f1"`
	Confusion      [][]int        `json:"confusion"`
	ROCAUC         float64        `json:"roc_auc"`
	PRAUC          float64        `json:"pr_auc"`
	ClassROCAUC    []float64      `json:"class_roc_auc"`
	ClassPRAUC     []float64      `json:"class_pr_auc"`
	ROC            []sklearnCurve `json:"roc"`
	PR             []sklearnCurve `json:"pr"`
}

// randomDataset draws n samples of c classes whose probabilities are small
// integer weights normalised to one: rows sum to 1 (as scikit-learn's
// multi-class ROC-AUC requires) and scores tie often. The true class gets a
// bonus weight so the scores carry signal.
func randomDataset(rng *rand.Rand, n, c int) sklearnInput {
	d := sklearnInput{Y: make([]int, n), Proba: make([][]float64, n), Positive: rng.IntN(c)}
	for i := range n {
		y := rng.IntN(c)
		if i < c {
			y = i // every class present
		}
		w := make([]float64, c)
		var sum float64
		for k := range w {
			w[k] = float64(1 + rng.IntN(6))
			if k == y {
				w[k] += float64(rng.IntN(5))
			}
			sum += w[k]
		}
		for k := range w {
			w[k] /= sum
		}
		d.Y[i], d.Proba[i] = y, w
	}
	return d
}

func TestAgainstScikitLearn(t *testing.T) {
	if err := exec.Command(sklearnPython, "-c", "import sklearn").Run(); err != nil {
		t.Skipf("%s has no scikit-learn: %v", sklearnPython, err)
	}
	rng := rand.New(rand.NewPCG(2024, 11))
	var inputs []sklearnInput
	for _, shape := range []struct{ n, c int }{{10, 2}, {200, 2}, {1000, 2}, {50, 3}, {500, 3}, {300, 5}} {
		inputs = append(inputs, randomDataset(rng, shape.n, shape.c))
	}
	dir := t.TempDir()
	in, out, script := filepath.Join(dir, "in.json"), filepath.Join(dir, "out.json"), filepath.Join(dir, "check.py")
	b, err := json.Marshal(inputs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, []byte(sklearnScript), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(sklearnPython, script, in, out).CombinedOutput(); err != nil {
		t.Fatalf("running scikit-learn: %v\n%s", err, msg)
	}
	b, err = os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var want []sklearnOutput
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	const tol = 1e-9
	for i, d := range inputs {
		c := len(d.Proba[0])
		labels := make([]string, c)
		for k := range labels {
			labels[k] = string(rune('A' + k))
		}
		r, err := Compute(d.Y, d.Proba, labels, WithPositive(d.Positive), WithMaxCurvePoints(1<<30))
		if err != nil {
			t.Fatal(err)
		}
		w := want[i]
		cmp := func(name string, got, want float64) {
			t.Helper()
			if math.Abs(got-want) > tol {
				t.Errorf("dataset %d (n=%d, C=%d): %s = %.15g, scikit-learn %.15g", i, len(d.Y), c, name, got, want)
			}
		}
		cmp("accuracy", r.Accuracy, w.Accuracy)
		cmp("macro_recall", float64(r.MacroRecall), w.MacroRecall)
		cmp("macro_precision", float64(r.MacroPrecision), w.MacroPrecision)
		cmp("macro_f1", float64(r.MacroF1), w.MacroF1)
		cmp("roc_auc", float64(r.ROCAUC), w.ROCAUC)
		cmp("pr_auc", float64(r.PRAUC), w.PRAUC)
		for k, l := range labels {
			st := r.PerClass[l]
			cmp(l+" precision", float64(st.Precision), w.Precision[k])
			cmp(l+" recall", float64(st.Recall), w.Recall[k])
			cmp(l+" f1", float64(st.F1), w.F1[k])
			cmp(l+" roc_auc", float64(st.ROCAUC), w.ClassROCAUC[k])
			cmp(l+" pr_auc", float64(st.PRAUC), w.ClassPRAUC[k])
			for j := range c {
				if r.Confusion[k][j] != w.Confusion[k][j] {
					t.Errorf("dataset %d: confusion = %v, scikit-learn %v", i, r.Confusion, w.Confusion)
				}
			}
			cv := r.Curves[l]
			cmpCurve(t, i, l+" roc fpr", cv.ROC.FPR, w.ROC[k].FPR)
			cmpCurve(t, i, l+" roc tpr", cv.ROC.TPR, w.ROC[k].TPR)
			cmpCurve(t, i, l+" pr recall", cv.PR.Recall, w.PR[k].Recall)
			cmpCurve(t, i, l+" pr precision", cv.PR.Precision, w.PR[k].Precision)
		}
	}
}

func cmpCurve(t *testing.T, i int, name string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("dataset %d: %s has %d points, scikit-learn %d", i, name, len(got), len(want))
		return
	}
	for j := range got {
		if math.Abs(got[j]-want[j]) > 1e-9 {
			t.Errorf("dataset %d: %s[%d] = %v, scikit-learn %v", i, name, j, got[j], want[j])
			return
		}
	}
}
