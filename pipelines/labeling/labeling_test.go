package labeling_test

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/pipelines/cli"
	"github.com/tweetflow/tweetflow/pipelines/labeling"
	"github.com/tweetflow/tweetflow/pipelines/pipelinetest"
)

func TestGeneratedTemplateIsUpToDate(t *testing.T) {
	pipelinetest.Golden(t, labeling.YAML, "./pipelines/labeling")
}

func TestCompileCommand(t *testing.T) {
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), []string{"tweetflow", "compile", "--pipeline", "labeling", "--out", pipelinetest.Generated, "--check"}, nil, &out, &errb)
	if code != cli.ExitOK {
		t.Fatalf("compile --pipeline labeling --check: exit %d: %s", code, errb.String())
	}
}

// where is a location as text: its URI, or the path of a local source.
func where(l artifact.Location) string {
	if l.Store == nil {
		return l.Key
	}
	return l.URI()
}

func load(t *testing.T) *wfv1.WorkflowTemplate {
	t.Helper()
	return pipelinetest.Load(t)
}

func TestArgoLintAccepts(t *testing.T) {
	pipelinetest.Lint(t, load(t), "labeling")
}

// The DAG: which task depends on which, and what runs only when the gate
// passed.
func TestPipelineShape(t *testing.T) {
	wt := load(t)
	if wt.Name != labeling.Name {
		t.Errorf("name %q, want %q", wt.Name, labeling.Name)
	}
	deps := map[string][]string{}
	when := map[string]string{}
	for _, tk := range wt.Spec.Templates[0].DAG.Tasks {
		d := strings.FieldsFunc(tk.Depends, func(r rune) bool { return r == ' ' || r == '&' || r == '(' || r == ')' || r == '|' })
		var names []string
		for _, x := range d {
			names = append(names, strings.Split(x, ".")[0])
		}
		names = append(names, tk.Dependencies...)
		slices.Sort(names)
		deps[tk.Name] = slices.Compact(names)
		when[tk.Name] = tk.When
	}
	want := map[string][]string{
		"ingest":              nil,
		"clean":               {"ingest"},
		labeling.HoldoutStep:  {"clean"},
		labeling.LFSplitStep:  {labeling.HoldoutStep},
		labeling.LabelStep:    {labeling.LFSplitStep},
		labeling.LabelDevStep: {labeling.LFSplitStep},
		"train":               {labeling.LabelStep, labeling.LabelDevStep},
		"evaluate-gate":       {labeling.LabelDevStep, "train"},
		"export-onnx":         {"evaluate-gate", "train"},
		"build-serving-image": {"export-onnx"},
	}
	for name, w := range want {
		got, ok := deps[name]
		if !ok {
			t.Errorf("no task %q", name)
			continue
		}
		if !slices.Equal(got, w) {
			t.Errorf("task %q depends on %v, want %v", name, got, w)
		}
	}
	if len(deps) != len(want) {
		t.Errorf("tasks %v, want %d", deps, len(want))
	}
	for _, name := range []string{"export-onnx", "build-serving-image"} {
		if !strings.Contains(when[name], "evaluate-gate.outputs.parameters.passed") {
			t.Errorf("task %q when %q: must run only when the gate passed", name, when[name])
		}
	}
}

func TestPipelineParameters(t *testing.T) {
	wt := load(t)
	pipelinetest.Parameters(t, wt, labeling.Pipeline(),
		[]*component.Contract{&stages.Ingest, &stages.Clean, &stages.BalanceSplit, &stages.Label, &stages.Train,
			&stages.EvaluateGate, &stages.ExportONNX, &stages.BuildServingImage})
	params := map[string]string{}
	for _, ap := range wt.Spec.Arguments.Parameters {
		if ap.Description == nil || ap.Description.String() == "" {
			t.Errorf("parameter %q has no description (the Argo form shows it)", ap.Name)
		}
		params[ap.Name] = ap.Value.String()
	}
	for name, def := range map[string]string{
		"sources": labeling.DefaultSources, "rules": labeling.DefaultRules, "labels": labeling.DefaultLabels,
		"golden": "", "golden-test-rows": "200", "golden-dev-rows": "200", "lf-dev-rows": "500",
		"label-model": labeling.DefaultLabelModel, "min-label-confidence": labeling.DefaultMinLabelConfidence,
		"weak-labels": "hard", "epochs": "20", "patience": "0", "lexicon": "none", "trailing-hashtags": "token",
	} {
		if got, ok := params[name]; !ok || got != def {
			t.Errorf("parameter %q default %q (declared %v), want %q", name, got, ok, def)
		}
	}
}

// The gate reads the golden parameter when it is given, else the weakly
// labeled LF development set; the other tasks parse with their own flags.
func TestTaskArgsParseWithComponentFlags(t *testing.T) {
	wt := load(t)
	contracts := map[string]component.Contract{}
	for _, c := range stages.Components {
		contracts[c.Name] = *c
	}
	for _, golden := range []string{"", "s3://gold/dev.jsonl"} {
		store := t.TempDir()
		scope := pipelinetest.Scope(wt, "uid-1", "tweetflow-labeling-x")
		scope["workflow.parameters.store"] = store
		scope["workflow.parameters.golden"] = golden
		for _, tk := range wt.Spec.Templates[0].DAG.Tasks {
			c, ok := contracts[tk.Template]
			if !ok {
				t.Fatalf("task %q: no component %q", tk.Name, tk.Template)
			}
			env := pipelinetest.Run(t, wt, tk, c, scope)
			switch tk.Name {
			case "evaluate-gate":
				in := env.InputList("data")
				want := filepath.Join(store, "runs", "uid-1", labeling.LabelDevStep, "tweets")
				if golden != "" {
					want = "dev.jsonl"
				}
				if len(in) != 1 || !strings.Contains(where(in[0]), want) {
					t.Errorf("golden %q: gate data %v, want %q", golden, in, want)
				}
				if got := env.String("label-map"); got != "*" {
					t.Errorf("gate label-map %q, want '*' (golden files keep their label names)", got)
				}
			case labeling.LabelStep, labeling.LabelDevStep:
				if in := env.InputList("rules"); len(in) != 1 || !strings.HasSuffix(where(in[0]), labeling.DefaultRules) {
					t.Errorf("%s: rules %v", tk.Name, in)
				}
			case labeling.HoldoutStep:
				if env.String("labels") != "none" || env.Int("test-rows") != 200 || env.Int("validation-rows") != 200 {
					t.Errorf("holdout: labels %q test-rows %d validation-rows %d", env.String("labels"), env.Int("test-rows"), env.Int("validation-rows"))
				}
			}
		}
	}
}
