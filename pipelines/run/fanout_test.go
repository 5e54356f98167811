package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
	"github.com/tweetflow/tweetflow/pipelines/run/internal/fake"
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
				if s.Status != Succeeded || s.Summary == nil || s.Summary.Step != fmt.Sprintf("fake-shard-%04d", items-1) {
					t.Errorf("%s: %s, summary %+v", s.Name, s.Status, s.Summary)
				}
			}
		}
		if items != len(files) || rep.Step("after").Status != Succeeded || rep.Step("fake-shard"+dsl.GatherSuffix).Status != Succeeded {
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
		// At most `workers` items at once, and more than one when allowed.
		iv := h.intervals()
		most := 0
		for a, x := range iv {
			n := 0
			for b, y := range iv {
				if strings.HasPrefix(a, "fake-shard-") && strings.HasPrefix(b, "fake-shard-") && x[0] < y[1] && y[0] < x[1] {
					n++
				}
			}
			most = max(most, n)
		}
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
