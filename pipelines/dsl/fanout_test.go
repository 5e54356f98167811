package dsl_test

import (
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	c "github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
)

var (
	shardSrc = c.Contract{Name: "shard-src", Summary: "reads files", Shardable: true,
		Inputs:  []c.Artifact{{Name: "raw", Kind: c.Sources, List: true, Description: "raw files"}},
		Outputs: []c.Artifact{{Name: "rows", Kind: c.Dataset, Description: "rows"}}}
	shardMap = c.Contract{Name: "shard-map", Summary: "maps rows", Shardable: true,
		Inputs:  []c.Artifact{{Name: "rows", Kind: c.Dataset, Description: "rows"}},
		Outputs: []c.Artifact{{Name: "rows", Kind: c.Dataset, Description: "rows"}}}
	shardFit = c.Contract{Name: "shard-fit", Summary: "fits", Shardable: true,
		Inputs:  []c.Artifact{{Name: "rows", Kind: c.Dataset, Description: "rows"}, {Name: "model", Kind: c.Model, Description: "model"}},
		Outputs: []c.Artifact{{Name: "out", Kind: c.Dataset, Description: "out"}}}
)

// TestFanOutOverDataset: a fan-out over a Dataset input (the gathered
// output of another fan-out) plans with --dataset, the one over sources
// with --sources; both share one plan template whose inputs default to
// empty; a Model input cannot be fanned out.
func TestFanOutOverDataset(t *testing.T) {
	p := dsl.New("fan")
	raw := p.ExposeInput(&shardSrc, "raw")
	read := p.Step(shardSrc, dsl.In("raw", raw), dsl.FanOut("raw"))
	p.Step(shardMap, dsl.In("rows", read.Out("rows")), dsl.FanOut("rows"))
	wt, err := p.Compile()
	if err != nil {
		t.Fatal(err)
	}
	tasks := map[string]wfv1.DAGTask{}
	for _, tk := range wt.Spec.Templates[0].DAG.Tasks {
		tasks[tk.Name] = tk
	}
	for name, want := range map[string]string{"shard-src-plan": dsl.PlanSources, "shard-map-plan": dsl.PlanDataset} {
		ps := tasks[name].Arguments.Parameters
		if len(ps) != 1 || ps[0].Name != want {
			t.Errorf("%s arguments %+v, want only %q", name, ps, want)
		}
	}
	if ps := tasks["shard-map-plan"].Arguments.Parameters; len(ps) == 1 && !strings.HasSuffix(ps[0].Value.String(), "/shard-src/rows") {
		t.Errorf("shard-map plans %q, want shard-src's gathered rows", ps[0].Value.String())
	}
	if deps := tasks["shard-map-plan"].Dependencies; len(deps) != 1 || deps[0] != "shard-src"+dsl.GatherSuffix {
		t.Errorf("shard-map-plan depends on %v, want the gather of shard-src", deps)
	}
	plans := 0
	for _, tp := range wt.Spec.Templates {
		if tp.Name != dsl.PlanTemplate {
			continue
		}
		plans++
		args := strings.Join(tp.Container.Args, " ")
		if !strings.Contains(args, "--sources={{inputs.parameters.sources}}") || !strings.Contains(args, "--dataset={{inputs.parameters.dataset}}") {
			t.Errorf("plan args %q", args)
		}
		for _, in := range tp.Inputs.Parameters {
			if in.Default == nil || in.Default.String() != "" {
				t.Errorf("plan input %s: default %v, want empty", in.Name, in.Default)
			}
		}
	}
	if plans != 1 {
		t.Errorf("%d plan templates, want 1", plans)
	}

	bad := dsl.New("bad")
	m := bad.ExposeInput(&shardFit, "model")
	bad.Step(shardFit, dsl.In("rows", dsl.Lit("x")), dsl.In("model", m), dsl.FanOut("model"))
	if _, err := bad.Compile(); err == nil || !strings.Contains(err.Error(), "a dataset input") {
		t.Errorf("fan-out over a model: %v", err)
	}
}
