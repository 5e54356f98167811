package dsl_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	argotemplate "github.com/argoproj/argo-workflows/v3/util/template"
	"github.com/argoproj/argo-workflows/v3/workflow/validate"

	c "github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
)

var (
	src = c.Contract{Name: "src", Summary: "source",
		Params: []c.Param{
			{Name: "mode", Default: "a", Enum: []string{"a", "b", "c"}, Description: "mode"},
			{Name: "n", Type: c.Int, Default: "3", Min: c.F(1), Description: "count"},
		},
		Inputs:  []c.Artifact{{Name: "raw", Kind: c.Sources, List: true, Description: "raw files"}},
		Outputs: []c.Artifact{{Name: "rows", Kind: c.Dataset, Description: "rows"}}}
	fit = c.Contract{Name: "fit", Summary: "fit",
		Params: []c.Param{
			{Name: "mode", Default: "a", Enum: []string{"a", "b"}, Description: "fit mode"},
			{Name: "seed", Type: c.Int, Default: "1", Description: "seed"},
		},
		Inputs: []c.Artifact{
			{Name: "train", Kind: c.Dataset, Description: "train"},
			{Name: "extra", Kind: c.Files, Optional: true, Description: "extra"},
		},
		Outputs: []c.Artifact{{Name: "model", Kind: c.Model, Description: "model"}}}
	gate = c.Contract{Name: "gate", Summary: "gate",
		Params:  []c.Param{{Name: "min", Type: c.Float, Default: "0.5", Min: c.F(0), Max: c.F(1), Description: "threshold"}},
		Inputs:  []c.Artifact{{Name: "model", Kind: c.Model, Description: "model"}},
		Results: []c.Result{{Name: "passed", Description: "passed"}, {Name: "score", Description: "score"}}}
	ship = c.Contract{Name: "ship", Summary: "ship",
		Inputs:  []c.Artifact{{Name: "model", Kind: c.Model, Description: "model"}},
		Outputs: []c.Artifact{{Name: "bundle", Kind: c.Files, Description: "bundle"}}}
	publish = c.Contract{Name: "publish", Summary: "publish",
		Params: []c.Param{{Name: "note", Description: "note"}},
		Inputs: []c.Artifact{{Name: "bundle", Kind: c.Files, Description: "bundle"}}}
)

func pipeline() *dsl.Pipeline {
	p := dsl.New("demo", dsl.WithDescription("a demo"))
	raw := p.ExposeInput(&src, "raw", dsl.Default("data/*.csv"))
	mode := p.Expose(&fit, "mode")
	s := p.Step(src, dsl.In("raw", raw), dsl.Bind("mode", mode), dsl.Expose("n", dsl.As("count")))
	f1 := p.Step(fit, dsl.In("train", s.Out("rows")), dsl.Bind("mode", mode), dsl.Set("seed", "7"))
	p.Step(fit, dsl.Named("fit-2"), dsl.In("train", s.Out("rows")), dsl.Bind("mode", mode))
	g := p.Step(gate, dsl.In("model", f1.Out("model")), dsl.Expose("min"), dsl.ResultDefault("passed", "false"),
		dsl.Retry(dsl.RetryPolicy{Limit: 2, Backoff: 5 * time.Second}), dsl.Timeout(90*time.Second))
	sh := p.Step(ship, dsl.In("model", f1.Out("model")), dsl.When(g.Result("passed"), "true"))
	p.Step(publish, dsl.In("bundle", sh.Out("bundle")), dsl.Bind("note", g.Result("score")))
	return p
}

func compile(t *testing.T, p *dsl.Pipeline, opts ...dsl.CompileOption) *wfv1.WorkflowTemplate {
	t.Helper()
	wt, err := p.Compile(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return wt
}

func task(t *testing.T, wt *wfv1.WorkflowTemplate, name string) wfv1.DAGTask {
	t.Helper()
	for _, tk := range wt.Spec.Templates[0].DAG.Tasks {
		if tk.Name == name {
			return tk
		}
	}
	t.Fatalf("no task %q", name)
	return wfv1.DAGTask{}
}

func tmpl(t *testing.T, wt *wfv1.WorkflowTemplate, name string) *wfv1.Template {
	t.Helper()
	for i := range wt.Spec.Templates {
		if wt.Spec.Templates[i].Name == name {
			return &wt.Spec.Templates[i]
		}
	}
	t.Fatalf("no template %q", name)
	return nil
}

func arg(t *testing.T, tk wfv1.DAGTask, name string) (string, bool) {
	t.Helper()
	for _, p := range tk.Arguments.Parameters {
		if p.Name == name {
			return p.Value.String(), true
		}
	}
	return "", false
}

func TestCompileStructure(t *testing.T) {
	wt := compile(t, pipeline(), dsl.ImagePrefix("reg.example/tf/"), dsl.Version("v1.2.3"), dsl.S3Secret("creds"))

	// One container template per component, after the DAG.
	var names []string
	for _, tp := range wt.Spec.Templates {
		names = append(names, tp.Name)
	}
	if want := []string{dsl.Entrypoint, "src", "fit", "gate", "ship", "publish"}; !slices.Equal(names, want) {
		t.Errorf("templates %v, want %v", names, want)
	}
	// Edges follow the wiring.
	deps := map[string][]string{}
	for _, tk := range wt.Spec.Templates[0].DAG.Tasks {
		deps[tk.Name] = tk.Dependencies
	}
	wantDeps := map[string][]string{"src": nil, "fit": {"src"}, "fit-2": {"src"}, "gate": {"fit"}, "ship": {"fit", "gate"}, "publish": {"gate", "ship"}}
	for k, v := range wantDeps {
		if !slices.Equal(deps[k], v) {
			t.Errorf("task %s depends on %v, want %v", k, deps[k], v)
		}
	}
	// Conditions: ship's own, inherited by publish; the guard continues on failure.
	when := "{{tasks.gate.outputs.parameters.passed}} == true"
	if got := task(t, wt, "ship").When; got != when {
		t.Errorf("ship when %q", got)
	}
	if got := task(t, wt, "publish").When; got != when {
		t.Errorf("publish should inherit ship's condition, got %q", got)
	}
	if co := task(t, wt, "gate").ContinueOn; co == nil || !co.Failed {
		t.Errorf("gate continueOn %+v, want failed", co)
	}
	if co := task(t, wt, "fit").ContinueOn; co != nil {
		t.Errorf("fit continueOn %+v, want none", co)
	}
	// Arguments: literal, pipeline parameter, output URI, result.
	if v, _ := arg(t, task(t, wt, "fit"), "seed"); v != "7" {
		t.Errorf("fit seed %q", v)
	}
	if _, ok := arg(t, task(t, wt, "fit-2"), "seed"); ok {
		t.Error("fit-2 passes seed though it leaves it to the template default")
	}
	if v, _ := arg(t, task(t, wt, "src"), "n"); v != "{{workflow.parameters.count}}" {
		t.Errorf("src n %q", v)
	}
	if v, _ := arg(t, task(t, wt, "fit-2"), "train"); v != dsl.OutputURI("src", "rows") {
		t.Errorf("fit-2 train %q", v)
	}
	if v, _ := arg(t, task(t, wt, "fit-2"), "step"); v != "fit-2" {
		t.Errorf("fit-2 step %q", v)
	}
	if v, _ := arg(t, task(t, wt, "publish"), "note"); v != "{{tasks.gate.outputs.parameters.score}}" {
		t.Errorf("publish note %q", v)
	}

	// The container template: image, command, one flag per contract flag.
	ft := tmpl(t, wt, "fit")
	if ft.Container.Image != "reg.example/tf/fit:v1.2.3" || !slices.Equal(ft.Container.Command, []string{"fit"}) {
		t.Errorf("fit image %q command %v", ft.Container.Image, ft.Container.Command)
	}
	for _, flag := range []string{"mode", "seed", "train", "extra", "out-model", "store", "run-id", "step"} {
		want := "--" + flag + "={{inputs.parameters." + flag + "}}"
		if !slices.Contains(ft.Container.Args, want) {
			t.Errorf("fit args lack %q: %v", want, ft.Container.Args)
		}
	}
	for _, p := range ft.Inputs.Parameters {
		switch p.Name {
		case "seed":
			if p.Default == nil || p.Default.String() != "1" {
				t.Errorf("seed default %v, want the contract's 1", p.Default)
			}
		case "extra":
			if p.Default == nil || p.Default.String() != "" {
				t.Errorf("optional input extra needs an empty default, got %v", p.Default)
			}
		case "train":
			if p.Default != nil {
				t.Errorf("required input train has a default %q", p.Default)
			}
		}
	}
	for _, e := range ft.Container.Env {
		if e.Name == "TMPDIR" {
			continue // the scratch volume, not a setting
		}
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != "creds" || !*e.ValueFrom.SecretKeyRef.Optional {
			t.Errorf("env %s is not an optional secret reference to creds", e.Name)
		}
	}
	for _, a := range ft.Container.Args {
		if strings.Contains(strings.ToLower(a), "secret") || strings.Contains(a, "access-key") {
			t.Errorf("credential flag in args: %s", a)
		}
	}
	// Results become output parameters read from the results folder.
	gt := tmpl(t, wt, "gate")
	if !slices.Contains(gt.Container.Args, "--results-dir="+dsl.ResultsDir) {
		t.Errorf("gate args lack --results-dir: %v", gt.Container.Args)
	}
	outs := map[string]wfv1.Parameter{}
	for _, p := range gt.Outputs.Parameters {
		outs[p.Name] = p
	}
	if p := outs["passed"]; p.ValueFrom == nil || p.ValueFrom.Path != dsl.ResultsDir+"/passed" || p.ValueFrom.Default.String() != "false" {
		t.Errorf("passed output %+v", p)
	}
	if p := outs["score"]; p.ValueFrom == nil || p.ValueFrom.Default == nil || p.ValueFrom.Default.String() != "" {
		t.Errorf("score output %+v", p)
	}
	if rs := gt.RetryStrategy; rs == nil || rs.Limit.IntValue() != 2 || rs.Backoff.Duration != "5s" || rs.Expression != dsl.RetryExpression {
		t.Errorf("gate retry %+v", rs)
	}
	if d := gt.ActiveDeadlineSeconds; d == nil || d.IntValue() != 90 {
		t.Errorf("gate deadline %v", d)
	}
	if rs := tmpl(t, wt, "src").RetryStrategy; rs == nil || rs.Limit.IntValue() != dsl.BaseDefaults.Retry.Limit ||
		rs.Backoff.Duration != dsl.BaseDefaults.Retry.Backoff.String() {
		t.Errorf("src retry %+v, want the base defaults", rs)
	}

	// Pipeline parameters carry the contract's description, enum and default.
	params := map[string]wfv1.Parameter{}
	var order []string
	for _, p := range wt.Spec.Arguments.Parameters {
		params[p.Name] = p
		order = append(order, p.Name)
	}
	if want := []string{"store", "run-id", "cache", "raw", "mode", "count", "min"}; !slices.Equal(order, want) {
		t.Errorf("parameters %v, want %v", order, want)
	}
	if m := params["mode"]; m.Description.String() != "fit mode" || m.Value.String() != "a" || len(m.Enum) != 2 {
		t.Errorf("mode parameter %+v", m)
	}
	if n := params["count"]; n.Description.String() != "count" || n.Value.String() != "3" {
		t.Errorf("count parameter %+v", n)
	}
	if r := params["raw"]; r.Value.String() != "data/*.csv" || !strings.Contains(r.Description.String(), "raw files") {
		t.Errorf("raw parameter %+v", r)
	}
	if s := params["store"]; s.Value.String() != dsl.DefaultStore {
		t.Errorf("store default %q", s.Value.String())
	}
}

func TestCompileErrors(t *testing.T) {
	other := dsl.New("other")
	otherStep := other.Step(src, dsl.In("raw", dsl.Lit("x")))
	for _, tc := range []struct {
		name  string
		build func(p *dsl.Pipeline)
		want  string
	}{
		{"unknown param", func(p *dsl.Pipeline) { p.Step(src, dsl.In("raw", dsl.Lit("x")), dsl.Set("nope", "1")) }, `no parameter "nope"`},
		{"bad literal", func(p *dsl.Pipeline) { p.Step(src, dsl.In("raw", dsl.Lit("x")), dsl.Set("mode", "z")) }, `"z" is not one of`},
		{"below min", func(p *dsl.Pipeline) { p.Step(src, dsl.In("raw", dsl.Lit("x")), dsl.Set("n", "0")) }, "below the minimum"},
		{"unwired input", func(p *dsl.Pipeline) { p.Step(src) }, `required input "raw" is not wired`},
		{"unknown input", func(p *dsl.Pipeline) { p.Step(src, dsl.In("raw", dsl.Lit("x")), dsl.In("nope", dsl.Lit("y"))) }, `no input "nope"`},
		{"unknown output", func(p *dsl.Pipeline) {
			s := p.Step(src, dsl.In("raw", dsl.Lit("x")))
			p.Step(fit, dsl.In("train", s.Out("nope")))
		}, `no output "nope"`},
		{"kind mismatch", func(p *dsl.Pipeline) {
			s := p.Step(src, dsl.In("raw", dsl.Lit("x")))
			f := p.Step(fit, dsl.In("train", s.Out("rows")))
			p.Step(ship, dsl.In("model", s.Out("rows")), dsl.After(f))
		}, "takes a model"},
		{"enum wider than the component's", func(p *dsl.Pipeline) {
			mode := p.Expose(&src, "mode") // a, b, c
			s := p.Step(src, dsl.In("raw", dsl.Lit("x")), dsl.Bind("mode", mode))
			p.Step(fit, dsl.In("train", s.Out("rows")), dsl.Bind("mode", mode)) // a, b
		}, `enum value "c" is not one of a, b`},
		{"type mismatch", func(p *dsl.Pipeline) {
			n := p.Expose(&src, "n")
			p.Step(gate, dsl.In("model", dsl.Lit("m")), dsl.Bind("min", n))
		}, "type int does not match float"},
		{"free parameter into enum", func(p *dsl.Pipeline) {
			m := p.Param("m", dsl.Description("m"), dsl.Default("a"))
			p.Step(src, dsl.In("raw", dsl.Lit("x")), dsl.Bind("mode", m))
		}, "give the pipeline parameter an enum"},
		{"duplicate step", func(p *dsl.Pipeline) {
			p.Step(src, dsl.In("raw", dsl.Lit("x")))
			p.Step(src, dsl.In("raw", dsl.Lit("y")))
		}, `step name "src" used twice`},
		{"duplicate parameter", func(p *dsl.Pipeline) { p.Expose(&src, "mode"); p.Expose(&fit, "mode") }, `"mode" declared twice`},
		{"no description", func(p *dsl.Pipeline) { p.Param("bare") }, `"bare" has no description`},
		{"foreign step", func(p *dsl.Pipeline) { p.Step(fit, dsl.In("train", otherStep.Out("rows"))) }, "another pipeline"},
		{"unknown result", func(p *dsl.Pipeline) {
			g := p.Step(gate, dsl.In("model", dsl.Lit("m")))
			p.Step(ship, dsl.In("model", dsl.Lit("m")), dsl.When(g.Result("nope"), "true"))
		}, `no result "nope"`},
		{"unknown result default", func(p *dsl.Pipeline) { p.Step(gate, dsl.In("model", dsl.Lit("m")), dsl.ResultDefault("nope", "x")) }, `unknown result "nope"`},
		{"param bound to artifact", func(p *dsl.Pipeline) {
			s := p.Step(src, dsl.In("raw", dsl.Lit("x")))
			p.Step(publish, dsl.In("bundle", dsl.Lit("b")), dsl.Bind("note", s.Out("rows")))
		}, "bound to output artifact"},
		{"shared template differs", func(p *dsl.Pipeline) {
			p.Step(gate, dsl.In("model", dsl.Lit("m")), dsl.Timeout(time.Minute))
			p.Step(gate, dsl.Named("gate-2"), dsl.In("model", dsl.Lit("m")))
		}, "differ in retry, timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := dsl.New("broken")
			tc.build(p)
			_, err := p.Compile()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestMarshal(t *testing.T) {
	wt := compile(t, pipeline())
	a, err := dsl.Marshal(wt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := dsl.Marshal(compile(t, pipeline()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two compiles of the same pipeline differ")
	}
	for _, bad := range []string{"creationTimestamp", "status:", "null", "resources: {}", "\n      name: \"\"\n"} {
		if bytes.Contains(a, []byte(bad)) {
			t.Errorf("YAML contains %q", bad)
		}
	}
	back, err := dsl.Unmarshal(a)
	if err != nil {
		t.Fatal(err)
	}
	again, err := dsl.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, again) {
		t.Errorf("YAML does not round-trip:\n%s\n---\n%s", a, again)
	}
	if _, err := dsl.Unmarshal([]byte("kind: Workflow\n")); err == nil {
		t.Error("a Workflow parsed as a WorkflowTemplate")
	}
}

func TestArgoValidates(t *testing.T) {
	wt := compile(t, pipeline())
	if err := validate.ValidateWorkflowTemplate(nil, nil, wt, nil, validate.ValidateOpts{Lint: true}); err != nil {
		t.Fatalf("Argo rejects the compiled template: %v", err)
	}
	// The validator does check references: break one.
	broken := wt.DeepCopy()
	broken.Spec.Templates[0].DAG.Tasks[1].Arguments.Parameters[0].Value = wfv1.AnyStringPtr("{{tasks.nope.outputs.parameters.x}}")
	if err := validate.ValidateWorkflowTemplate(nil, nil, broken, nil, validate.ValidateOpts{Lint: true}); err == nil {
		t.Error("Argo accepts a reference to a missing task")
	}
}

func TestRunIDExpressionResolvesInArgo(t *testing.T) {
	for _, tc := range []struct{ runID, want string }{{"", "the-uid"}, {"nightly-7", "nightly-7"}} {
		scope := map[string]any{
			"workflow.parameters":        `[{"name":"store"},{"name":"run-id"}]`,
			"workflow.parameters.json":   `[{"name":"store"},{"name":"run-id"}]`,
			"workflow.parameters.store":  "s3://bucket/tf",
			"workflow.parameters.run-id": tc.runID,
			"workflow.uid":               "the-uid",
			"workflow.name":              "demo-x1",
		}
		got, err := argotemplate.Replace(`"`+dsl.OutputURI("fit", "model")+`"`, scope, false)
		if err != nil {
			t.Fatal(err)
		}
		if want := `"s3://bucket/tf/runs/` + tc.want + `/fit/model"`; got != want {
			t.Errorf("run-id %q: got %s, want %s", tc.runID, got, want)
		}
	}
}

func TestParamOrResolvesInArgo(t *testing.T) {
	p := dsl.New("or-test")
	golden := p.Param("golden")
	fitStep := p.Step(fit)
	v := dsl.ParamOr(golden, fitStep.Out("model"))
	if v.Producer() != fitStep {
		t.Errorf("producer %v, want the fallback step", v.Producer())
	}
	for _, tc := range []struct{ golden, runID, want string }{
		{"", "", "s3://bucket/tf/runs/the-uid/fit/model"},
		{"", "nightly-7", "s3://bucket/tf/runs/nightly-7/fit/model"},
		{"s3://gold/dev.jsonl", "nightly-7", "s3://gold/dev.jsonl"},
	} {
		scope := map[string]any{
			"workflow.parameters.store":  "s3://bucket/tf",
			"workflow.parameters.run-id": tc.runID,
			"workflow.parameters.golden": tc.golden,
			"workflow.uid":               "the-uid",
		}
		got, err := argotemplate.Replace(`"`+v.Arg()+`"`, scope, false)
		if err != nil {
			t.Fatal(err)
		}
		if want := `"` + tc.want + `"`; got != want {
			t.Errorf("golden %q run-id %q: got %s, want %s", tc.golden, tc.runID, got, want)
		}
	}
}
