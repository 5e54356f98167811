package cli_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/pipelines/cli"
)

// stageFakes builds the training package's stand-in component once and
// links it under every component name.
func stageFakes(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a helper binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "stagefake")
	if out, err := exec.Command("go", "build", "-o", bin, "../training/testdata/stagefake").CombinedOutput(); err != nil {
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

// fakeRuns builds the stand-in components (stageFakes) and returns a fresh
// store, the checked-in training template, the stand-ins' folder and the
// arguments that run that template with them into the store on a one-tweet
// source.
func fakeRuns(t *testing.T) (store, golden, bin string, common []string) {
	t.Helper()
	bin = stageFakes(t)
	store = filepath.Join(t.TempDir(), "store")
	golden = filepath.Join("..", "training", "generated", "workflowtemplate.yaml")
	sources := filepath.Join(t.TempDir(), "tweets.tsv")
	if err := os.WriteFile(sources, []byte("1\tpositive\tgood\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return store, golden, bin, []string{"--template", golden, "--bin", bin, "--store", store, "-q", "-p", "sources=" + sources}
}

func TestRerunCommand(t *testing.T) {
	store, _, _, common := fakeRuns(t)
	if code, _, stderr := tf(t, append([]string{"run", "--run-id", "old"}, common...)...); code != cli.ExitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	// Again: restored from the step cache; --no-cache runs every step.
	code, stdout, stderr := tf(t, append([]string{"run", "--run-id", "again"}, common...)...)
	if code != cli.ExitOK || !strings.Contains(stdout, "cached") || !strings.Contains(stdout, "step cache: 8 hits") {
		t.Errorf("identical run: exit %d: %s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = tf(t, append([]string{"run", "--run-id", "forced", "--no-cache"}, common...)...)
	if code != cli.ExitOK || strings.Contains(stdout, "cached") {
		t.Errorf("--no-cache: exit %d: %s\n%s", code, stdout, stderr)
	}
	report := filepath.Join(t.TempDir(), "report.json")
	code, stdout, stderr = tf(t, append([]string{"rerun", "--run-id", "old", "--step", "clean", "--new-run-id", "new",
		"-p", "emojis=remove", "-p", "conflicts=first", "--report", report}, common...)...)
	if code != cli.ExitOK {
		t.Fatalf("rerun: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "runs/new/clean/tweets") || !strings.Contains(stdout, "outputs in run new") {
		t.Errorf("stdout does not say where the outputs are:\n%s", stdout)
	}
	b, err := os.ReadFile(filepath.Join(store, "runs", "new", "clean", "_summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s component.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Params["emojis"] != "remove" || s.Params["conflicts"] != "first" {
		t.Errorf("params %v: want the component flag emojis and the pipeline parameter conflicts applied", s.Params)
	}
	if in := s.Inputs["tweets"]; len(in) != 1 || !strings.HasSuffix(in[0], "/runs/old/clean-map/tweets") {
		t.Errorf("inputs %v, want the old run's clean-map output", in)
	}
	if _, err := os.Stat(report); err != nil {
		t.Errorf("no report: %v", err)
	}
	for _, bad := range [][]string{
		{"rerun", "--step", "clean"},
		{"rerun", "--run-id", "old", "--step", "clean", "--in-place", "--new-run-id", "x"},
		{"rerun", "--run-id", "old", "--step", "clean", "-p", "run-id=x"},
	} {
		if code, _, stderr := tf(t, append(bad, common...)...); code != cli.ExitUsage {
			t.Errorf("%v: exit %d: %s", bad, code, stderr)
		}
	}
}
