package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/pipelines/cli"
	"github.com/tweetflow/tweetflow/pipelines/runs"
)

func TestRunsCommand(t *testing.T) {
	store, _, bin, common := fakeRuns(t)
	common = append(common, "--no-cache")
	if code, stdout, stderr := tf(t, "runs", "--store", store); code != cli.ExitOK || !strings.Contains(stdout, "no runs in") {
		t.Errorf("empty store: exit %d: %s%s", code, stdout, stderr)
	}
	code, stdout, stderr := tf(t, append([]string{"run", "--run-id", "good"}, common...)...)
	if code != cli.ExitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	// The run says how to serve its model and where the runs are listed.
	for _, want := range []string{
		"serve the model:   " + filepath.Join(bin, "serve") + " --model " + filepath.Join(store, "runs", "good", "export-onnx", "onnx"),
		"list the runs:     " + filepath.Join(bin, "tweetflow") + " runs --store " + store,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("run output lacks %q:\n%s", want, stdout)
		}
	}
	t.Setenv("STAGEFAKE_GATE", "fail")
	code, stdout, stderr = tf(t, append([]string{"run", "--run-id", "gated"}, common...)...)
	// The run fails as on Argo (the export steps after the gate were
	// skipped), still printing its table, with no model to serve.
	if code != cli.ExitFailed || strings.Contains(stdout, "serve the model") || !strings.Contains(stdout, "evaluate-gate") ||
		!strings.Contains(stderr, "the workflow fails, as on Argo") {
		t.Fatalf("run with a failing gate: exit %d (want %d, no model to serve): %s%s", code, cli.ExitFailed, stdout, stderr)
	}

	code, stdout, stderr = tf(t, "runs", "--store", store)
	if code != cli.ExitOK {
		t.Fatalf("runs: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "RUN ID") {
		t.Fatalf("runs:\n%s", stdout)
	}
	// Newest first; the gate's verdict and metrics.
	for i, want := range [][]string{{"gated", "gate-failed", "failed", "roc-auc=0.8"}, {"good", "succeeded", "passed", "roc-auc=0.8"}} {
		f := strings.Fields(lines[i+1])
		if f[0] != want[0] || f[5] != want[1] || f[6] != want[2] || f[7] != want[3] {
			t.Errorf("row %d: %q, want %v", i, lines[i+1], want)
		}
	}
	if code, stdout, _ := tf(t, "runs", "--store", store, "--limit", "1"); code != cli.ExitOK ||
		strings.Contains(stdout, "good ") || !strings.Contains(stdout, "1 of 2 runs") {
		t.Errorf("--limit 1: exit %d:\n%s", code, stdout)
	}
	code, stdout, _ = tf(t, "runs", "--store", store, "--json")
	var infos []runs.RunInfo
	if code != cli.ExitOK || json.Unmarshal([]byte(stdout), &infos) != nil || len(infos) != 2 || len(infos[1].Steps) == 0 {
		t.Errorf("--json: exit %d:\n%s", code, stdout)
	}
	code, stdout, _ = tf(t, "runs", "--store", store, "--json", "show", "good")
	var one runs.RunInfo
	if code != cli.ExitOK || json.Unmarshal([]byte(stdout), &one) != nil || one.ID != "good" || len(one.Steps) != len(infos[1].Steps) {
		t.Errorf("runs --json show: exit %d:\n%s", code, stdout)
	}

	code, stdout, stderr = tf(t, "runs", "show", "--store", store, "good")
	if code != cli.ExitOK {
		t.Fatalf("runs show: exit %d: %s", code, stderr)
	}
	for _, s := range []string{"run good, started", "status succeeded", "export-onnx", "build-serving-image",
		filepath.Join(store, "runs", "good", "export-onnx", "onnx")} {
		if !strings.Contains(stdout, s) {
			t.Errorf("runs show lacks %q:\n%s", s, stdout)
		}
	}
	// Flags of 'runs' before 'show' count too.
	code, stdout, _ = tf(t, "runs", "--store", store, "show", "gated")
	if code != cli.ExitOK || !strings.Contains(stdout, "status gate-failed") || strings.Contains(stdout, "export-onnx") {
		t.Errorf("runs show gated: exit %d:\n%s", code, stdout)
	}

	// The two runs differ in the gate's verdict, and the gated one has no export steps.
	code, stdout, stderr = tf(t, "runs", "diff", "--store", store, "good", "gated")
	if code != cli.ExitOK {
		t.Fatalf("runs diff: exit %d: %s", code, stderr)
	}
	for _, want := range [][]string{
		{"STEP", "WHAT", "good", "gated", "DELTA"},
		{"evaluate-gate", "status", "succeeded", "gate-failed"},
		{"evaluate-gate", "result", "passed", "true", "false"},
		{"export-onnx", "step", "succeeded", "-"},
		{"build-serving-image", "step", "succeeded", "-"},
	} {
		if !hasFieldsLine(stdout, want) {
			t.Errorf("runs diff lacks a line %v:\n%s", want, stdout)
		}
	}
	if code, stdout, _ := tf(t, "runs", "diff", "--store", store, "good", "good"); code != cli.ExitOK || !strings.Contains(stdout, "no differences") {
		t.Errorf("a run against itself: exit %d: %s", code, stdout)
	}
	code, stdout, _ = tf(t, "runs", "diff", "--store", store, "--json", "good", "gated")
	var diff []runs.DiffRow
	if code != cli.ExitOK || json.Unmarshal([]byte(stdout), &diff) != nil || len(diff) < 4 {
		t.Errorf("runs diff --json: exit %d:\n%s", code, stdout)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"runs", "diff", "--store", store, "good"}, cli.ExitUsage, "want two run IDs, got 1"},
		{[]string{"runs", "diff", "--store", store, "good", "missing"}, cli.ExitFailed, `reading run "missing"`},
		{[]string{"runs", "diff", "good", "gated", "--store", store}, cli.ExitUsage, `flag "--store" after a run ID`},
		{[]string{"runs", "show", "--store", store, "missing"}, cli.ExitFailed, "no step summaries"},
		{[]string{"runs", "show", "good", "--store", store}, cli.ExitUsage, `flag "--store" after the run ID`},
		{[]string{"runs", "show", "--store", store, "good", "gated"}, cli.ExitUsage, "want one run ID, got 2"},
		{[]string{"runs", "show", "--store", store}, cli.ExitUsage, "want one run ID"},
		{[]string{"runs", "show", "--store", store, "../x"}, cli.ExitUsage, "invalid run ID"},
		{[]string{"runs", "good", "--store", store}, cli.ExitUsage, "tweetflow runs show good"},
		{[]string{"runs", "--limit", "-1", "--store", store}, cli.ExitUsage, "--limit -1"},
		{[]string{"runs", "--store", "s3://"}, cli.ExitUsage, "missing bucket"},
	} {
		if code, _, stderr := tf(t, tc.args...); code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want %d; stderr %q lacks %q", tc.args, code, tc.code, stderr, tc.want)
		}
	}
}

func TestRunsDeleteAndPrune(t *testing.T) {
	store, golden, bin, common := fakeRuns(t)
	for _, id := range []string{"one", "two", "three", "four"} {
		if code, _, stderr := tf(t, append([]string{"run", "--run-id", id}, common...)...); code != cli.ExitOK {
			t.Fatalf("run %s: exit %d: %s", id, code, stderr)
		}
	}
	// five reruns train of four: it reads four's outputs.
	if code, _, stderr := tf(t, "rerun", "--template", golden, "--bin", bin, "--store", store, "-q",
		"--run-id", "four", "--step", "train", "--new-run-id", "five"); code != cli.ExitOK {
		t.Fatalf("rerun: exit %d: %s", code, stderr)
	}
	listed := func() string {
		t.Helper()
		_, stdout, _ := tf(t, "runs", "--store", store, "--json")
		var infos []runs.RunInfo
		if err := json.Unmarshal([]byte(stdout), &infos); err != nil {
			t.Fatalf("runs --json: %v\n%s", err, stdout)
		}
		var ids []string
		for _, r := range infos {
			ids = append(ids, r.ID)
		}
		return strings.Join(ids, " ")
	}
	if got := listed(); got != "five four three two one" {
		t.Fatalf("runs: %s", got)
	}

	code, stdout, _ := tf(t, "runs", "delete", "--store", store, "--dry-run", "one")
	if code != cli.ExitOK || !strings.Contains(stdout, "would delete 1 run(s)") || listed() != "five four three two one" {
		t.Errorf("delete --dry-run: exit %d: %s", code, stdout)
	}
	code, stdout, _ = tf(t, "runs", "delete", "--store", store, "one")
	if code != cli.ExitOK || !strings.Contains(stdout, "deleted 1 run(s)") || !strings.Contains(stdout, ": one (") {
		t.Errorf("delete: exit %d: %s", code, stdout)
	}
	if _, err := os.Stat(filepath.Join(store, "runs", "one")); !os.IsNotExist(err) {
		t.Errorf("runs/one still there: %v", err)
	}
	// four is read by five: refused, then pruned around.
	if code, _, stderr := tf(t, "runs", "delete", "--store", store, "four"); code != cli.ExitFailed ||
		!strings.Contains(stderr, `run "four" is read by run(s) "five"`) {
		t.Errorf("delete of a run read by another: exit %d: %s", code, stderr)
	}
	code, stdout, _ = tf(t, "runs", "prune", "--store", store, "--keep", "1")
	if code != cli.ExitOK || !strings.Contains(stdout, "kept four: read by five") || !strings.Contains(stdout, "deleted 2 run(s)") {
		t.Errorf("prune --keep 1: exit %d: %s", code, stdout)
	}
	if got := listed(); got != "five four" {
		t.Errorf("after prune: %s", got)
	}
	code, stdout, _ = tf(t, "runs", "prune", "--store", store, "--older-than", "1h")
	if code != cli.ExitOK || !strings.Contains(stdout, "nothing to prune: 2 runs") {
		t.Errorf("prune --older-than 1h: exit %d: %s", code, stdout)
	}
	if code, stdout, _ := tf(t, "runs", "delete", "--store", store, "five", "four"); code != cli.ExitOK || listed() != "" {
		t.Errorf("delete five four: exit %d: %s", code, stdout)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"runs", "delete", "--store", store}, cli.ExitUsage, "want one or more run IDs"},
		{[]string{"runs", "delete", "--store", store, "x", "--force"}, cli.ExitUsage, `flag "--force" after a run ID`},
		{[]string{"runs", "delete", "--store", store, "a/b"}, cli.ExitUsage, "invalid run ID"},
		{[]string{"runs", "delete", "--store", store, "gone"}, cli.ExitFailed, "nothing under"},
		{[]string{"runs", "prune", "--store", store}, cli.ExitUsage, "prune deletes nothing by default"},
		{[]string{"runs", "prune", "--store", store, "--keep", "-1"}, cli.ExitUsage, "want zero or more"},
		{[]string{"runs", "prune", "--store", store, "--keep", "1", "x"}, cli.ExitUsage, "unexpected argument"},
	} {
		if code, _, stderr := tf(t, tc.args...); code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want %d; stderr %q lacks %q", tc.args, code, tc.code, stderr, tc.want)
		}
	}
}

// hasFieldsLine reports whether a line of out has exactly the fields want.
func hasFieldsLine(out string, want []string) bool {
	for _, line := range strings.Split(out, "\n") {
		if slices.Equal(strings.Fields(line), want) {
			return true
		}
	}
	return false
}
