package runs

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/tweetflow/tweetflow/internal/component"
)

func TestDiff(t *testing.T) {
	step := func(name, status string, params, results map[string]string, in, out int64) *component.Summary {
		return &component.Summary{Step: name, Status: status, Params: params, Results: results, RowsIn: in, RowsOut: out}
	}
	a := &RunInfo{ID: "a", Steps: []*component.Summary{
		step("clean", "succeeded", map[string]string{"emojis": "keep", "urls": "remove"}, nil, 100, 90),
		step("train", "succeeded", map[string]string{"epochs": "5"}, nil, 90, 1),
		step("evaluate-gate", "succeeded", map[string]string{"min-roc-auc": "0.75"},
			map[string]string{"passed": "true", "roc-auc": "0.8301", "macro-recall": "0.6672", "digest": "sha256:a"}, 10, 10),
		step("export-onnx", "succeeded", nil, nil, 0, 1),
	}}
	b := &RunInfo{ID: "b", Steps: []*component.Summary{
		step("clean", "succeeded", map[string]string{"emojis": "remove", "urls": "remove"}, nil, 100, 88),
		step("train", "succeeded", map[string]string{"epochs": "10", "hidden": "64"}, nil, 88, 1),
		step("evaluate-gate", "gate-failed", map[string]string{"min-roc-auc": "0.75"},
			map[string]string{"passed": "false", "roc-auc": "0.7", "macro-recall": "0.6791", "digest": "sha256:b"}, 10, 10),
		step("train-h64", "succeeded", nil, nil, 88, 1),
	}}
	want := []DiffRow{
		{Step: "clean", Kind: DiffParam, Name: "emojis", A: "keep", B: "remove"},
		{Step: "clean", Kind: DiffRows, Name: "out", A: "90", B: "88", Delta: "-2"},
		{Step: "train", Kind: DiffParam, Name: "epochs", A: "5", B: "10"},
		{Step: "train", Kind: DiffParam, Name: "hidden", A: "-", B: "64"},
		{Step: "train", Kind: DiffRows, Name: "in", A: "90", B: "88", Delta: "-2"},
		{Step: "evaluate-gate", Kind: DiffStatus, A: "succeeded", B: "gate-failed"},
		{Step: "evaluate-gate", Kind: DiffResult, Name: "macro-recall", A: "0.6672", B: "0.6791", Delta: "+0.0119"},
		{Step: "evaluate-gate", Kind: DiffResult, Name: "passed", A: "true", B: "false"},
		{Step: "evaluate-gate", Kind: DiffResult, Name: "roc-auc", A: "0.8301", B: "0.7", Delta: "-0.1301"},
		{Step: "export-onnx", Kind: DiffStep, A: "succeeded", B: "-"},
		{Step: "train-h64", Kind: DiffStep, A: "-", B: "succeeded"},
	}
	if got := Diff(a, b); !reflect.DeepEqual(got, want) {
		t.Errorf("Diff:\n got %+v\nwant %+v", got, want)
	}
	if got := Diff(a, a); len(got) != 0 {
		t.Errorf("a run against itself: %+v", got)
	}

	// Fan-out items that differ alike make one row; one that differs
	// otherwise keeps its own.
	items := func(state string, outs ...int64) *RunInfo {
		r := &RunInfo{}
		for i, n := range outs {
			r.Steps = append(r.Steps, step(fmt.Sprintf("clean-map-%04d", i), "succeeded",
				map[string]string{"state": state, "spill-dir": ""}, nil, 10, n))
		}
		r.Steps = append(r.Steps, step("clean", "succeeded", map[string]string{"state": state}, nil, 30, 30))
		return r
	}
	want = []DiffRow{
		{Step: "clean-map-* (3 items)", Kind: DiffParam, Name: "state", A: "memory", B: "disk"},
		{Step: "clean-map-0001", Kind: DiffRows, Name: "out", A: "10", B: "9", Delta: "-1"},
		{Step: "clean", Kind: DiffParam, Name: "state", A: "memory", B: "disk"},
	}
	if got := Diff(items("memory", 10, 10, 10), items("disk", 10, 9, 10)); !reflect.DeepEqual(got, want) {
		t.Errorf("Diff of fan-out items:\n got %+v\nwant %+v", got, want)
	}
	a.Steps[0].Params["urls"] = ""
	if got := Diff(a, b); got[1] != (DiffRow{Step: "clean", Kind: DiffParam, Name: "urls", A: `""`, B: "remove"}) {
		t.Errorf("an empty value: %+v", got[1])
	}
}
