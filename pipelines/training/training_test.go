package training_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	argotemplate "github.com/argoproj/argo-workflows/v3/util/template"
	"github.com/argoproj/argo-workflows/v3/workflow/validate"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
	"github.com/tweetflow/tweetflow/pipelines/training"
)

var update = flag.Bool("update", false, "rewrite generated/workflowtemplate.yaml")

const golden = "generated/workflowtemplate.yaml"

func TestGeneratedTemplateIsUpToDate(t *testing.T) {
	fresh, err := training.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(golden, fresh, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(old, fresh) {
		t.Errorf("%s is out of date: run go generate ./pipelines/training (or go test ./pipelines/training -update)", golden)
	}
}

func load(t *testing.T) *wfv1.WorkflowTemplate {
	t.Helper()
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := dsl.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return wt
}

func TestArgoLintAccepts(t *testing.T) {
	if err := validate.ValidateWorkflowTemplate(nil, nil, load(t), nil, validate.ValidateOpts{Lint: true}); err != nil {
		t.Fatalf("Argo rejects the training template: %v", err)
	}
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
	// Ingest fans out: plan, one task per source file, gather.
	fanned := []string{"ingest" + dsl.PlanSuffix, "ingest", "ingest" + dsl.GatherSuffix}
	if want = append(fanned, want[1:]...); !slices.Equal(names, want) {
		t.Fatalf("tasks %v, want the stages in order %v", names, want)
	}
	if tk := tasks["ingest"]; tk.WithParam != "{{tasks.ingest-plan.outputs.parameters.shards}}" {
		t.Errorf("ingest withParam %q", tk.WithParam)
	}
	// Each step depends on its predecessor (a chain, plus shortcuts).
	for i := 1; i < len(names); i++ {
		if !slices.Contains(tasks[names[i]].Dependencies, names[i-1]) {
			t.Errorf("%s does not depend on %s: %v", names[i], names[i-1], tasks[names[i]].Dependencies)
		}
	}
	names = names[2:] // from the gather on, one task per stage
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
	wt := load(t)
	for _, ap := range wt.Spec.Arguments.Parameters {
		if ap.Description == nil || ap.Description.String() == "" {
			t.Errorf("parameter %q has no description", ap.Name)
		}
		if ap.Value == nil {
			t.Errorf("parameter %q has no default", ap.Name)
		}
		q := p.Lookup(ap.Name)
		if q == nil {
			t.Fatalf("parameter %q not in the pipeline", ap.Name)
		}
		if q.From == "" {
			continue
		}
		comp, name, _ := strings.Cut(q.From, ".")
		for _, c := range stages.All {
			if c.Name != comp {
				continue
			}
			cp, ok := c.Param(name)
			if !ok {
				continue // an input
			}
			if len(cp.Enum) > 0 && len(ap.Enum) == 0 {
				t.Errorf("parameter %q lacks the enum of %s", ap.Name, q.From)
			}
		}
	}
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
	scope := map[string]any{"workflow.uid": "0d9c6c1e-uid", "workflow.name": "tweetflow-training-x2x9q"}
	for _, ap := range wt.Spec.Arguments.Parameters {
		scope["workflow.parameters."+ap.Name] = ap.Value.String()
	}
	scope["workflow.parameters.store"] = store
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
			var tp *wfv1.Template
			for i := range wt.Spec.Templates {
				if wt.Spec.Templates[i].Name == tk.Template {
					tp = &wt.Spec.Templates[i]
				}
			}
			if c == nil || tp == nil {
				t.Fatalf("no contract or template %q", tk.Template)
			}
			if got := tp.Container.Command; !slices.Equal(got, []string{c.Name}) {
				t.Errorf("command %v, want the binary %s", got, c.Name)
			}
			// Upstream results as a finished run would have them.
			local := map[string]any{}
			for k, v := range scope {
				local[k] = v
			}
			for _, r := range stages.EvaluateGate.ResultNames() {
				local["tasks.evaluate-gate.outputs.parameters."+r] = "true"
			}
			if tk.WithParam != "" { // one item of the fan-out
				var err error
				if tk.Arguments, err = itemArgs(tk.Arguments, map[string]string{"index": "0003", "uri": "data/b.csv"}); err != nil {
					t.Fatal(err)
				}
			}
			args := resolve(t, tk.Arguments, local)
			for _, p := range tp.Inputs.Parameters {
				v, ok := "", false
				for _, a := range args.Parameters {
					if a.Name == p.Name {
						v, ok = a.Value.String(), true
					}
				}
				if !ok && p.Default != nil {
					v, ok = p.Default.String(), true
				}
				if !ok {
					t.Fatalf("input %q has no value", p.Name)
				}
				local["inputs.parameters."+p.Name] = v
			}
			ctr := resolve(t, *tp.Container, local)
			results := t.TempDir()
			var argv []string
			for _, a := range ctr.Args {
				if strings.Contains(a, "{{") {
					t.Fatalf("unresolved placeholder in %q", a)
				}
				argv = append(argv, strings.ReplaceAll(a, dsl.ResultsDir, results))
			}
			var seen *component.Env
			app := component.App(*c, func(_ context.Context, e *component.Env) error {
				seen = e
				return nil
			}, io.Discard, io.Discard)
			if err := app.Run(append([]string{c.Name, "--termination-log="}, argv...)); err != nil {
				t.Fatalf("the component rejects its args: %v\nargs: %q", err, argv)
			}
			if seen == nil {
				t.Fatal("the component did not run")
			}
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

func resolve[T any](t *testing.T, v T, scope map[string]any) T {
	t.Helper()
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	s, err := argotemplate.Replace(string(b), scope, false)
	if err != nil {
		t.Fatalf("resolving %s: %v", b, err)
	}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// itemArgs substitutes {{item.<key>}} as Argo does for one withParam item.
func itemArgs(args wfv1.Arguments, item map[string]string) (wfv1.Arguments, error) {
	b, err := json.Marshal(args)
	if err != nil {
		return args, err
	}
	s := string(b)
	for k, v := range item {
		s = strings.ReplaceAll(s, "{{item."+k+"}}", v)
	}
	var out wfv1.Arguments
	err = json.Unmarshal([]byte(s), &out)
	return out, err
}
