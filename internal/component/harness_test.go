package component

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

var testContract = Contract{
	Name:    "demo",
	Summary: "a demo component",
	Params: []Param{
		{Name: "mode", Default: "a", Enum: []string{"a", "b"}, Description: "the mode"},
		{Name: "count", Type: Int, Default: "3", Min: F(0), Description: "how many"},
		{Name: "flag", Type: Bool, Default: "false", Description: "a switch"},
		{Name: "names", Type: Strings, Description: "a list"},
	},
	Inputs:  []Artifact{{Name: "in", Kind: Dataset, From: "prev/out", Optional: true, Description: "input"}},
	Outputs: []Artifact{{Name: "out", Kind: Files, Description: "output"}},
	Results: []Result{{Name: "passed", Description: "gate decision"}},
}

func runDemo(t *testing.T, fn RunFunc, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), testContract, fn, append([]string{"demo"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func writeOut(ctx context.Context, e *Env) error {
	return e.Output("out").WriteFile(ctx, "hello.txt", strings.NewReader("hi "+e.String("mode")))
}

func TestContractValidate(t *testing.T) {
	if err := testContract.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := testContract
	bad.Params = append([]Param{{Name: "store", Description: "clash"}}, bad.Params...)
	if err := bad.Validate(); err == nil {
		t.Fatal("a param named like a common flag must be rejected")
	}
	bad = testContract
	bad.Params = []Param{{Name: "x", Enum: []string{"a"}, Default: "z", Description: "d"}}
	if err := bad.Validate(); err == nil {
		t.Fatal("a default outside the enum must be rejected")
	}
}

func TestExitCodes(t *testing.T) {
	store := t.TempDir()
	tests := []struct {
		name string
		fn   RunFunc
		args []string
		code int
		msg  string
	}{
		{"ok", writeOut, nil, ExitOK, ""},
		{"bad enum", writeOut, []string{"--mode=c"}, ExitUsage, `value "c" is not one of a, b`},
		{"bad int", writeOut, []string{"--count=x"}, ExitUsage, `not a valid int`},
		{"below min", writeOut, []string{"--count=-1"}, ExitUsage, `below the minimum`},
		{"unknown flag", writeOut, []string{"--nope"}, ExitUsage, "nope"},
		{"extra arg", writeOut, []string{"stray"}, ExitUsage, `unexpected argument "stray"`},
		{"runtime", func(context.Context, *Env) error { return errors.New("boom") }, nil, ExitRuntime, "boom"},
		{"usage from run", func(context.Context, *Env) error { return Usagef("bad combo") }, nil, ExitUsage, "bad combo"},
		{"gate", func(context.Context, *Env) error {
			return &ExitError{Code: ExitGate, Err: errors.New("roc-auc 0.5 < 0.9")}
		}, nil, ExitGate, "roc-auc 0.5 < 0.9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runDemo(t, tc.fn, append([]string{"--store", store, "--termination-log", ""}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if tc.msg != "" && !strings.Contains(stderr, tc.msg) {
				t.Fatalf("stderr lacks %q:\n%s", tc.msg, stderr)
			}
		})
	}
}

// TestStoppedOnSignal: a run whose context is cancelled (the signal) fails
// as interrupted, unless it shut down gracefully and said so with Stopped
// (a server's normal end): then it exits 0. Neither commits an output.
func TestStoppedOnSignal(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stopped bool
		code    int
	}{{"interrupted", false, ExitRuntime}, {"stopped", true, ExitOK}} {
		t.Run(tc.name, func(t *testing.T) {
			store := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			fn := func(ctx context.Context, e *Env) error {
				if err := writeOut(ctx, e); err != nil {
					return err
				}
				cancel() // the signal arrives while serving
				<-ctx.Done()
				if tc.stopped {
					e.Stopped()
				}
				return nil
			}
			var out, errb bytes.Buffer
			code := Run(ctx, testContract, fn, []string{"demo", "--store", store, "--run-id", "r1", "--termination-log", ""}, &out, &errb)
			if code != tc.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, tc.code, errb.String())
			}
			if !tc.stopped && !strings.Contains(errb.String(), "interrupted") {
				t.Errorf("stderr lacks \"interrupted\":\n%s", errb.String())
			}
			if _, err := os.Stat(filepath.Join(store, "runs", "r1", "demo", "out", "hello.txt")); err == nil {
				t.Error("output committed after the signal")
			}
		})
	}
}

func TestOutputsCommittedOrDiscarded(t *testing.T) {
	ctx := context.Background()
	store := t.TempDir()
	code, _, stderr := runDemo(t, writeOut, "--store", store, "--run-id", "r1", "--mode", "b")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	fs, _ := artifact.NewFS(store)
	m, err := artifact.ReadManifest(ctx, fs, "runs/r1/demo/out")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 1 || m.Files[0].Name != "hello.txt" {
		t.Fatalf("manifest files = %+v", m.Files)
	}
	b, _ := os.ReadFile(filepath.Join(store, "runs/r1/demo/out/hello.txt"))
	if string(b) != "hi b" {
		t.Fatalf("output = %q", b)
	}
	var s Summary
	sb, err := os.ReadFile(filepath.Join(store, "runs/r1/demo/_summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(sb, &s); err != nil {
		t.Fatal(err)
	}
	if s.Status != "succeeded" || s.Outputs["out"].Files != 1 || s.Params["mode"] != "b" || s.BytesOut != 4 {
		t.Fatalf("summary = %+v", s)
	}

	// A failing rerun writes nothing and leaves the committed output intact.
	fail := func(ctx context.Context, e *Env) error {
		if err := e.Output("out").WriteFile(ctx, "partial.txt", strings.NewReader("x")); err != nil {
			return err
		}
		return errors.New("died half way")
	}
	if code, _, _ := runDemo(t, fail, "--store", store, "--run-id", "r1"); code != ExitRuntime {
		t.Fatalf("exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(store, "runs/r1/demo/out/partial.txt")); !os.IsNotExist(err) {
		t.Fatalf("partial output published: %v", err)
	}
	if _, err := artifact.ReadManifest(ctx, fs, "runs/r1/demo/out"); err != nil {
		t.Fatalf("previous output lost: %v", err)
	}
	objs, _ := fs.List(ctx, "runs/r1/demo/out/_staging")
	if len(objs) != 0 {
		t.Fatalf("staging left behind: %+v", objs)
	}
}

func TestTerminationLogAndResults(t *testing.T) {
	dir := t.TempDir()
	term := filepath.Join(dir, "termination-log")
	if err := os.WriteFile(term, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(dir, "results")
	gate := func(ctx context.Context, e *Env) error {
		e.SetResult("passed", "false")
		if err := writeOut(ctx, e); err != nil {
			return err
		}
		return &ExitError{Code: ExitGate, Err: errors.New("gate failed: roc-auc 0.61 below 0.75"), KeepOutputs: true}
	}
	code, _, _ := runDemo(t, gate, "--store", dir, "--run-id", "g", "--termination-log", term, "--results-dir", results)
	if code != ExitGate {
		t.Fatalf("exit %d", code)
	}
	b, _ := os.ReadFile(term)
	if !strings.Contains(string(b), "roc-auc 0.61 below 0.75") {
		t.Fatalf("termination log = %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(results, "passed")); string(b) != "false" {
		t.Fatalf("result passed = %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs/g/demo/out/_SUCCESS.json")); err != nil {
		t.Fatalf("KeepOutputs did not commit: %v", err)
	}
	// The default path is never created when missing.
	if code, _, _ := runDemo(t, gate, "--store", dir, "--termination-log", filepath.Join(dir, "absent")); code != ExitGate {
		t.Fatal(code)
	}
	if _, err := os.Stat(filepath.Join(dir, "absent")); !os.IsNotExist(err) {
		t.Fatal("termination log created")
	}
}

func TestEnvFallbackAndDefaults(t *testing.T) {
	store := t.TempDir()
	t.Setenv("TWEETFLOW_MODE", "b")
	t.Setenv("TWEETFLOW_NAMES", "x,y")
	var got *Env
	fn := func(ctx context.Context, e *Env) error { got = e; return nil }
	if code, _, errs := runDemo(t, fn, "--store", store, "--run-id", "r9", "--flag"); code != 0 {
		t.Fatal(errs)
	}
	if got.String("mode") != "b" || got.Int("count") != 3 || !got.Bool("flag") {
		t.Fatalf("params = %v", got.Params())
	}
	if n := got.Strings("names"); len(n) != 2 || n[1] != "y" {
		t.Fatalf("names = %v", n)
	}
}

func TestHelpListsContract(t *testing.T) {
	code, out, _ := runDemo(t, writeOut, "--help")
	if code != 0 {
		t.Fatal(code)
	}
	for _, want := range []string{"a demo component", "--mode", "one of: a, b", "TWEETFLOW_MODE", "--out-out", "--s3-endpoint", "AWS_ACCESS_KEY_ID", "passed: gate decision"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

func TestOptionalInputDefaultsOnlyWhenProduced(t *testing.T) {
	store := t.TempDir()
	var got *Env
	fn := func(ctx context.Context, e *Env) error { got = e; return nil }
	if code, _, errs := runDemo(t, fn, "--store", store, "--run-id", "r7"); code != 0 {
		t.Fatal(errs)
	}
	if _, ok := got.Input("in"); ok {
		t.Fatal("optional input defaulted to an output that was never produced")
	}
	fs, _ := artifact.NewFS(store)
	out := artifact.NewOutput(fs, "runs/r7/prev/out")
	if err := out.WriteFile(context.Background(), "x.txt", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runDemo(t, fn, "--store", store, "--run-id", "r7"); code != 0 {
		t.Fatal(errs)
	}
	if in, ok := got.Input("in"); !ok || !strings.HasSuffix(in.Key, "runs/r7/prev/out") {
		t.Fatalf("optional input not defaulted to the run's committed output: %+v %v", in, ok)
	}
}

func TestSecretParamRedactedInSummary(t *testing.T) {
	c := testContract
	c.Params = append([]Param{{Name: "dsn", Secret: true, Description: "a secret"}}, c.Params...)
	dir := t.TempDir()
	sum := filepath.Join(dir, "summary.json")
	var out, errb bytes.Buffer
	code := Run(context.Background(), c, writeOut, []string{"demo", "--store", dir, "--dsn", "postgres://u:hunter2@h/db", "--summary-file", sum}, &out, &errb)
	if code != 0 {
		t.Fatal(errb.String())
	}
	b, err := os.ReadFile(sum)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "hunter2") || !strings.Contains(string(b), `redacted`) {
		t.Fatalf("secret not redacted:\n%s", b)
	}
}

func TestNoCacheContractNeverSkips(t *testing.T) {
	c := testContract
	c.NoCache = true
	dir := t.TempDir()
	runs := 0
	fn := func(ctx context.Context, e *Env) error { runs++; return writeOut(ctx, e) }
	for range 2 {
		var out, errb bytes.Buffer
		if code := Run(context.Background(), c, fn, []string{"demo", "--store", dir, "--step-cache", "--termination-log", ""}, &out, &errb); code != 0 {
			t.Fatal(errb.String())
		}
	}
	if runs != 2 {
		t.Fatalf("a NoCache component ran %d times of 2 with --step-cache", runs)
	}
}
