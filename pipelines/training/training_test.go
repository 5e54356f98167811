package training_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
	"github.com/tweetflow/tweetflow/pipelines/pipelinetest"
	"github.com/tweetflow/tweetflow/pipelines/training"
)

func TestGeneratedTemplateIsUpToDate(t *testing.T) {
	pipelinetest.Golden(t, training.YAML, "./pipelines/training")
}

func load(t *testing.T) *wfv1.WorkflowTemplate {
	t.Helper()
	return pipelinetest.Load(t)
}

func TestArgoLintAccepts(t *testing.T) {
	pipelinetest.Lint(t, load(t), "training")
}

func TestPipelineShape(t *testing.T) {
	wt := load(t)
	dag := wt.Spec.Templates[0].DAG
	var names []string
	tasks := map[string]wfv1.DAGTask{}
	for _, tk := range dag.Tasks {
		names = append(names, tk.Name)
		tasks[tk.Name] = tk
	}
	var want []string
	for _, c := range stages.All {
		want = append(want, c.Name)
	}
	// Ingest fans out: plan, one task per source file, gather; so does
	// clean's text normalisation (clean-map, one task per ingest shard)
	// before clean's global dedupe.
	fanned := []string{"ingest" + dsl.PlanSuffix, "ingest", "ingest" + dsl.GatherSuffix,
		training.CleanMapStep + dsl.PlanSuffix, training.CleanMapStep, training.CleanMapStep + dsl.GatherSuffix}
	if want = append(fanned, want[1:]...); !slices.Equal(names, want) {
		t.Fatalf("tasks %v, want the stages in order %v", names, want)
	}
	for _, n := range []string{"ingest", training.CleanMapStep} {
		if tk := tasks[n]; tk.WithParam != "{{tasks."+n+"-plan.outputs.parameters.shards}}" {
			t.Errorf("%s withParam %q", n, tk.WithParam)
		}
	}
	mode := func(n string) string {
		for _, a := range tasks[n].Arguments.Parameters {
			if a.Name == "mode" {
				return a.Value.String()
			}
		}
		return ""
	}
	if m, r := mode(training.CleanMapStep), mode("clean"); m != "map" || r != "reduce" {
		t.Errorf("clean-map mode %q, clean mode %q; want map and reduce", m, r)
	}
	// Each step depends on its predecessor (a chain, plus shortcuts).
	for i := 1; i < len(names); i++ {
		if !slices.Contains(tasks[names[i]].Dependencies, names[i-1]) {
			t.Errorf("%s does not depend on %s: %v", names[i], names[i-1], tasks[names[i]].Dependencies)
		}
	}
	names = names[5:] // from clean-map's gather on, one task per stage
	gateWhen := "{{tasks.evaluate-gate.outputs.parameters.passed}} == true"
	for _, n := range []string{"export-onnx", "build-serving-image"} {
		if tasks[n].When != gateWhen {
			t.Errorf("%s when %q, want %q", n, tasks[n].When, gateWhen)
		}
	}
	for _, n := range names {
		if co := tasks[n].ContinueOn; (co != nil && co.Failed) != (n == "evaluate-gate") {
			t.Errorf("%s continueOn %+v: only the gate may fail without failing the workflow", n, co)
		}
		if n != "export-onnx" && n != "build-serving-image" && tasks[n].When != "" {
			t.Errorf("%s is conditional: %q", n, tasks[n].When)
		}
	}
	for _, tp := range wt.Spec.Templates {
		if tp.Name != stages.EvaluateGate.Name {
			continue
		}
		for _, p := range tp.Outputs.Parameters {
			if p.Name == "passed" && (p.ValueFrom == nil || p.ValueFrom.Default == nil || p.ValueFrom.Default.String() != "false") {
				t.Errorf("passed must default to false so a crashed gate skips export: %+v", p)
			}
		}
	}
}

func TestPipelineParameters(t *testing.T) {
	p := training.Pipeline()
	pipelinetest.Parameters(t, load(t), p, stages.All)
	for _, name := range []string{"sources", "store", "run-id", "labels", "seed", "min-roc-auc", "min-pr-auc", "min-macro-recall", "epochs", "dim", "registry"} {
		if p.Lookup(name) == nil {
			t.Errorf("pipeline parameter %q is missing", name)
		}
	}
}

// Every task's arguments, resolved the way Argo resolves them, must parse
// with the component's own flags.
func TestTaskArgsParseWithComponentFlags(t *testing.T) {
	wt := load(t)
	store := t.TempDir()
	scope := pipelinetest.Scope(wt, "0d9c6c1e-uid", "tweetflow-training-x2x9q")
	scope["workflow.parameters.store"] = store
	// Upstream results as a finished run would have them.
	for _, r := range stages.EvaluateGate.ResultNames() {
		scope["tasks.evaluate-gate.outputs.parameters."+r] = "true"
	}
	contracts := map[string]*component.Contract{}
	for _, c := range stages.All {
		contracts[c.Name] = c
	}
	for _, tk := range wt.Spec.Templates[0].DAG.Tasks {
		t.Run(tk.Name, func(t *testing.T) {
			if tk.Template == dsl.PlanTemplate || tk.Template == dsl.GatherTemplate {
				return // the tweetflow CLI's built-in steps: TestFanOutTasks
			}
			c := contracts[tk.Template]
			if c == nil {
				t.Fatalf("no contract %q", tk.Template)
			}
			results := t.TempDir()
			opts := []pipelinetest.Option{pipelinetest.WithResultsDir(results)}
			if tk.WithParam != "" { // one item of the fan-out
				opts = append(opts, pipelinetest.WithItem(map[string]string{"index": "0003", "uri": "data/b.csv"}))
			}
			seen := pipelinetest.Run(t, wt, tk, *c, scope, opts...)
			wantStep := tk.Name
			if tk.WithParam != "" {
				wantStep = tk.Name + "-0003"
			}
			if seen.RunID != "0d9c6c1e-uid" || seen.Step != wantStep {
				t.Errorf("run ID %q step %q", seen.RunID, seen.Step)
			}
			for _, o := range c.Outputs {
				want := filepath.Join(store, "runs", "0d9c6c1e-uid", tk.Name, o.Name)
				if tk.WithParam != "" {
					want = filepath.Join(want, "shard-0003")
				}
				if got := seen.Output(o.Name).URI(); !strings.Contains(got, want) {
					t.Errorf("output %s at %q, want %q", o.Name, got, want)
				}
			}
			for _, r := range c.Results {
				if _, err := os.Stat(filepath.Join(results, r.Name)); err != nil {
					t.Errorf("result %s not written to the results dir: %v", r.Name, err)
				}
			}
		})
	}
}
