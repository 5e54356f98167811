package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
	"github.com/tweetflow/tweetflow/pipelines/labeling"
	"github.com/tweetflow/tweetflow/pipelines/run"
	"github.com/tweetflow/tweetflow/pipelines/runs"
)

// TestLabelingPipelineOnDemoData runs the compiled labeling pipeline with
// the real component binaries on the committed unlabeled AI-tweet stream,
// twice: without golden labels (the gate scores the weakly labeled LF
// development set) and with the committed hand-labeled dev set as golden
// (UNSURE rows are not in the label set and are not scored).
func TestLabelingPipelineOnDemoData(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	bin := binaries(t)
	root := stagetest.RepoRoot(t)
	wt, err := labeling.Compile()
	if err != nil {
		t.Fatal(err)
	}
	store := stagetest.NewFS(t)
	golden := filepath.Join(root, "testdata/demo/ai-tweets/golden/dev_hand_labelled_500.jsonl")
	for _, tc := range []struct {
		run, golden string
		gateRows    int64 // rows the gate scores
	}{
		{"weak", "", 0},
		{"golden", golden, 494},
	} {
		t.Run(tc.run, func(t *testing.T) {
			var log strings.Builder
			rep, err := run.Run(context.Background(), wt, run.WithBinDir(bin), run.WithLog(&log), run.WithParams(map[string]string{
				"store": store.Root, "run-id": "lab-" + tc.run, "golden": tc.golden,
				"sources": filepath.Join(root, labeling.DefaultSources), "rules": filepath.Join(root, labeling.DefaultRules),
			}))
			if err != nil {
				t.Fatalf("run: %v\n%s", err, log.String())
			}
			for _, s := range rep.Steps {
				if s.Status != runs.Succeeded {
					t.Errorf("%s: %s (%s)", s.Name, s.Status, s.Message)
				}
			}
			id := "lab-" + tc.run
			// The held-out golden sets have the asked sizes and no labels;
			// nothing held out is trained on.
			test, dev := store.Tweets(t, id, labeling.HoldoutStep, "test"), store.Tweets(t, id, labeling.HoldoutStep, "validation")
			if len(test) != 200 || len(dev) != 200 {
				t.Errorf("golden test %d rows, golden dev %d rows, want 200 each", len(test), len(dev))
			}
			held := map[string]bool{}
			for _, tw := range append(test, dev...) {
				held[tw.ID] = true
				if tw.Label != "" {
					t.Fatalf("held-out tweet %s has label %q: the stream is unlabeled", tw.ID, tw.Label)
				}
			}
			weak := store.Tweets(t, id, labeling.LabelStep, "tweets")
			if len(weak) < 5000 {
				t.Errorf("only %d weakly labeled training rows", len(weak))
			}
			for _, tw := range weak {
				if held[tw.ID] {
					t.Fatalf("held-out tweet %s is in the training set", tw.ID)
				}
				if (tw.Label != "AI" && tw.Label != "OTHER") || tw.LabelProbs == nil || tw.LabelConfidence != tw.LabelProbs[tw.Label] {
					t.Fatalf("weak row %s: label %q confidence %g probs %v", tw.ID, tw.Label, tw.LabelConfidence, tw.LabelProbs)
				}
			}
			var lf struct {
				Summary struct {
					LFs []json.RawMessage `json:"lfs"`
				} `json:"summary"`
			}
			if err := json.Unmarshal(store.File(t, id, labeling.LabelStep, "report", "lf-summary.json"), &lf); err != nil || len(lf.Summary.LFs) < 3 {
				t.Errorf("lf-summary.json: %d LFs (%v)", len(lf.Summary.LFs), err)
			}
			// The gate scored the golden set when given, else the weak dev set.
			gate := rep.Step("evaluate-gate")
			if gate.Summary == nil {
				t.Fatal("no gate summary")
			}
			wantRows := tc.gateRows
			if wantRows == 0 {
				wantRows = int64(len(store.Tweets(t, id, labeling.LabelDevStep, "tweets")))
			}
			if gate.Summary.RowsOut != wantRows {
				t.Errorf("gate scored %d rows, want %d", gate.Summary.RowsOut, wantRows)
			}
			for _, k := range []string{"roc-auc", "macro-recall"} {
				if v, err := strconv.ParseFloat(gate.Outputs[k], 64); err != nil || v <= 0.5 || v > 1 {
					t.Errorf("gate %s = %q: want better than chance", k, gate.Outputs[k])
				}
			}
			t.Logf("%s: gate on %d rows: ROC-AUC %s, PR-AUC %s, macro recall %s, accuracy %s", tc.run, gate.Summary.RowsOut,
				gate.Outputs["roc-auc"], gate.Outputs["pr-auc"], gate.Outputs["macro-recall"], gate.Outputs["accuracy"])
			if _, err := os.Stat(filepath.Join(store.Root, "runs", id, "export-onnx", "onnx", "model.onnx")); gate.Outputs["passed"] == "true" && err != nil {
				t.Errorf("the gate passed but no model.onnx: %v", err)
			}
		})
	}
}
