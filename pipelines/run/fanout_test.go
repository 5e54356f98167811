package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
	"github.com/tweetflow/tweetflow/pipelines/run/internal/fake"
	"github.com/tweetflow/tweetflow/pipelines/runs"
)

// fanPipeline: fake-shard fans out over its files, fake-step reads the
// gathered output.
func fanPipeline(sleep string) *dsl.Pipeline {
	p := dsl.New("fan")
	files := p.ExposeInput(&fake.Shard, "files")
	sh := p.Step(fake.Shard, dsl.In("files", files), dsl.FanOut("files"), dsl.Set("sleep", sleep))
	p.Step(fakeStep, dsl.Named("after"), dsl.In("in", sh.Out("data")))
	return p
}

func TestFanOutSameOutputWithOneOrMoreWorkers(t *testing.T) {
	data := t.TempDir()
	var files []string
	for i := range 5 {
		f := filepath.Join(data, fmt.Sprintf("part-%d.txt", i))
		if err := os.WriteFile(f, []byte(fmt.Sprintf("rows of file %d\n", i)), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	digests := map[int]string{}
	for _, workers := range []int{1, 3} {
		h := newHarness(t)
		wt := h.template(fanPipeline("200ms"))
		rep, err := Run(context.Background(), wt, h.options(WithParallel(workers),
			WithParams(map[string]string{"files": filepath.Join(data, "*.txt"), "run-id": "fan", "cache": "false"}))...)
		if err != nil {
			t.Fatalf("%d workers: %v\n%s", workers, err, h.log.String())
		}
		items := 0
		for _, s := range rep.Steps {
			if strings.HasPrefix(s.Name, "fake-shard(") {
				items++
				if s.Status != runs.Succeeded || s.Summary == nil || s.Summary.Step != fmt.Sprintf("fake-shard-%04d", items-1) {
					t.Errorf("%s: %s, summary %+v", s.Name, s.Status, s.Summary)
				}
			}
		}
		if items != len(files) || rep.Step("after").Status != runs.Succeeded || rep.Step("fake-shard"+dsl.GatherSuffix).Status != runs.Succeeded {
			t.Fatalf("%d items; report %+v", items, rep.Steps)
		}
		store, err := artifact.NewFS(filepath.Join(h.dir, "store"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := artifact.ReadManifest(context.Background(), store, "runs/fan/fake-shard/data")
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Files) != len(files) || m.Files[0].Name != "shard-0000/part-0.txt" || m.Meta["shards"] != "5" {
			t.Errorf("gathered manifest %+v", m)
		}
		digests[workers] = m.Digest()
		// At most `workers` items at once, and more than one when allowed:
		// the largest number of item intervals that contain one instant (a
		// sweep over start and end events; an item that overlaps both a
		// peer and that peer's successor is not three at once).
		most := maxConcurrent(h.intervals(), "fake-shard-")
		if most > workers || (workers > 1 && most < 2) {
			t.Errorf("%d workers: up to %d items ran at once", workers, most)
		}
	}
	if digests[1] != digests[3] {
		t.Errorf("1 worker gave %s, 3 workers %s", digests[1], digests[3])
	}
}

func TestFanOutTemplate(t *testing.T) {
	wt, err := fanPipeline("0s").Compile(dsl.Parallelism(4))
	if err != nil {
		t.Fatal(err)
	}
	if p := wt.Spec.Templates[0].Parallelism; p == nil || *p != 4 {
		t.Errorf("parallelism %v", p)
	}
	tasks := map[string]wfv1.DAGTask{}
	for _, tk := range wt.Spec.Templates[0].DAG.Tasks {
		tasks[tk.Name] = tk
	}
	if tk := tasks["after"]; len(tk.Dependencies) != 1 || tk.Dependencies[0] != "fake-shard"+dsl.GatherSuffix {
		t.Errorf("after depends on %v, want the gather task", tk.Dependencies)
	}
	if _, err := withItem(tasks["fake-shard"].Arguments, map[string]any{"index": "0002", "uri": `s3://b/a "b".csv`}); err != nil {
		t.Errorf("withItem: %v", err)
	}
	for _, step := range []string{"fake-shard", "fake-shard" + dsl.PlanSuffix} {
		if _, err := Rerun(context.Background(), wt, RerunSpec{Step: step, From: "old"}); err == nil || !strings.Contains(err.Error(), "part of a fan-out") {
			t.Errorf("rerun of %s: %v", step, err)
		}
	}
	bad := dsl.New("bad")
	bad.Step(fakeStep, dsl.In("in", dsl.Lit("x")), dsl.FanOut("in"))
	if _, err := bad.Compile(); err == nil || !strings.Contains(err.Error(), "not shardable") {
		t.Errorf("fan-out of a non-shardable component: %v", err)
	}
}

// maxConcurrent sweeps the start/end instants of the intervals whose step
// name has the prefix and returns the most that were open at one instant.
// An interval ending at the instant another starts does not overlap it.
func maxConcurrent(iv map[string][2]int64, prefix string) int {
	type edge struct {
		t     int64
		delta int
	}
	var edges []edge
	for step, x := range iv {
		if strings.HasPrefix(step, prefix) {
			edges = append(edges, edge{x[0], +1}, edge{x[1], -1})
		}
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].t != edges[j].t {
			return edges[i].t < edges[j].t
		}
		return edges[i].delta < edges[j].delta // ends before starts
	})
	open, most := 0, 0
	for _, e := range edges {
		open += e.delta
		most = max(most, open)
	}
	return most
}

func TestMaxConcurrent(t *testing.T) {
	for _, tc := range []struct {
		name string
		iv   map[string][2]int64
		want int
	}{
		{"none", nil, 0},
		{"one", map[string][2]int64{"s-1": {0, 10}}, 1},
		{"back to back", map[string][2]int64{"s-1": {0, 10}, "s-2": {10, 20}}, 1},
		{"late starter overlaps two successors", map[string][2]int64{
			"s-1": {0, 200}, "s-2": {0, 200}, "s-3": {50, 250}, "s-4": {201, 400}, "s-5": {202, 400},
		}, 3},
		{"four at once", map[string][2]int64{"s-1": {0, 10}, "s-2": {1, 10}, "s-3": {2, 10}, "s-4": {3, 10}}, 4},
		{"other steps ignored", map[string][2]int64{"s-1": {0, 10}, "x": {0, 10}}, 1},
	} {
		if got := maxConcurrent(tc.iv, "s-"); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
