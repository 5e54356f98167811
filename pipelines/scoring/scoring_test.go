package scoring_test

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/pipelines/cli"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
	"github.com/tweetflow/tweetflow/pipelines/pipelinetest"
	"github.com/tweetflow/tweetflow/pipelines/scoring"
)

func TestGeneratedTemplateIsUpToDate(t *testing.T) {
	pipelinetest.Golden(t, scoring.YAML, "./pipelines/scoring")
}

// tweetflow compile --pipeline scoring reproduces the checked-in file (the
// go:generate line and the Makefile's generate target run it).
func TestCompileCommand(t *testing.T) {
	tf := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := cli.Main(context.Background(), append([]string{"tweetflow", "compile"}, args...), nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, _, stderr := tf("--pipeline", "scoring", "--out", pipelinetest.Generated, "--check"); code != cli.ExitOK {
		t.Fatalf("compile --pipeline scoring --check: exit %d: %s", code, stderr)
	}
	if code, _, stderr := tf("--out", pipelinetest.Generated, "--check"); code != cli.ExitChanged {
		t.Errorf("the default pipeline (training) matches the scoring template: exit %d: %s", code, stderr)
	}
	code, stdout, _ := tf("--pipeline", "scoring", "--version", "v9")
	if code != cli.ExitOK || !strings.Contains(stdout, "image: ghcr.io/tweetflow/score:v9") || !strings.Contains(stdout, "name: "+scoring.Name) {
		t.Errorf("compile --pipeline scoring --version v9: exit %d:\n%s", code, stdout)
	}
	if code, _, stderr := tf("--pipeline", "serving"); code != cli.ExitUsage || !strings.Contains(stderr, "want one of training, scoring, labeling") {
		t.Errorf("unknown pipeline: exit %d: %s", code, stderr)
	}
}

func load(t *testing.T) *wfv1.WorkflowTemplate {
	t.Helper()
	return pipelinetest.Load(t)
}

func TestArgoLintAccepts(t *testing.T) {
	pipelinetest.Lint(t, load(t), "scoring")
}

func TestPipelineShape(t *testing.T) {
	wt := load(t)
	if wt.Name != scoring.Name {
		t.Errorf("name %q, want %q", wt.Name, scoring.Name)
	}
	var names []string
	tasks := map[string]wfv1.DAGTask{}
	for _, tk := range wt.Spec.Templates[0].DAG.Tasks {
		names = append(names, tk.Name)
		tasks[tk.Name] = tk
	}
	if want := []string{"score-plan", "score", "score-gather"}; !slices.Equal(names, want) {
		t.Fatalf("tasks %v, want %v", names, want)
	}
	if tk := tasks["score"]; tk.WithParam != "{{tasks.score-plan.outputs.parameters.shards}}" ||
		!slices.Equal(tk.Dependencies, []string{"score-plan"}) {
		t.Errorf("score: withParam %q dependencies %v", tk.WithParam, tk.Dependencies)
	}
	if tk := tasks["score-gather"]; !slices.Equal(tk.Dependencies, []string{"score"}) || tk.Template != dsl.GatherTemplate {
		t.Errorf("score-gather: template %q dependencies %v", tk.Template, tk.Dependencies)
	}
	if tk := tasks["score-plan"]; tk.Template != dsl.PlanTemplate || tk.Arguments.Parameters[0].Value.String() != "{{workflow.parameters.tweets}}" {
		t.Errorf("score-plan: template %q arguments %+v", tk.Template, tk.Arguments.Parameters)
	}
	for _, a := range tasks["score"].Arguments.Parameters {
		switch a.Name {
		case component.FlagStepCache:
			if a.Value.String() != "false" {
				t.Errorf("score uses the step cache (%q): a cache hit would skip its PostgreSQL upserts", a.Value.String())
			}
		case "postgres-dsn":
			t.Errorf("the DSN is a task argument %q: it must come from the secret", a.Value.String())
		}
	}
}

// The DSN reaches the score container only through the optional Secret,
// as the env var the component reads when --postgres-dsn is empty.
func TestPostgresDSNComesFromTheSecret(t *testing.T) {
	wt := load(t)
	if q := scoring.Pipeline().Lookup("postgres-dsn"); q != nil {
		t.Error("postgres-dsn is a pipeline parameter: it is a secret")
	}
	for _, ap := range wt.Spec.Arguments.Parameters {
		if strings.Contains(strings.ToLower(ap.Name), "dsn") || strings.Contains(strings.ToLower(ap.Name), "postgres") {
			t.Errorf("parameter %q looks like a secret", ap.Name)
		}
	}
	tp := pipelinetest.Template(t, wt, stages.Score.Name)
	var got []apiEnv
	for _, e := range tp.Container.Env {
		if e.Name == scoring.PostgresEnv {
			got = append(got, apiEnv{e.Value, e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil &&
				e.ValueFrom.SecretKeyRef.Name == scoring.PostgresSecret && e.ValueFrom.SecretKeyRef.Key == scoring.PostgresSecretKey &&
				e.ValueFrom.SecretKeyRef.Optional != nil && *e.ValueFrom.SecretKeyRef.Optional})
		}
	}
	if len(got) != 1 || got[0].value != "" || !got[0].fromSecret {
		t.Errorf("%s env %+v, want one optional secretKeyRef %s/%s", scoring.PostgresEnv, got, scoring.PostgresSecret, scoring.PostgresSecretKey)
	}
	for _, name := range []string{dsl.PlanTemplate, dsl.GatherTemplate} {
		for _, e := range pipelinetest.Template(t, wt, name).Container.Env {
			if e.Name == scoring.PostgresEnv {
				t.Errorf("%s gets the DSN, which it does not need", name)
			}
		}
	}
}

type apiEnv struct {
	value      string
	fromSecret bool
}

func TestPipelineParameters(t *testing.T) {
	wt := load(t)
	pipelinetest.Parameters(t, wt, scoring.Pipeline(), []*component.Contract{&stages.Score})
	var names []string
	for _, ap := range wt.Spec.Arguments.Parameters {
		names = append(names, ap.Name)
	}
	slices.Sort(names)
	if want := []string{"batch-size", "cache", "model", "run-id", "store", "tweets"}; !slices.Equal(names, want) {
		t.Errorf("parameters %v, want %v", names, want)
	}
}

// Every component task's arguments, resolved the way Argo resolves them
// for one item of the fan-out, must parse with the score component's own
// flags, and put the shard in the run layout.
func TestTaskArgsParseWithComponentFlags(t *testing.T) {
	wt := load(t)
	store := t.TempDir()
	scope := pipelinetest.Scope(wt, "0d9c6c1e-uid", "tweetflow-scoring-x2x9q")
	scope["workflow.parameters.store"] = store
	scope["workflow.parameters.model"] = "s3://models/runs/r1/export-onnx/onnx"
	var tk *wfv1.DAGTask
	for i, d := range wt.Spec.Templates[0].DAG.Tasks {
		if d.Template == stages.Score.Name {
			tk = &wt.Spec.Templates[0].DAG.Tasks[i]
		}
	}
	if tk == nil {
		t.Fatal("no score task")
	}
	seen := pipelinetest.Run(t, wt, *tk, stages.Score, scope,
		pipelinetest.WithItem(map[string]string{"index": "0003", "uri": "data/b.jsonl"}))
	if seen.RunID != "0d9c6c1e-uid" || seen.Step != "score-0003" {
		t.Errorf("run ID %q step %q", seen.RunID, seen.Step)
	}
	want := filepath.Join(store, "runs", "0d9c6c1e-uid", "score", "scores", "shard-0003")
	if got := seen.Output("scores").URI(); !strings.Contains(got, want) {
		t.Errorf("output at %q, want %q", got, want)
	}
	if got := seen.String("postgres-dsn"); got != "" {
		t.Errorf("--postgres-dsn %q: the DSN must not be an argument", got)
	}
	if got := seen.Int("batch-size"); got != 512 {
		t.Errorf("batch-size %d, want the contract default 512", got)
	}
	if in := seen.InputList("tweets"); len(in) != 1 || in[0].Store != nil || in[0].Key != "data/b.jsonl" {
		t.Errorf("tweets input %+v, want the item's file only", in)
	}
}
