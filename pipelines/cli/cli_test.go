package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/pipelines/cli"
	"github.com/tweetflow/tweetflow/pipelines/docs"
	"github.com/tweetflow/tweetflow/pipelines/training"
)

func tf(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), append([]string{"tweetflow"}, args...), os.LookupEnv, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCompileMatchesCheckedInTemplate(t *testing.T) {
	// The command's defaults must reproduce the checked-in file.
	golden := filepath.Join("..", "training", "generated", "workflowtemplate.yaml")
	if code, _, stderr := tf(t, "compile", "--out", golden, "--check"); code != cli.ExitOK {
		t.Fatalf("compile --check: exit %d: %s", code, stderr)
	}
	code, stdout, _ := tf(t, "compile")
	want, err := training.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if code != cli.ExitOK || stdout != string(want) {
		t.Errorf("compile to stdout: exit %d, output differs from training.YAML: %v", code, stdout != string(want))
	}
}

func TestCompileWriteAndCheck(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sub", "wt.yaml")
	if code, _, stderr := tf(t, "compile", "--out", out, "--image-prefix", "reg.local/tf", "--version", "v9"); code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "image: reg.local/tf/train:v9") {
		t.Error("image prefix and version not applied")
	}
	if code, _, _ := tf(t, "compile", "--out", out, "--check", "--image-prefix", "reg.local/tf", "--version", "v9"); code != cli.ExitOK {
		t.Errorf("check of a fresh file: exit %d", code)
	}
	if code, _, stderr := tf(t, "compile", "--out", out, "--check"); code != cli.ExitChanged || !strings.Contains(stderr, "out of date") {
		t.Errorf("check with other options: exit %d, %s", code, stderr)
	}
}

func TestComponentsDocs(t *testing.T) {
	code, stdout, _ := tf(t, "components", "docs")
	var want bytes.Buffer
	if err := docs.Write(&want, stages.Components); err != nil {
		t.Fatal(err)
	}
	if code != cli.ExitOK || stdout != want.String() {
		t.Errorf("components docs: exit %d, output differs from docs.Write", code)
	}
	code, stdout, _ = tf(t, "components", "list")
	if code != cli.ExitOK || strings.Count(stdout, "\n") != len(stages.Components) {
		t.Errorf("components list: exit %d:\n%s", code, stdout)
	}
}

func TestRunUsage(t *testing.T) {
	if code, _, stderr := tf(t, "run", "-p", "noequals"); code != cli.ExitUsage {
		t.Errorf("-p noequals: exit %d: %s", code, stderr)
	}
	if code, _, _ := tf(t, "run", "--no-such-flag"); code != cli.ExitUsage {
		t.Errorf("unknown flag: exit %d", code)
	}
	if code, _, stderr := tf(t, "run", "-p", "nope=1"); code != cli.ExitFailed || !strings.Contains(stderr, `unknown parameter "nope"`) {
		t.Errorf("unknown parameter: exit %d: %s", code, stderr)
	}
	if code, _, stderr := tf(t, "run", "-p", "train-balance=sideways"); code != cli.ExitFailed || !strings.Contains(stderr, "not one of") {
		t.Errorf("enum violation: exit %d: %s", code, stderr)
	}
	code, stdout, _ := tf(t, "run", "--list-params")
	if code != cli.ExitOK || !strings.Contains(stdout, training.DefaultSources) || !strings.Contains(stdout, "min-roc-auc") {
		t.Errorf("--list-params: exit %d:\n%s", code, stdout)
	}
	dir := t.TempDir()
	code, _, stderr := tf(t, "run", "--bin", dir, "--store", filepath.Join(dir, "store"), "-q")
	if code != cli.ExitFailed || !strings.Contains(stderr, `finding binary "`) || !strings.Contains(stderr, "build the components first") {
		t.Errorf("missing binaries: exit %d: %s", code, stderr)
	}
}
