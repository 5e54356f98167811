package dsl

import (
	"fmt"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	apiv1 "k8s.io/api/core/v1"

	"github.com/tweetflow/tweetflow/internal/component"
)

// Fan-out task names and templates.
const (
	PlanSuffix   = "-plan"
	GatherSuffix = "-gather"
	PlanTemplate = "shards-plan"
	// PlanSources and PlanDataset are the inputs of the plan template: a
	// plan task sets the first for a list of sources, the second for a
	// dataset.
	PlanSources    = "sources"
	PlanDataset    = "dataset"
	GatherTemplate = "shards-gather"
	// CLI is the command of the built-in templates: the tweetflow binary
	// (image <prefix>/tweetflow:<version>).
	CLI = "tweetflow"
)

// FanOut runs the step once per file of its list input (a Sources input
// such as ingest's sources), or once per shard of its Dataset input (the
// gathered output of another fan-out; a dataset that was not gathered is
// one shard), in parallel, for a Shardable component with one output. It
// compiles to three tasks:
//
//   - <step>-plan runs `tweetflow shards plan` over the input's value
//     (--sources, or --dataset for a Dataset input) and reports the items
//     ({"index","uri"}, one per file or shard) and their count;
//   - <step> runs the component once per item (withParam) with the item's
//     file as input, step name <step>-<index> and output
//     <store>/runs/<run-id>/<step>/<output>/shard-<index>;
//   - <step>-gather runs `tweetflow shards gather`, which publishes the
//     shards as <store>/runs/<run-id>/<step>/<output> (a manifest listing
//     every shard's files, no copy).
//
// Downstream steps depend on the gather task and read the same URI as
// without the fan-out. How many items run at once is the Parallelism
// compile option on a cluster and --parallel locally. Per-shard limits
// (ingest's max-bad-rows) apply to each shard.
func FanOut(input string) StepOption { return func(s *Step) { s.fanOut = input } }

func (s *Step) checkFanOut() error {
	if s.fanOut == "" {
		return nil
	}
	a, ok := artifactByName(s.c.Inputs, s.fanOut)
	switch {
	case !s.c.Shardable:
		return fmt.Errorf("step %q: fan-out: component %q is not shardable", s.name, s.c.Name)
	case !ok || !(a.List && a.Kind == component.Sources || !a.List && a.Kind == component.Dataset):
		return fmt.Errorf("step %q: fan-out over %q: want a list input of sources or a dataset input", s.name, s.fanOut)
	case len(s.c.Outputs) != 1:
		return fmt.Errorf("step %q: fan-out: component %q must have exactly one output", s.name, s.c.Name)
	case len(s.c.Results) > 0:
		return fmt.Errorf("step %q: fan-out: component %q has results, which a fan-out cannot gather", s.name, s.c.Name)
	}
	if _, wired := s.inputs[s.fanOut]; !wired {
		return fmt.Errorf("step %q: fan-out over %q, which is not wired", s.name, s.fanOut)
	}
	return nil
}

// fanOutTasks turns the step's task into its plan, fan-out and gather tasks.
func (s *Step) fanOutTasks(task wfv1.DAGTask) (plan, fan, gather wfv1.DAGTask) {
	planName := s.name + PlanSuffix
	planIn := PlanSources
	if a, _ := artifactByName(s.c.Inputs, s.fanOut); a.Kind == component.Dataset {
		planIn = PlanDataset
	}
	plan = wfv1.DAGTask{Name: planName, Template: PlanTemplate, Dependencies: task.Dependencies, When: task.When,
		Arguments: wfv1.Arguments{Parameters: []wfv1.Parameter{{Name: planIn, Value: wfv1.AnyStringPtr(s.inputs[s.fanOut].Arg())}}}}
	fan = task
	fan.Dependencies = []string{planName}
	fan.WithParam = "{{tasks." + planName + ".outputs.parameters.shards}}"
	out := s.c.Outputs[0].Name
	fan.Arguments = wfv1.Arguments{}
	for _, a := range task.Arguments.Parameters {
		switch a.Name {
		case s.fanOut:
			a.Value = wfv1.AnyStringPtr("{{item.uri}}")
		case component.FlagStep:
			a.Value = wfv1.AnyStringPtr(s.name + "-{{item.index}}")
		case component.OutputFlag(out):
			a.Value = wfv1.AnyStringPtr(OutputURI(s.name, out) + "/shard-{{item.index}}")
		}
		fan.Arguments.Parameters = append(fan.Arguments.Parameters, a)
	}
	gather = wfv1.DAGTask{Name: s.name + GatherSuffix, Template: GatherTemplate, Dependencies: []string{s.name}, When: task.When,
		Arguments: wfv1.Arguments{Parameters: []wfv1.Parameter{
			{Name: "out", Value: wfv1.AnyStringPtr(OutputURI(s.name, out))},
			{Name: "count", Value: wfv1.AnyStringPtr("{{tasks." + planName + ".outputs.parameters.count}}")},
		}}}
	return plan, fan, gather
}

// builtin is a container template running the tweetflow CLI with the
// pipeline's production defaults and the S3 secret.
func (p *Pipeline) builtin(cfg compileConfig, name string, inputs []string, args []string) wfv1.Template {
	t := wfv1.Template{Name: name}
	for _, in := range inputs {
		t.Inputs.Parameters = append(t.Inputs.Parameters, wfv1.Parameter{Name: in})
	}
	t.Container = &apiv1.Container{
		Image:           cfg.imagePrefix + "/" + CLI + ":" + cfg.version,
		ImagePullPolicy: cfg.pullPolicy,
		Command:         []string{CLI},
		Args:            args,
	}
	addS3Env(&t, cfg)
	d := merge(BaseDefaults, p.defaults)
	d = merge(d, p.componentDefaults[name])
	applyProduction(&t, d)
	return t
}

func (p *Pipeline) planTemplate(cfg compileConfig) wfv1.Template {
	t := p.builtin(cfg, PlanTemplate, nil,
		[]string{"shards", "plan", "--sources={{inputs.parameters." + PlanSources + "}}",
			"--dataset={{inputs.parameters." + PlanDataset + "}}", "--results-dir=" + ResultsDir})
	// A plan task sets one of them: the other is empty.
	for _, in := range []string{PlanSources, PlanDataset} {
		t.Inputs.Parameters = append(t.Inputs.Parameters, wfv1.Parameter{Name: in, Default: wfv1.AnyStringPtr("")})
	}
	for _, r := range []string{"shards", "count"} {
		t.Outputs.Parameters = append(t.Outputs.Parameters, wfv1.Parameter{Name: r,
			ValueFrom: &wfv1.ValueFrom{Path: ResultsDir + "/" + r}})
	}
	return t
}

func (p *Pipeline) gatherTemplate(cfg compileConfig) wfv1.Template {
	return p.builtin(cfg, GatherTemplate, []string{"out", "count"},
		[]string{"shards", "gather", "--out={{inputs.parameters.out}}", "--count={{inputs.parameters.count}}"})
}
