package training_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/pipelines/run"
	"github.com/tweetflow/tweetflow/pipelines/runs"
)

// The checked-in template with the step cache: an identical second run
// restores every step but the image build (NoCache); a changed source byte
// reruns ingest (whose stand-in output does not depend on its sources, so
// clean-map, clean and the rest hit again); a changed parameter reruns its step; and
// cache=false runs everything.
func TestLocalRunStepCache(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a helper binary")
	}
	bin := buildStageFake(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "tweets.tsv")
	if err := os.WriteFile(src, []byte("1\tpositive\tgood day\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	runOnce := func(id string, params map[string]string) *runs.Report {
		t.Helper()
		p := map[string]string{"store": filepath.Join(dir, "store"), "run-id": id, "sources": src}
		for k, v := range params {
			p[k] = v
		}
		rep, err := run.Run(context.Background(), load(t), run.WithBinDir(bin), run.WithLog(&log), run.WithParams(p))
		if err != nil {
			t.Fatalf("run %s: %v\n%s", id, err, log.String())
		}
		return rep
	}
	ran := func(rep *runs.Report) []string {
		var out []string
		for _, s := range rep.Steps {
			// Components only: fan-out plans, gathers and parents have no summary.
			if s.Status == runs.Succeeded && s.Summary != nil && !s.Cached {
				out = append(out, s.Name)
			}
		}
		return out
	}
	first := runOnce("one", nil)
	if hits, misses := first.CacheCounts(); hits != 0 || misses != 8 {
		t.Errorf("first run: %d hits, %d misses, want 0 and 8 (the image build is not cached)", hits, misses)
	}
	second := runOnce("two", nil)
	if got := strings.Join(ran(second), ","); got != "build-serving-image" {
		t.Errorf("identical run executed %s, want only build-serving-image", got)
	}
	var table strings.Builder
	if err := second.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "clean                cached") || !strings.Contains(table.String(), "step cache: 8 hits, 0 misses") {
		t.Errorf("table does not show the cache:\n%s", table.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "store", "runs", "two", "train", "model", "_SUCCESS.json")); err != nil {
		t.Errorf("a cached step's output is not in the new run: %v", err)
	}
	if got := second.Step("evaluate-gate").Outputs["passed"]; got != "true" {
		t.Errorf("cached gate result passed = %q", got)
	}
	if err := os.WriteFile(src, []byte("1\tpositive\tgood day!\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ran(runOnce("three", nil)), ","); got != "ingest(0),build-serving-image" {
		t.Errorf("after a source byte changed, executed %s", got)
	}
	if got := strings.Join(ran(runOnce("four", map[string]string{"conflicts": "first"})), ","); got != "clean,build-serving-image" {
		t.Errorf("after clean's parameter changed, executed %s", got)
	}
	if got := len(ran(runOnce("five", map[string]string{"cache": "false"}))); got != 9 {
		t.Errorf("cache=false executed %d steps, want all 9", got)
	}
}
