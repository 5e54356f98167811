package dsl_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/util/expr/argoexpr"
	"github.com/argoproj/argo-workflows/v3/util/expr/env"
	"github.com/argoproj/argo-workflows/v3/workflow/validate"
	apiv1 "k8s.io/api/core/v1"

	"github.com/tweetflow/tweetflow/pipelines/dsl"
)

// The retry expression, evaluated the way Argo's controller does
// (env.GetFuncMap over lastRetry.*, argoexpr.EvalBool).
func TestRetryExpressionInArgo(t *testing.T) {
	for _, tc := range []struct {
		status, code string
		want         bool
	}{
		{"Failed", "1", true},   // a component's runtime error: maybe S3 was down
		{"Failed", "137", true}, // killed (OOM, deadline)
		{"Failed", "2", false},  // usage error
		{"Failed", "3", false},  // failed gate
		{"Error", "-1", true},   // pod evicted, node lost
		{"Error", "3", true},    // a system error is retried whatever the code
	} {
		scope := env.GetFuncMap(map[string]any{"lastRetry.status": tc.status, "lastRetry.exitCode": tc.code,
			"lastRetry.duration": "12", "lastRetry.message": "", "retries": "0"})
		got, err := argoexpr.EvalBool(dsl.RetryExpression, scope)
		if err != nil {
			t.Fatalf("%s/%s: %v", tc.status, tc.code, err)
		}
		if got != tc.want {
			t.Errorf("status %s exit %s: retry %v, want %v", tc.status, tc.code, got, tc.want)
		}
	}
}

func TestProductionSettings(t *testing.T) {
	p := dsl.New("prod",
		dsl.WithDefaults(dsl.StepDefaults{Timeout: 2 * time.Hour}),
		dsl.WithComponentDefaults(map[string]dsl.StepDefaults{
			"fit": {Resources: dsl.ResourceSpec{CPU: "2", Memory: "4Gi", CPULimit: "4", MemoryLimit: "8Gi"}, Timeout: 6 * time.Hour},
		}))
	s := p.Step(src, dsl.In("raw", dsl.Lit("x")), dsl.WithResources(dsl.ResourceSpec{Memory: "1Gi"}))
	f := p.Step(fit, dsl.In("train", s.Out("rows")))
	g := p.Step(gate, dsl.In("model", f.Out("model")), dsl.Retry(dsl.NoRetries), dsl.PublishResults())
	p.Step(ship, dsl.In("model", f.Out("model")), dsl.When(g.Result("passed"), "true"))
	wt := compile(t, p)
	if err := validate.ValidateWorkflowTemplate(nil, nil, wt, nil, validate.ValidateOpts{Lint: true}); err != nil {
		t.Fatalf("Argo rejects the template: %v", err)
	}
	for _, tp := range wt.Spec.Templates {
		if tp.Container == nil {
			continue
		}
		c := tp.Container
		sc := c.SecurityContext
		if sc == nil || !*sc.RunAsNonRoot || *sc.RunAsUser != dsl.RunAsUser || !*sc.ReadOnlyRootFilesystem ||
			*sc.AllowPrivilegeEscalation || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" ||
			sc.SeccompProfile.Type != apiv1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: security context %+v", tp.Name, sc)
		}
		if c.TerminationMessagePolicy != apiv1.TerminationMessageFallbackToLogsOnError {
			t.Errorf("%s: termination message policy %q", tp.Name, c.TerminationMessagePolicy)
		}
		if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != dsl.ScratchDir || len(tp.Volumes) != 1 ||
			tp.Volumes[0].Name != c.VolumeMounts[0].Name || tp.Volumes[0].EmptyDir == nil {
			t.Errorf("%s: scratch mount %+v volumes %+v", tp.Name, c.VolumeMounts, tp.Volumes)
		}
		if !slices.ContainsFunc(c.Env, func(e apiv1.EnvVar) bool { return e.Name == "TMPDIR" && e.Value == dsl.ScratchDir }) {
			t.Errorf("%s: TMPDIR is not the scratch volume: %+v", tp.Name, c.Env)
		}
		if !strings.HasPrefix(dsl.ResultsDir, dsl.ScratchDir+"/") {
			t.Errorf("results dir %s is not on the scratch volume", dsl.ResultsDir)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: resources %+v", tp.Name, c.Resources)
		}
		if tp.ActiveDeadlineSeconds == nil {
			t.Errorf("%s: no deadline", tp.Name)
		}
	}
	q := func(name string) (cpu, mem, memLimit string, deadline int) {
		tp := tmpl(t, wt, name)
		r := tp.Container.Resources
		return r.Requests.Cpu().String(), r.Requests.Memory().String(), r.Limits.Memory().String(), tp.ActiveDeadlineSeconds.IntValue()
	}
	// Precedence: base < pipeline < component < step.
	if cpu, mem, lim, dl := q("src"); cpu != dsl.BaseDefaults.Resources.CPU || mem != "1Gi" || lim != dsl.BaseDefaults.Resources.MemoryLimit || dl != 7200 {
		t.Errorf("src: cpu %s memory %s limit %s deadline %d", cpu, mem, lim, dl)
	}
	if cpu, mem, lim, dl := q("fit"); cpu != "2" || mem != "4Gi" || lim != "8Gi" || dl != 6*3600 {
		t.Errorf("fit: cpu %s memory %s limit %s deadline %d", cpu, mem, lim, dl)
	}
	gt := tmpl(t, wt, "gate")
	if gt.RetryStrategy != nil {
		t.Errorf("gate given NoRetries has %+v", gt.RetryStrategy)
	}
	for _, o := range gt.Outputs.Parameters {
		if o.GlobalName != "gate-"+o.Name {
			t.Errorf("published result %s has global name %q", o.Name, o.GlobalName)
		}
	}
	if rs := tmpl(t, wt, "ship").RetryStrategy; rs == nil || rs.RetryPolicy != wfv1.RetryPolicyAlways || rs.Backoff.Cap == "" {
		t.Errorf("ship retry %+v", rs)
	}
}

func TestProductionSettingsErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(p *dsl.Pipeline)
		want  string
	}{
		{"request above limit", func(p *dsl.Pipeline) {
			p.Step(src, dsl.In("raw", dsl.Lit("x")), dsl.WithResources(dsl.ResourceSpec{Memory: "8Gi", MemoryLimit: "1Gi"}))
		}, "memory request 8Gi is above its limit 1Gi"},
		{"bad quantity", func(p *dsl.Pipeline) {
			p.Step(src, dsl.In("raw", dsl.Lit("x")), dsl.WithResources(dsl.ResourceSpec{CPU: "two"}))
		}, `cpu "two"`},
		{"two steps of one component disagree", func(p *dsl.Pipeline) {
			s := p.Step(src, dsl.In("raw", dsl.Lit("x")))
			p.Step(fit, dsl.In("train", s.Out("rows")))
			p.Step(fit, dsl.Named("fit-2"), dsl.In("train", s.Out("rows")), dsl.WithResources(dsl.ResourceSpec{CPU: "500m"}))
		}, "differ in retry, timeout, resources"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := dsl.New("broken")
			tc.build(p)
			if _, err := p.Compile(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestStepCacheArgument(t *testing.T) {
	p := dsl.New("cached")
	s := p.Step(src, dsl.In("raw", dsl.Lit("x")))
	p.Step(fit, dsl.In("train", s.Out("rows")), dsl.NoCache())
	wt := compile(t, p)
	if q := p.Lookup(dsl.CacheParam); q == nil || q.Default != "true" || len(q.Enum) != 2 {
		t.Fatalf("cache parameter %+v", q)
	}
	for name, want := range map[string]string{"src": "{{workflow.parameters.cache}}", "fit": "false"} {
		if v, ok := arg(t, task(t, wt, name), "step-cache"); !ok || v != want {
			t.Errorf("%s: step-cache argument %q (%v), want %q", name, v, ok, want)
		}
		tp := tmpl(t, wt, name)
		if !slices.Contains(tp.Container.Args, "--step-cache={{inputs.parameters.step-cache}}") {
			t.Errorf("%s: args %v lack --step-cache", name, tp.Container.Args)
		}
	}
}
