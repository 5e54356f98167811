package component

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

// cachedDemo reads its optional input, writes its mode and the input's
// content to out and reports a result; it counts its real runs.
func cachedDemo(runs *atomic.Int32) RunFunc {
	return func(ctx context.Context, e *Env) error {
		runs.Add(1)
		data := ""
		if in, ok := e.Input("in"); ok {
			r, err := in.Store.Open(ctx, path.Join(in.Key, "data.txt"))
			if err != nil {
				return err
			}
			b, _ := io.ReadAll(r)
			r.Close()
			data = string(b)
		}
		e.AddRows(1, 2)
		e.SetResult("passed", "true")
		return e.Output("out").WriteFile(ctx, "hello.txt", strings.NewReader(e.String("mode")+":"+data))
	}
}

func writeInput(t *testing.T, store, run, content string) string {
	t.Helper()
	fs, err := artifact.NewFS(store)
	if err != nil {
		t.Fatal(err)
	}
	o := artifact.NewOutput(fs, "runs/"+run+"/prev/out")
	if err := o.WriteFile(context.Background(), "data.txt", strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(store, "runs", run, "prev", "out")
}

func readSummaryFile(t *testing.T, p string) Summary {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStepCache(t *testing.T) {
	store := t.TempDir()
	var runs atomic.Int32
	fn := cachedDemo(&runs)
	in := writeInput(t, store, "src", "tweets v1")
	run := func(runID string, extra ...string) Summary {
		t.Helper()
		results := t.TempDir()
		args := append([]string{"--store", store, "--run-id", runID, "--in", in, "--results-dir", results,
			"--summary-file", filepath.Join(results, "summary.json")}, extra...)
		if code, _, stderr := runDemo(t, fn, args...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(store, "runs", runID, "demo", "out", "hello.txt"))
		if err != nil {
			t.Fatalf("output of %s: %v", runID, err)
		}
		s := readSummaryFile(t, filepath.Join(results, "summary.json"))
		if r, _ := os.ReadFile(filepath.Join(results, "passed")); string(r) != "true" {
			t.Errorf("%s: result passed = %q", runID, r)
		}
		if !strings.HasPrefix(string(b), s.Params["mode"]+":") {
			t.Errorf("%s: output %q for mode %s", runID, b, s.Params["mode"])
		}
		return s
	}

	first := run("r1", "--step-cache")
	if first.Cache != CacheMiss || runs.Load() != 1 || first.CacheKey == "" {
		t.Fatalf("first run: cache %q key %q, %d runs", first.Cache, first.CacheKey, runs.Load())
	}
	// Identical, into another run: restored without running.
	second := run("r2", "--step-cache")
	if second.Cache != CacheHit || runs.Load() != 1 {
		t.Fatalf("identical rerun: cache %q, %d runs", second.Cache, runs.Load())
	}
	if second.Outputs["out"].Digest != first.Outputs["out"].Digest || second.RowsOut != 2 || second.Extra["cached_from"] != "r1/demo" {
		t.Errorf("restored output %+v rows %d extra %v; first %+v", second.Outputs["out"], second.RowsOut, second.Extra, first.Outputs["out"])
	}
	if !strings.Contains(second.Outputs["out"].URI, "/runs/r2/demo/out") {
		t.Errorf("restored to %s", second.Outputs["out"].URI)
	}
	// In place: the output is the cached one, kept as is.
	if again := run("r1", "--step-cache"); again.Cache != CacheHit || runs.Load() != 1 {
		t.Errorf("in-place identical rerun: cache %q, %d runs", again.Cache, runs.Load())
	}
	// A parameter changes: miss.
	if s := run("r3", "--step-cache", "--mode", "b"); s.Cache != CacheMiss || runs.Load() != 2 || s.CacheKey == first.CacheKey {
		t.Errorf("other mode: cache %q, %d runs", s.Cache, runs.Load())
	}
	// One input byte changes (same URI): miss.
	writeInput(t, store, "src", "tweets v2")
	if s := run("r4", "--step-cache"); s.Cache != CacheMiss || runs.Load() != 3 {
		t.Errorf("changed input: cache %q, %d runs", s.Cache, runs.Load())
	}
	b, _ := os.ReadFile(filepath.Join(store, "runs", "r4", "demo", "out", "hello.txt"))
	if string(b) != "a:tweets v2" {
		t.Errorf("changed input gave %q", b)
	}
	// Without the flag: runs, no cache fields.
	if s := run("r5"); s.Cache != "" || runs.Load() != 4 {
		t.Errorf("without --step-cache: cache %q, %d runs", s.Cache, runs.Load())
	}
	// A cached output that changed since is not trusted.
	if err := os.WriteFile(filepath.Join(store, "runs", "r4", "demo", "out", "hello.txt"), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s := run("r6", "--step-cache"); s.Cache != CacheMiss || runs.Load() != 5 {
		t.Errorf("tampered cache: cache %q, %d runs", s.Cache, runs.Load())
	}
	if b, _ := os.ReadFile(filepath.Join(store, "runs", "r6", "demo", "out", "hello.txt")); string(b) != "a:tweets v2" {
		t.Errorf("after a failed restore the output is %q", b)
	}
	entries, _ := filepath.Glob(filepath.Join(store, "cache", "*.json"))
	if len(entries) != 3 {
		t.Errorf("cache entries %v, want one per distinct key (a/v1, b/v1, a/v2; r6 rewrote a/v2's)", entries)
	}
}
