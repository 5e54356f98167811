package run

import (
	"context"
	"github.com/tweetflow/tweetflow/pipelines/runs"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/stepcache"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
)

func TestDeleteRunsFS(t *testing.T) {
	h := newHarness(t)
	store, loc := h.fs()
	testDeleteRuns(t, h, store, nil, loc)
}

func TestDeleteRunsS3(t *testing.T) {
	h := newHarness(t)
	storeURI, env, loc := h.s3()
	testDeleteRuns(t, h, storeURI, env, loc)
}

// testDeleteRuns makes three runs: r1, r2 (a rerun of step a that reads
// r1's fake-src output) and r3 (the same pipeline as r1: restored from the
// step cache, so a copy that reads nothing of r1), then deletes them.
func testDeleteRuns(t *testing.T, h *harness, storeURI string, env []string, loc artifact.Location) {
	ctx := context.Background()
	p := dsl.New("del")
	src := p.Step(fakeSrc, dsl.Set("rows", "7"))
	p.Step(fakeStep, dsl.Named("a"), dsl.In("in", src.Out("data")))
	wt := h.template(p)
	opts := func(runID string) []Option { return h.into(storeURI, env, runID) }
	if _, err := Run(ctx, wt, opts("r1")...); err != nil {
		t.Fatalf("run r1: %v\n%s", err, h.log.String())
	}
	if _, err := Rerun(ctx, wt, RerunSpec{Step: "a", From: "r1", RunID: "r2", Args: map[string]string{"note": "x"}}, opts("")...); err != nil {
		t.Fatalf("rerun r2: %v\n%s", err, h.log.String())
	}
	rep3, err := Run(ctx, wt, opts("r3")...)
	if err != nil {
		t.Fatalf("run r3: %v\n%s", err, h.log.String())
	}
	if hits, _ := rep3.CacheCounts(); hits != 2 {
		t.Fatalf("r3: %d cache hits, want 2 (the test relies on r3 being a copy)", hits)
	}
	ids := func() []string {
		infos, err := runs.ListRuns(ctx, loc)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range infos {
			out = append(out, r.ID)
		}
		slices.Sort(out)
		return out
	}
	count := func(prefix string) int {
		objs, err := loc.Store.List(ctx, path.Join(loc.Key, prefix)+"/")
		if err != nil {
			t.Fatal(err)
		}
		return len(objs)
	}
	cacheEntries := count(stepcache.Prefix)
	before := count("runs/r1")

	// r2 reads r1: refused, nothing deleted.
	if _, err := runs.DeleteRuns(ctx, loc, []string{"r1"}, runs.DeleteOptions{}); err == nil ||
		!strings.Contains(err.Error(), `run "r1" is read by run(s) "r2"`) {
		t.Errorf("deleting a run another reads: %v", err)
	}
	// A dry run counts and deletes nothing.
	rep, err := runs.DeleteRuns(ctx, loc, []string{"r1"}, runs.DeleteOptions{DryRun: true, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.DryRun || rep.Objects != before || rep.Bytes <= 0 || rep.CacheEntries == 0 || !slices.Equal(rep.Forced["r1"], []string{"r2"}) {
		t.Errorf("dry run: %+v, want %d objects, cache entries, r1 read by r2", rep, before)
	}
	if count("runs/r1") != before || count(stepcache.Prefix) != cacheEntries {
		t.Fatal("a dry run deleted something")
	}
	// Keeping dependencies (prune): r1 stays because r2 reads it, r3 goes.
	rep, err = runs.DeleteRuns(ctx, loc, []string{"r1", "r3"}, runs.DeleteOptions{KeepDependencies: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Runs, []string{"r3"}) || !slices.Equal(rep.Kept["r1"], []string{"r2"}) {
		t.Errorf("keep dependencies: %+v", rep)
	}
	if got := ids(); !slices.Equal(got, []string{"r1", "r2"}) || count("runs/r3") != 0 {
		t.Errorf("after deleting r3: runs %v, %d objects left in r3", got, count("runs/r3"))
	}
	// r1 and r2 together: allowed; the cache entries pointing into them go.
	rep, err = runs.DeleteRuns(ctx, loc, []string{"r2", "r1", "r1"}, runs.DeleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Runs, []string{"r1", "r2"}) || rep.CacheEntries == 0 {
		t.Errorf("delete r1 r2: %+v", rep)
	}
	if got := ids(); len(got) != 0 || count("runs") != 0 {
		t.Errorf("runs left %v, %d objects under runs/", got, count("runs"))
	}
	objs, err := loc.Store.List(ctx, path.Join(loc.Key, stepcache.Prefix)+"/")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		e, err := stepcache.Lookup(ctx, loc, strings.TrimSuffix(path.Base(o.Key), ".json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, out := range e.Outputs {
			if strings.Contains(out.URI, "/runs/r1/") || strings.Contains(out.URI, "/runs/r2/") {
				t.Errorf("cache entry %s still points into a deleted run: %s", o.Key, out.URI)
			}
		}
	}
	// The same pipeline runs again for real.
	rep4, err := Run(ctx, wt, opts("r4")...)
	if err != nil {
		t.Fatalf("run after delete: %v\n%s", err, h.log.String())
	}
	if hits, _ := rep4.CacheCounts(); hits != 0 {
		t.Errorf("%d cache hits from deleted runs", hits)
	}

	// A run a live process is writing (a held step lease) is refused, even
	// with Force, and kept by prune; once released it could go.
	l, err := artifact.AcquireLease(ctx, loc.Store, path.Join(loc.Key, artifact.LeaseKey("r4", "a")), artifact.LeaseOptions{Holder: "a"})
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range []runs.DeleteOptions{{}, {Force: true}} {
		if _, err := runs.DeleteRuns(ctx, loc, []string{"r4"}, opt); err == nil || !strings.Contains(err.Error(), `step a is being written by a (pid`) {
			t.Errorf("deleting a run being written (%+v): %v", opt, err)
		}
	}
	rep, err = runs.DeleteRuns(ctx, loc, []string{"r4"}, runs.DeleteOptions{KeepDependencies: true})
	if err != nil || len(rep.Runs) != 0 || !strings.Contains(rep.Live["r4"], "step a held by a") {
		t.Errorf("prune of a run being written: %+v, %v", rep, err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err := runs.DeleteRuns(ctx, loc, []string{"r4"}, runs.DeleteOptions{DryRun: true}); err != nil || !slices.Equal(rep.Runs, []string{"r4"}) {
		t.Errorf("after the lease is released: %+v, %v", rep, err)
	}

	for _, tc := range []struct {
		ids  []string
		want string
	}{
		{[]string{"nope"}, "nothing under"},
		{[]string{"../r4"}, "invalid run ID"},
	} {
		if _, err := runs.DeleteRuns(ctx, loc, tc.ids, runs.DeleteOptions{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DeleteRuns(%v): %v, want %q", tc.ids, err, tc.want)
		}
	}
	if got := ids(); !slices.Equal(got, []string{"r4"}) {
		t.Errorf("runs %v, want r4 untouched", got)
	}
}

func TestPruneSelect(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var infos []*runs.RunInfo // newest first, a day apart
	for i := range 5 {
		infos = append(infos, &runs.RunInfo{ID: string(rune('e' - i)), Started: t0.AddDate(0, 0, 4-i)})
	}
	for _, tc := range []struct {
		name   string
		keep   int
		before time.Time
		want   []string
	}{
		{"keep 2", 2, time.Time{}, []string{"c", "b", "a"}},
		{"keep all", 5, time.Time{}, nil},
		{"keep more than there are", 9, time.Time{}, nil},
		{"keep 0 older than day 2", 0, t0.AddDate(0, 0, 2), []string{"b", "a"}},
		{"keep 4 older than day 2", 4, t0.AddDate(0, 0, 2), []string{"a"}},
		{"keep 0, no cutoff", 0, time.Time{}, []string{"e", "d", "c", "b", "a"}},
	} {
		if got := runs.PruneSelect(infos, tc.keep, tc.before); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
