package run

import (
	"context"
	"github.com/tweetflow/tweetflow/pipelines/runs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
)

func TestListRunsFS(t *testing.T) {
	h := newHarness(t)
	store, loc := h.fs()
	testListRuns(t, h, store, nil, loc)

	// A summary that cannot be read is an error naming it.
	bad := filepath.Join(store, "runs", "first", "a", "_summary.json")
	if err := os.WriteFile(bad, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runs.ListRuns(context.Background(), loc); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("ListRuns with a broken summary: %v, want an error naming %s", err, bad)
	}
	if _, err := runs.ReadRun(context.Background(), loc, "first"); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("ReadRun with a broken summary: %v, want an error naming %s", err, bad)
	}
}

func TestListRunsS3(t *testing.T) {
	h := newHarness(t)
	storeURI, env, loc := h.s3()
	testListRuns(t, h, storeURI, env, loc)
}

// testListRuns runs three pipelines into the store (one that succeeds, one
// whose gate fails, one with a failing step) and reads them back.
func testListRuns(t *testing.T, h *harness, storeURI string, env []string, loc artifact.Location) {
	ctx := context.Background()
	if infos, err := runs.ListRuns(ctx, loc); err != nil || len(infos) != 0 {
		t.Fatalf("empty store: %d runs, %v", len(infos), err)
	}
	ok := dsl.New("ok")
	src := ok.Step(fakeSrc, dsl.Set("rows", "7"))
	ok.Step(fakeStep, dsl.Named("a"), dsl.In("in", src.Out("data")), dsl.Set("rows", "5"))
	broken := dsl.New("broken")
	src = broken.Step(fakeSrc)
	broken.Step(fakeStep, dsl.Named("bad"), dsl.In("in", src.Out("data")), dsl.Set("exit", "1"))
	for _, r := range []struct {
		id string
		p  *dsl.Pipeline
	}{{"first", ok}, {"second", gatePipeline("false")}, {"third", broken}} {
		rep, err := Run(ctx, h.template(r.p), h.into(storeURI, env, r.id)...)
		if (err != nil) != (r.id != "first") { // a failed gate fails the run, as on Argo
			t.Fatalf("run %s: %v\n%s", r.id, err, h.log.String())
		}
		if rep.RunID != r.id {
			t.Fatalf("run ID %q, want %q", rep.RunID, r.id)
		}
	}

	infos, err := runs.ListRuns(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		id, status string
		steps      []string
		gate       string // the gate's "passed" result, "" for no gate
	}
	wants := []want{ // newest first
		{"third", "failed", []string{"fake-src", "bad"}, ""},
		{"second", "gate-failed", []string{"fake-src", "fake-gate"}, "false"},
		{"first", "succeeded", []string{"fake-src", "a"}, ""},
	}
	if len(infos) != len(wants) {
		t.Fatalf("%d runs, want %d", len(infos), len(wants))
	}
	for i, w := range wants {
		r := infos[i]
		var steps []string
		for _, s := range r.Steps {
			steps = append(steps, s.Step)
		}
		if r.ID != w.id || r.Status() != w.status || strings.Join(steps, " ") != strings.Join(w.steps, " ") {
			t.Errorf("run %d: %s %s %v, want %s %s %v", i, r.ID, r.Status(), steps, w.id, w.status, w.steps)
		}
		g := r.Gate()
		switch {
		case w.gate == "" && g != nil:
			t.Errorf("%s: gate %s, want none", r.ID, g.Step)
		case w.gate != "" && (g == nil || g.Results["passed"] != w.gate):
			t.Errorf("%s: gate %+v, want passed=%s", r.ID, g, w.gate)
		}
		if r.Started.IsZero() || r.Ended.Before(r.Started) || r.Seconds() <= 0 {
			t.Errorf("%s: started %v, ended %v", r.ID, r.Started, r.Ended)
		}
		if i > 0 && !infos[i-1].Started.After(r.Started) {
			t.Errorf("%s listed before %s but started %v, not after %v", infos[i-1].ID, r.ID, infos[i-1].Started, r.Started)
		}
	}

	// One run, as the executor's table.
	first, err := runs.ReadRun(ctx, loc, "first")
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Steps) != 2 || first.Steps[1].RowsOut != 5 || !first.Started.Equal(infos[2].Started) {
		t.Fatalf("ReadRun(first): %+v", first)
	}
	var table strings.Builder
	if err := first.Report().WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	out := table.String()
	wantURI := loc.Store.URI(path.Join(loc.Key, artifact.OutputKey("first", "a", "data")))
	for _, s := range []string{"fake-src", "succeeded", wantURI, "run first in "} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
	second, err := runs.ReadRun(ctx, loc, "second")
	if err != nil {
		t.Fatal(err)
	}
	var gateTable strings.Builder
	if err := second.Report().WriteTable(&gateTable); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(gateTable.String(), "failed (exit 3)") || !strings.Contains(gateTable.String(), "result passed") {
		t.Errorf("gate table:\n%s", gateTable.String())
	}

	if _, err := runs.ReadRun(ctx, loc, "nope"); err == nil || !strings.Contains(err.Error(), "no step summaries") ||
		!strings.Contains(err.Error(), loc.Store.URI("")) {
		t.Errorf("ReadRun of a missing run: %v", err)
	}
	if _, err := runs.ReadRun(ctx, loc, "../first"); err == nil || !strings.Contains(err.Error(), "invalid run ID") {
		t.Errorf("ReadRun of a bad ID: %v", err)
	}
}
