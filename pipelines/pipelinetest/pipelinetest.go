package pipelinetest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	argotemplate "github.com/argoproj/argo-workflows/v3/util/template"
	"github.com/argoproj/argo-workflows/v3/workflow/validate"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
)

// Generated is the compiled template of a pipeline package, relative to
// the package's directory (where its tests run).
const Generated = "generated/workflowtemplate.yaml"

// update is the test binary's -update flag: a test package importing
// pipelinetest must not define its own.
var update = flag.Bool("update", false, "rewrite "+Generated)

// Golden compares the YAML that generate returns with the Generated
// file, first rewriting the file with it when the test binary runs with
// -update. pkg names the package for the hint in the failure, as in
// "./pipelines/training".
func Golden(t testing.TB, generate func(...dsl.CompileOption) ([]byte, error), pkg string) {
	t.Helper()
	path := Generated
	fresh, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, fresh, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(old, fresh) {
		t.Errorf("%s is out of date: run go generate %s (or go test %s -update)", path, pkg, pkg)
	}
}

// Load reads and decodes the Generated WorkflowTemplate.
func Load(t testing.TB) *wfv1.WorkflowTemplate {
	t.Helper()
	b, err := os.ReadFile(Generated)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := dsl.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return wt
}

// Template returns the template called name in wt.
func Template(t testing.TB, wt *wfv1.WorkflowTemplate, name string) *wfv1.Template {
	t.Helper()
	for i := range wt.Spec.Templates {
		if wt.Spec.Templates[i].Name == name {
			return &wt.Spec.Templates[i]
		}
	}
	t.Fatalf("no template %q", name)
	return nil
}

// Lint fails t if Argo's validation with lint rejects wt; what names the
// template in the message.
func Lint(t testing.TB, wt *wfv1.WorkflowTemplate, what string) {
	t.Helper()
	if err := validate.ValidateWorkflowTemplate(nil, nil, wt, nil, validate.ValidateOpts{Lint: true}); err != nil {
		t.Fatalf("Argo rejects the %s template: %v", what, err)
	}
}

// Parameters checks that every workflow parameter of wt has a
// description and a default, is a parameter of p, and carries the enum
// of the component parameter it comes from, looked up in contracts.
func Parameters(t testing.TB, wt *wfv1.WorkflowTemplate, p *dsl.Pipeline, contracts []*component.Contract) {
	t.Helper()
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
		for _, c := range contracts {
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
}

// Scope is the Argo scope of a workflow run with the given uid and name:
// those plus every workflow parameter at its default.
func Scope(wt *wfv1.WorkflowTemplate, uid, name string) map[string]any {
	scope := map[string]any{"workflow.uid": uid, "workflow.name": name}
	for _, ap := range wt.Spec.Arguments.Parameters {
		scope["workflow.parameters."+ap.Name] = ap.Value.String()
	}
	return scope
}

type config struct {
	item    map[string]string
	results string
}

// Option configures Run.
type Option func(*config)

// WithItem resolves the task for one withParam item: {{item.<key>}}
// becomes item[key].
func WithItem(item map[string]string) Option {
	return func(c *config) { c.item = item }
}

// WithResultsDir replaces dsl.ResultsDir in the arguments with dir.
func WithResultsDir(dir string) Option {
	return func(c *config) { c.results = dir }
}

// Run resolves task tk of wt as Argo would (its arguments in scope, its
// template's container in the template's inputs), checks the container runs the binary c.Name with no unresolved placeholders, and
// parses the arguments with c's own flags, returning the component's
// environment.
func Run(t testing.TB, wt *wfv1.WorkflowTemplate, tk wfv1.DAGTask, c component.Contract, scope map[string]any, opts ...Option) *component.Env {
	t.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	tp := Template(t, wt, tk.Template)
	if got := tp.Container.Command; !slices.Equal(got, []string{c.Name}) {
		t.Errorf("command %v, want the binary %s", got, c.Name)
	}
	if cfg.item != nil {
		var err error
		if tk.Arguments, err = itemArgs(tk.Arguments, cfg.item); err != nil {
			t.Fatal(err)
		}
	}
	args := Resolve(t, tk.Arguments, scope)
	local := map[string]any{} // a template sees its inputs only
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
	ctr := Resolve(t, *tp.Container, local)
	var argv []string
	for _, a := range ctr.Args {
		if strings.Contains(a, "{{") {
			t.Fatalf("unresolved placeholder in %q", a)
		}
		if cfg.results != "" {
			a = strings.ReplaceAll(a, dsl.ResultsDir, cfg.results)
		}
		argv = append(argv, a)
	}
	var seen *component.Env
	app := component.App(c, func(_ context.Context, e *component.Env) error {
		seen = e
		return nil
	}, io.Discard, io.Discard)
	if err := app.Run(append([]string{c.Name, "--termination-log="}, argv...)); err != nil {
		t.Fatalf("the component rejects its args: %v\nargs: %q", err, argv)
	}
	if seen == nil {
		t.Fatal("the component did not run")
	}
	return seen
}

// Resolve substitutes Argo's {{...}} placeholders in v from scope.
func Resolve[T any](t testing.TB, v T, scope map[string]any) T {
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
