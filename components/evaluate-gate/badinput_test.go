package main

import (
	"encoding/json"
	"testing"

	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/badinput"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
	"github.com/tweetflow/tweetflow/internal/testutil/synthcorpus"
)

// TestGateBrokenInputs runs the broken-input corpus (issue 11) through
// evaluate-gate --data: exit code, messages, rows evaluated (metrics.json
// n) and the summary's bad rows. Bad rows are bounded by --max-bad-rows as
// in ingest (defect 4: 3 good rows and 20 bad ones used to pass the gate).
func TestGateBrokenInputs(t *testing.T) {
	s := stagetest.NewFS(t)
	rows := synthcorpus.Generate(4, 600, badinput.Labels, synthcorpus.Options{Noise: 0.3})
	commitSynthModel(t, s, "m", badinput.Labels, "AI", rows[:500], rows[500:])
	model := s.URI("m", "train", "model")
	for i, c := range badinput.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			run := "r" + string(rune('a'+i/26)) + string(rune('a'+i%26))
			path := c.Make(t, t.TempDir())
			r := s.Run(t, stages.EvaluateGate, runFn, run, "--model", model, "--data", path, "--label-map", "*",
				"--label-column", "label", "--id-column", "id", "--max-bad-rows", "10", "--min-roc-auc", "0", "--min-pr-auc", "0")
			o := badinput.Outcome{Code: r.Code, Stderr: r.Stderr, Published: -1}
			if _, ok := s.Manifest(t, run, "evaluate-gate", "metrics"); ok {
				var mf metricsFile
				if err := json.Unmarshal(s.File(t, run, "evaluate-gate", "metrics", MetricsFile), &mf); err != nil {
					t.Fatal(err)
				}
				o.Published = mf.N
			}
			if c.Exit != 2 {
				sum := s.Summary(t, run, "evaluate-gate")
				if b, ok := sum.Extra["bad_rows"].(float64); ok {
					o.BadRows = int(b)
				}
				if c.Exit == 0 && c.Good > 0 && sum.RowsIn != int64(c.Good+c.Bad) {
					t.Errorf("summary rows_in %d, want %d good + %d bad", sum.RowsIn, c.Good, c.Bad)
				}
			}
			badinput.Check(t, c, path, o, true, "no rows with the model's labels")
		})
	}
}
