package run

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/testutil/miniotest"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
	"github.com/tweetflow/tweetflow/pipelines/run/internal/fake"
	"github.com/tweetflow/tweetflow/pipelines/runs"
)

// The fake components are one small program (testdata/fakecomponent),
// built once and linked under each fake component's name.

const eventsEnv = fake.EventsEnv

var (
	fakeSrc  = fake.Src
	fakeStep = fake.Step
	fakeGate = fake.Gate
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runtest-bin-")
	if err != nil {
		panic(err)
	}
	bin := filepath.Join(dir, "fakecomponent")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/fakecomponent")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the fake component:", err)
		os.Exit(1)
	}
	for name := range fake.All {
		if err := os.Symlink(bin, filepath.Join(dir, name)); err != nil {
			panic(err)
		}
	}
	// The fan-out's plan and gather steps are the tweetflow CLI.
	cmd = exec.Command("go", "build", "-o", filepath.Join(dir, "tweetflow"), "../../cmd/tweetflow")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building tweetflow:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type ev struct {
	t          int64
	step, what string
	note       string
}

func readEvents(t *testing.T, p string) []ev {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	defer f.Close()
	var out []ev
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), " ", 4)
		n, _ := strconv.ParseInt(parts[0], 10, 64)
		out = append(out, ev{n, parts[1], parts[2], strings.TrimSpace(parts[3])})
	}
	return out
}

type harness struct {
	t      *testing.T
	dir    string
	events string
	log    bytes.Buffer
}

func newHarness(t *testing.T) *harness {
	dir := t.TempDir()
	return &harness{t: t, dir: dir, events: filepath.Join(dir, "events.log")}
}

// template compiles p without retries (unless a step asks for them) and
// goes through YAML as the CLI does.
func (h *harness) template(p *dsl.Pipeline) *wfv1.WorkflowTemplate {
	h.t.Helper()
	dsl.WithDefaults(dsl.StepDefaults{Retry: &dsl.NoRetries})(p)
	wt, err := p.Compile(dsl.S3Secret("s3"))
	if err != nil {
		h.t.Fatal(err)
	}
	b, err := dsl.Marshal(wt)
	if err != nil {
		h.t.Fatal(err)
	}
	wt, err = dsl.Unmarshal(b)
	if err != nil {
		h.t.Fatal(err)
	}
	return wt
}

// options are the executor options of the harness, then opts.
func (h *harness) options(opts ...Option) []Option {
	env := append(os.Environ(), eventsEnv+"="+h.events)
	base := []Option{WithBinDir(binDir), WithEnv(env), WithLog(&h.log), WithUID("uid-test"),
		WithParams(map[string]string{dsl.StoreParam: filepath.Join(h.dir, "store")}), WithKillGrace(2 * time.Second)}
	return append(base, opts...)
}

// s3 starts MinIO (skipped with -short) and returns a store URI in a
// fresh bucket, the environment that lets the fake components reach it,
// and its resolved location.
func (h *harness) s3() (storeURI string, env []string, loc artifact.Location) {
	h.t.Helper()
	if testing.Short() {
		h.t.Skip("starts MinIO")
	}
	srv := miniotest.Start(h.t)
	env = []string{"AWS_ENDPOINT_URL=" + srv.URL(), "AWS_ACCESS_KEY_ID=" + srv.AccessKey, "AWS_SECRET_ACCESS_KEY=" + srv.SecretKey,
		"AWS_REGION=" + miniotest.Region, "S3_FORCE_PATH_STYLE=true", eventsEnv + "=" + h.events, "PATH=/usr/bin:/bin"}
	storeURI = "s3://" + srv.Bucket + "/tf"
	loc, err := artifact.NewResolver(srv.Config()).Resolve(context.Background(), storeURI)
	if err != nil {
		h.t.Fatal(err)
	}
	return storeURI, env, loc
}

// into are the harness's options for a run with runID into storeURI, with
// env (nil: the harness's) for the components.
func (h *harness) into(storeURI string, env []string, runID string) []Option {
	o := []Option{WithParams(map[string]string{dsl.StoreParam: storeURI, "run-id": runID})}
	if env != nil {
		o = append(o, WithEnv(env))
	}
	return h.options(o...)
}

// fs returns the harness's local store folder and its resolved location.
func (h *harness) fs() (string, artifact.Location) {
	h.t.Helper()
	store := filepath.Join(h.dir, "store")
	loc, err := artifact.NewResolver(artifact.S3Config{}).Resolve(context.Background(), store)
	if err != nil {
		h.t.Fatal(err)
	}
	return store, loc
}

func (h *harness) run(p *dsl.Pipeline, opts ...Option) (*runs.Report, error) {
	h.t.Helper()
	return Run(context.Background(), h.template(p), h.options(opts...)...)
}

func (h *harness) intervals() map[string][2]int64 {
	out := map[string][2]int64{}
	for _, e := range readEvents(h.t, h.events) {
		iv := out[e.step]
		if e.what == "start" {
			iv[0] = e.t
		} else {
			iv[1] = e.t
		}
		out[e.step] = iv
	}
	return out
}

func TestRunOrderOutputsAndSummary(t *testing.T) {
	h := newHarness(t)
	p := dsl.New("order", dsl.WithDescription("test"))
	src := p.Step(fakeSrc, dsl.Set("rows", "7"))
	a := p.Step(fakeStep, dsl.Named("a"), dsl.In("in", src.Out("data")), dsl.Set("rows", "5"))
	b := p.Step(fakeStep, dsl.Named("b"), dsl.In("in", a.Out("data")))
	p.Step(fakeStep, dsl.Named("c"), dsl.In("in", src.Out("data")), dsl.After(b))
	rep, err := h.run(p)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, h.log.String())
	}
	iv := h.intervals()
	before := func(x, y string) {
		if iv[x][1] == 0 || iv[y][0] == 0 || iv[x][1] > iv[y][0] {
			t.Errorf("%s (end %d) should finish before %s starts (%d)", x, iv[x][1], y, iv[y][0])
		}
	}
	before("fake-src", "a")
	before("a", "b")
	before("b", "c")
	for _, s := range rep.Steps {
		if s.Status != runs.Succeeded {
			t.Errorf("step %s: %s %s", s.Name, s.Status, s.Message)
		}
	}
	if rep.Workflow != "order-dtest" {
		t.Errorf("workflow name %q, want the template name and a suffix of the UID", rep.Workflow)
	}
	if rep.RunID != "uid-test" {
		t.Errorf("run ID %q, want the UID when run-id is empty", rep.RunID)
	}
	sa := rep.Step("a").Summary
	if sa == nil || sa.RowsOut != 5 {
		t.Fatalf("summary of a: %+v", sa)
	}
	want := filepath.Join(h.dir, "store", "runs", "uid-test", "a", "data")
	if got := sa.Outputs["data"].URI; !strings.Contains(got, want) {
		t.Errorf("output URI %q, want it under %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(want, "part-0.txt")); err != nil {
		t.Errorf("output file: %v", err)
	}
	if !strings.Contains(h.log.String(), "[a] ") {
		t.Errorf("log lines are not prefixed with the step:\n%s", h.log.String())
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), want) || !strings.Contains(table.String(), "succeeded") {
		t.Errorf("table lacks output URI or status:\n%s", table.String())
	}
}

func TestRunParallelLimit(t *testing.T) {
	for _, limit := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			h := newHarness(t)
			p := dsl.New("fan")
			src := p.Step(fakeSrc)
			for i := range 4 {
				p.Step(fakeStep, dsl.Named(fmt.Sprintf("s%d", i)), dsl.In("in", src.Out("data")), dsl.Set("sleep", "400ms"))
			}
			if _, err := h.run(p, WithParallel(limit)); err != nil {
				t.Fatalf("run: %v\n%s", err, h.log.String())
			}
			evs := readEvents(t, h.events)
			cur, peak := 0, 0
			for _, e := range evs {
				if e.step == "fake-src" {
					continue
				}
				if e.what == "start" {
					cur++
				} else {
					cur--
				}
				peak = max(peak, cur)
			}
			// The fakes sleep 400ms each, far longer than a process start,
			// so with free slots they overlap.
			if peak != limit {
				t.Errorf("peak concurrency %d, want %d", peak, limit)
			}
		})
	}
}

func TestRunFailureStopsWithMessage(t *testing.T) {
	h := newHarness(t)
	p := dsl.New("fail")
	src := p.Step(fakeSrc)
	bad := p.Step(fakeStep, dsl.Named("bad"), dsl.In("in", src.Out("data")), dsl.Set("exit", "1"), dsl.Set("sleep", "100ms"))
	p.Step(fakeStep, dsl.Named("slow"), dsl.In("in", src.Out("data")), dsl.Set("sleep", "60s"))
	p.Step(fakeStep, dsl.Named("after-bad"), dsl.In("in", bad.Out("data")))
	rep, err := h.run(p)
	var se *StepError
	if !errors.As(err, &se) {
		t.Fatalf("want a StepError, got %v", err)
	}
	if se.Step != "bad" || se.ExitCode != 1 || !strings.Contains(se.Message, "boom: asked to fail") {
		t.Errorf("step error %+v", se)
	}
	if !strings.Contains(strings.Join(se.Tail, "\n"), "about to fail: line one") {
		t.Errorf("stderr tail %q lacks the component's output", se.Tail)
	}
	if got := rep.Step("slow").Status; got != runs.Cancelled {
		t.Errorf("slow: %s, want cancelled", got)
	}
	if got := rep.Step("after-bad").Status; got != runs.Cancelled {
		t.Errorf("after-bad: %s, want cancelled (never started)", got)
	}
	if iv := h.intervals(); iv["after-bad"][0] != 0 {
		t.Error("after-bad started")
	}
	if rep.Step("bad").Status != runs.Failed {
		t.Errorf("bad: %s", rep.Step("bad").Status)
	}
}

func gatePipeline(pass string) *dsl.Pipeline {
	p := dsl.New("gated")
	src := p.Step(fakeSrc)
	gate := p.Step(fakeGate, dsl.In("in", src.Out("data")), dsl.Set("pass", pass), dsl.ResultDefault("passed", "false"))
	export := p.Step(fakeStep, dsl.Named("export"), dsl.In("in", src.Out("data")),
		dsl.When(gate.Result("passed"), "true"), dsl.Bind("note", gate.Result("score")))
	p.Step(fakeStep, dsl.Named("package"), dsl.In("in", export.Out("data")))
	return p
}

// TestRunGateFailureSkipsConditionalSteps: a failed gate (continueOn
// failed) skips the steps it guards, and the run fails as the same
// workflow fails on Argo: its last step was skipped after a failure (Argo's
// assessDAGPhase gives it the failed parent's phase), with the gate's exit
// code. Seen on the real engine (hack/argo-local) before the local
// executor did the same.
func TestRunGateFailureSkipsConditionalSteps(t *testing.T) {
	h := newHarness(t)
	rep, err := h.run(gatePipeline("false"))
	var se *StepError
	if !errors.As(err, &se) || se.Step != "fake-gate" || se.ExitCode != component.ExitGate || !strings.Contains(se.Message, `"package" after it was skipped`) {
		t.Fatalf("a failed gate whose guarded last step is skipped: %v, want the gate's StepError as on Argo", err)
	}
	g := rep.Step("fake-gate")
	if g.Status != runs.Failed || g.ExitCode != component.ExitGate || g.Outputs["passed"] != "false" {
		t.Errorf("gate: %+v", g)
	}
	for _, name := range []string{"export", "package"} {
		if s := rep.Step(name); s.Status != runs.Skipped {
			t.Errorf("%s: %s, want skipped", name, s.Status)
		}
	}
	if iv := h.intervals(); iv["export"][0] != 0 || iv["package"][0] != 0 {
		t.Error("a skipped step ran")
	}
}

// TestRunContinueOnFailureLastStepRuns: a step that fails with continueOn
// does not fail the run when the last step after it runs and succeeds (its
// own phase decides its branch, as in Argo), nor when it is a last step.
func TestRunContinueOnFailureLastStepRuns(t *testing.T) {
	h := newHarness(t)
	p := dsl.New("continue")
	bad := p.Step(fakeSrc, dsl.Set("exit", "1"), dsl.ContinueOnFailure())
	p.Step(fakeSrc, dsl.Named("after"), dsl.After(bad))
	if _, err := h.run(p); err != nil {
		t.Fatalf("a step after a failure allowed by continueOn succeeded: %v\n%s", err, h.log.String())
	}
	h = newHarness(t)
	p = dsl.New("continue-last")
	p.Step(fakeSrc, dsl.Set("exit", "1"), dsl.ContinueOnFailure())
	if _, err := h.run(p); err != nil {
		t.Fatalf("a last step allowed to fail: %v", err)
	}
}

func TestRunGatePassPassesResults(t *testing.T) {
	h := newHarness(t)
	rep, err := h.run(gatePipeline("true"))
	if err != nil {
		t.Fatalf("run: %v\n%s", err, h.log.String())
	}
	for _, s := range rep.Steps {
		if s.Status != runs.Succeeded {
			t.Errorf("%s: %s", s.Name, s.Status)
		}
	}
	var note string
	for _, e := range readEvents(t, h.events) {
		if e.step == "export" && e.what == "start" {
			note = e.note
		}
	}
	if note != "0.87" {
		t.Errorf("export got note %q, want the gate's score result 0.87", note)
	}
}

func TestRunRetries(t *testing.T) {
	h := newHarness(t)
	p := dsl.New("retry")
	p.Step(fakeSrc, dsl.Set("fail-times", "2"), dsl.Retry(dsl.RetryPolicy{Limit: 3, Backoff: 10 * time.Millisecond}))
	rep, err := h.run(p)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, h.log.String())
	}
	if s := rep.Step("fake-src"); s.Attempts != 3 || s.Status != runs.Succeeded {
		t.Errorf("attempts %d status %s, want 3 succeeded", s.Attempts, s.Status)
	}

	h = newHarness(t)
	p = dsl.New("no-retry-gate")
	p.Step(fakeSrc, dsl.Set("exit", "3"), dsl.Retry(dsl.RetryPolicy{Limit: 3}))
	rep, err = h.run(p)
	if err == nil {
		t.Fatal("exit code 3 did not fail the run")
	}
	if s := rep.Step("fake-src"); s.Attempts != 1 || s.ExitCode != 3 {
		t.Errorf("exit code 3: attempts %d exit %d, want 1 attempt", s.Attempts, s.ExitCode)
	}
}

func TestRunDeadlineKills(t *testing.T) {
	h := newHarness(t)
	p := dsl.New("deadline")
	p.Step(fakeSrc, dsl.Set("sleep", "60s"), dsl.Timeout(time.Second))
	rep, err := h.run(p)
	var se *StepError
	if !errors.As(err, &se) || !strings.Contains(se.Message, "deadline") {
		t.Fatalf("want a deadline StepError, got %v", err)
	}
	if s := rep.Step("fake-src"); s.Status != runs.Failed {
		t.Errorf("status %s", s.Status)
	}
}

func TestRunParams(t *testing.T) {
	h := newHarness(t)
	p := dsl.New("params")
	rows := p.Expose(&fakeSrc, "rows")
	p.Step(fakeSrc, dsl.Bind("rows", rows))
	rep, err := h.run(p, WithParams(map[string]string{"rows": "11", dsl.RunIDParam: "my-run"}))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if rep.RunID != "my-run" || rep.Step("fake-src").Summary.RunID != "my-run" {
		t.Errorf("run ID %q / %q, want my-run", rep.RunID, rep.Step("fake-src").Summary.RunID)
	}
	if got := rep.Step("fake-src").Summary.RowsOut; got != 11 {
		t.Errorf("rows %d, want the override 11", got)
	}
	if _, err := h.run(p, WithParams(map[string]string{"nope": "1"})); err == nil || !strings.Contains(err.Error(), `unknown parameter "nope"`) {
		t.Errorf("unknown parameter: %v", err)
	}
}

func TestRunMissingBinary(t *testing.T) {
	h := newHarness(t)
	p := dsl.New("missing")
	p.Step(component.Contract{Name: "no-such-component", Summary: "x"})
	_, err := h.run(p)
	if err == nil || !strings.Contains(err.Error(), `"no-such-component"`) {
		t.Errorf("got %v", err)
	}
}

func TestEvalCondition(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
		err  bool
	}{
		{"true == true", true, false},
		{"false == true", false, false},
		{"'a' != \"b\"", true, false},
		{"x == x && y == z", false, false},
		{"x == y || y == y", true, false},
		{"true", true, false},
		{"maybe", false, true},
		// What only Argo's govaluate semantics give (the old hand parser
		// refused these): numbers, regexps, negation, parentheses.
		{"0.93 >= 0.9", true, false},
		{"3 < 2", false, false},
		{"'v12' =~ '^v[0-9]+$'", true, false},
		{"!(a == b) && (c == c || d == e)", true, false},
		{"passed == true", false, false},
		{"1 +", false, true},
	} {
		got, err := evalCondition(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%q: got %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestMapPaths(t *testing.T) {
	m := map[string]string{"/tmp/results": "/work/r0"}
	for in, want := range map[string]string{
		"--results-dir=/tmp/results": "--results-dir=/work/r0",
		"/tmp/results/passed":        "/work/r0/passed",
		"--x=/tmp/resultsdir":        "--x=/tmp/resultsdir",
		"--x=/var/tmp/results":       "--x=/var/tmp/results",
		"--list=a,/tmp/results/b,c":  "--list=a,/work/r0/b,c",
	} {
		if got := mapPaths(in, m); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
	// Nested mounts: the longest wins, and a local path under a mapped
	// folder's name is not mapped twice.
	m = map[string]string{"/tmp": "/tmp/run-1/volume-tmp", "/scratch": "/tmp/run-1/volume-scratch", "/scratch/results": "/tmp/run-1/results-0"}
	for in, want := range map[string]string{
		"--results-dir=/scratch/results": "--results-dir=/tmp/run-1/results-0",
		"/scratch/x.parquet":             "/tmp/run-1/volume-scratch/x.parquet",
		"/tmp":                           "/tmp/run-1/volume-tmp",
		"--a=/tmp/b,/scratch":            "--a=/tmp/run-1/volume-tmp/b,/tmp/run-1/volume-scratch",
	} {
		if got := mapPaths(in, m); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestTaskDepsAndCycles(t *testing.T) {
	wt := &wfv1.WorkflowTemplate{}
	wt.Name = "cyc"
	wt.Spec.Entrypoint = "main"
	wt.Spec.Templates = []wfv1.Template{
		{Name: "main", DAG: &wfv1.DAGTemplate{Tasks: []wfv1.DAGTask{
			{Name: "a", Template: "c", Depends: "b"},
			{Name: "b", Template: "c", Dependencies: []string{"a"}},
		}}},
		{Name: "c", Container: nil},
	}
	_, err := Run(context.Background(), wt, WithUID("x"))
	if err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("got %v, want a cycle error", err)
	}
	wt.Spec.Templates[0].DAG.Tasks[0].Depends = "b.Succeeded || b.Failed"
	_, err = Run(context.Background(), wt, WithUID("x"))
	if err == nil || !strings.Contains(err.Error(), "only task names") {
		t.Errorf("got %v, want an unsupported depends error", err)
	}
}
