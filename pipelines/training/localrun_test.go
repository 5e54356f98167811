package training_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/pipelines/run"
	"github.com/tweetflow/tweetflow/pipelines/runs"
)

// buildStageFake builds testdata/stagefake once and links it under every
// component name.
func buildStageFake(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "stagefake")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/stagefake")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building stagefake: %v\n%s", err, out)
	}
	for _, c := range stages.All {
		if err := os.Symlink(bin, filepath.Join(dir, c.Name)); err != nil {
			t.Fatal(err)
		}
	}
	// The fan-out's plan and gather steps are the tweetflow CLI.
	if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "tweetflow"), "../../cmd/tweetflow").CombinedOutput(); err != nil {
		t.Fatalf("building tweetflow: %v\n%s", err, out)
	}
	return dir
}

// The checked-in template runs locally end to end with stand-ins that parse
// each component's real contract: the wiring, the run layout, the results
// and the gate condition work together.
func TestLocalRunOfTheTemplate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a helper binary")
	}
	bin := buildStageFake(t)
	for _, gate := range []string{"pass", "fail"} {
		t.Run(gate, func(t *testing.T) {
			store := filepath.Join(t.TempDir(), "store")
			var log strings.Builder
			env := append(os.Environ(), "STAGEFAKE_GATE="+gate)
			rep, err := run.Run(context.Background(), load(t), run.WithBinDir(bin), run.WithEnv(env), run.WithLog(&log),
				run.WithParams(map[string]string{"store": store, "run-id": "e2e-" + gate, "sources": demoSources}))
			// A failed gate fails the run (exit 3 of the gate), as the same
			// workflow fails on Argo, with export skipped.
			var se *run.StepError
			if gate == "fail" && (!errors.As(err, &se) || se.Step != "evaluate-gate" || se.ExitCode != 3) {
				t.Fatalf("run with a failing gate: %v, want the gate's StepError\n%s", err, log.String())
			}
			if gate == "pass" && err != nil {
				t.Fatalf("run: %v\n%s", err, log.String())
			}
			want := map[string]runs.Status{}
			for _, c := range stages.All {
				want[c.Name] = runs.Succeeded
			}
			if gate == "fail" {
				want["evaluate-gate"] = runs.Failed
				want["export-onnx"] = runs.Skipped
				want["build-serving-image"] = runs.Skipped
			}
			for _, s := range rep.Steps {
				if _, ok := want[s.Name]; !ok {
					want[s.Name] = runs.Succeeded // the fan-out's plan, items and gather
				}
				if s.Status != want[s.Name] {
					t.Errorf("%s: %s (%s), want %s", s.Name, s.Status, s.Message, want[s.Name])
				}
			}
			if a := rep.Step("evaluate-gate").Attempts; a != 1 {
				t.Errorf("the gate ran %d times: a verdict (exit 3) must not be retried", a)
			}
			if got := rep.Step("evaluate-gate").Outputs["passed"]; got != map[string]string{"pass": "true", "fail": "false"}[gate] {
				t.Errorf("passed = %q", got)
			}
			if _, err := os.Stat(filepath.Join(store, "runs", "e2e-"+gate, "train", "model", "fake.txt")); err != nil {
				t.Errorf("model not in the run layout: %v", err)
			}
			var table strings.Builder
			if err := rep.WriteTable(&table); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(table.String(), fmt.Sprintf("runs/e2e-%s/clean/tweets", gate)) {
				t.Errorf("table lacks clean's output URI:\n%s", table.String())
			}
		})
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// demoSources is the demo data, from this package's folder.
const demoSources = "../../testdata/demo/semeval"
