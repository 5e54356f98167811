package run

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
	"github.com/tweetflow/tweetflow/pipelines/runs"
)

// chainPipeline: fake-src -> mid (note exposed) -> fake-gate, and export
// (fed by mid, guarded by the gate, note bound to the gate's score).
func chainPipeline() *dsl.Pipeline {
	p := dsl.New("chain")
	src := p.Step(fakeSrc)
	mid := p.Step(fakeStep, dsl.Named("mid"), dsl.In("in", src.Out("data")), dsl.Expose("note"))
	gate := p.Step(fakeGate, dsl.In("in", mid.Out("data")), dsl.ResultDefault("passed", "false"))
	p.Step(fakeStep, dsl.Named("export"), dsl.In("in", mid.Out("data")),
		dsl.When(gate.Result("passed"), "true"), dsl.Bind("note", gate.Result("score")))
	return p
}

func summaryAt(t *testing.T, store artifact.Location, run, step string) *component.Summary {
	t.Helper()
	s := readStoredSummary(context.Background(), store, run, step)
	if s == nil {
		t.Fatalf("no summary of %s/%s", run, step)
	}
	return s
}

func noteOf(t *testing.T, h *harness, step string) []string {
	var notes []string
	for _, e := range readEvents(t, h.events) {
		if e.step == step && e.what == "start" {
			notes = append(notes, e.note)
		}
	}
	return notes
}

func TestRerunIntoNewRun(t *testing.T) {
	h := newHarness(t)
	wt := h.template(chainPipeline())
	ctx := context.Background()
	storeDir := filepath.Join(h.dir, "store")
	if _, err := Run(ctx, wt, h.options(WithParams(map[string]string{"run-id": "old", "note": "first"}))...); err != nil {
		t.Fatalf("run: %v\n%s", err, h.log.String())
	}
	store, err := artifact.NewResolver(artifact.S3Config{}).Resolve(ctx, storeDir)
	if err != nil {
		t.Fatal(err)
	}
	oldMid := summaryAt(t, store, "old", "mid")

	// A component flag the pipeline does not expose (rows), into a new run.
	rep, err := Rerun(ctx, wt, RerunSpec{Step: "mid", From: "old", RunID: "new", Args: map[string]string{"rows": "5"}}, h.options()...)
	if err != nil {
		t.Fatalf("rerun: %v\n%s", err, h.log.String())
	}
	if len(rep.Steps) != 1 || rep.Steps[0].Name != "mid" || rep.Steps[0].Status != runs.Succeeded || rep.RunID != "new" {
		t.Fatalf("report %+v", rep)
	}
	newMid := summaryAt(t, store, "new", "mid")
	if got := newMid.Inputs["in"]; len(got) != 1 || got[0] != oldMid.Inputs["in"][0] || !strings.Contains(got[0], "/runs/old/fake-src/data") {
		t.Errorf("rerun read %v, want the old run's input %v", got, oldMid.Inputs["in"])
	}
	if newMid.Params["rows"] != "5" || newMid.RowsOut != 5 {
		t.Errorf("rows %q (%d rows out), want the override 5", newMid.Params["rows"], newMid.RowsOut)
	}
	if newMid.Params["note"] != "first" {
		t.Errorf("note %q: an exposed parameter keeps the old run's value unless given", newMid.Params["note"])
	}
	if o := newMid.Outputs["data"]; !strings.Contains(o.URI, "/runs/new/mid/data") {
		t.Errorf("output at %q", o.URI)
	}
	if _, err := artifact.ReadManifest(ctx, store.Store, "runs/new/mid/data"); err != nil {
		t.Errorf("new output not committed: %v", err)
	}
	if objs, _ := store.Store.List(ctx, "runs/new/fake-src"); len(objs) != 0 {
		t.Errorf("the rerun copied upstream artifacts: %v", objs)
	}
	if again := summaryAt(t, store, "old", "mid"); again.StartedAt != oldMid.StartedAt || again.Params["rows"] != "1" {
		t.Errorf("the old run's step changed: %+v", again)
	}

	// A pipeline parameter, in place.
	if _, err := Rerun(ctx, wt, RerunSpec{Step: "mid", From: "old"}, h.options(WithParams(map[string]string{"note": "second"}))...); err != nil {
		t.Fatalf("rerun in place: %v", err)
	}
	if s := summaryAt(t, store, "old", "mid"); s.Params["note"] != "second" || s.StartedAt == oldMid.StartedAt {
		t.Errorf("in place: note %q", s.Params["note"])
	}
	if got := noteOf(t, h, "mid"); strings.Join(got, ",") != "first,first,second" {
		t.Errorf("mid ran with notes %v", got)
	}

	// Upstream results come from the old run's summaries.
	if _, err := Rerun(ctx, wt, RerunSpec{Step: "export", From: "old", RunID: "new2"}, h.options()...); err != nil {
		t.Fatalf("rerun export: %v\n%s", err, h.log.String())
	}
	if got := summaryAt(t, store, "new2", "export").Params["note"]; got != "0.87" {
		t.Errorf("export's note %q, want the old gate's score 0.87", got)
	}
}

func TestRerunErrors(t *testing.T) {
	h := newHarness(t)
	wt := h.template(chainPipeline())
	ctx := context.Background()
	for _, tc := range []struct {
		spec RerunSpec
		want string
	}{
		{RerunSpec{Step: "nope", From: "old"}, `no step "nope" (it has: fake-src, mid, fake-gate, export)`},
		{RerunSpec{Step: "mid", From: "old", Args: map[string]string{"rowz": "1"}}, `"rowz" is neither a pipeline parameter nor a parameter of component "fake-step"`},
		{RerunSpec{Step: "mid", From: "../x"}, "invalid run ID"},
		{RerunSpec{Step: "mid"}, "no run ID"},
	} {
		if _, err := Rerun(ctx, wt, tc.spec, h.options()...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.spec, err, tc.want)
		}
	}
	// A run without the step's inputs: the component says which is missing.
	_, err := Rerun(ctx, wt, RerunSpec{Step: "mid", From: "never-ran", RunID: "x"}, h.options()...)
	var se *StepError
	if !errors.As(err, &se) || !strings.Contains(se.Message, "never-ran/fake-src/data") {
		t.Errorf("missing inputs: %v", err)
	}
}

func TestRerunOnS3(t *testing.T) {
	h := newHarness(t)
	storeURI, env, store := h.s3()
	wt := h.template(chainPipeline())
	ctx := context.Background()
	opts := func(params map[string]string) []Option {
		params[dsl.StoreParam] = storeURI
		return h.options(WithEnv(env), WithParams(params))
	}
	if _, err := Run(ctx, wt, opts(map[string]string{"run-id": "old"})...); err != nil {
		t.Fatalf("run: %v\n%s", err, h.log.String())
	}
	if _, err := Rerun(ctx, wt, RerunSpec{Step: "fake-gate", From: "old", RunID: "new", Args: map[string]string{"pass": "false"}}, opts(map[string]string{})...); err == nil {
		t.Fatal("a failing gate rerun succeeded")
	}
	rep, err := Rerun(ctx, wt, RerunSpec{Step: "mid", From: "old", RunID: "new"}, opts(map[string]string{"note": "s3"})...)
	if err != nil {
		t.Fatalf("rerun: %v\n%s", err, h.log.String())
	}
	s := summaryAt(t, store, "new", "mid")
	if in := s.Inputs["in"]; len(in) != 1 || in[0] != storeURI+"/runs/old/fake-src/data" {
		t.Errorf("inputs %v", in)
	}
	if out := rep.Steps[0].Summary.Outputs["data"].URI; out != storeURI+"/runs/new/mid/data" {
		t.Errorf("output %q", out)
	}
	if g := summaryAt(t, store, "new", "fake-gate"); g.Status != "gate-failed" {
		t.Errorf("gate rerun status %q", g.Status)
	}
}
