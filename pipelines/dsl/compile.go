package dsl

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	apiv1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/settings"
)

// Compile defaults.
const (
	DefaultImagePrefix = "ghcr.io/tweetflow"
	DefaultVersion     = "latest"
	DefaultS3Secret    = "tweetflow-s3"
	// ResultsDir is where containers write result parameters; output
	// parameters read <ResultsDir>/<name>. It is on the scratch volume.
	ResultsDir = ScratchDir + "/results"
	// Entrypoint is the name of the DAG template.
	Entrypoint = "main"
)

// S3SecretKeys maps the keys of the S3 secret to the environment variables
// the components read (the first env var of each S3 setting declared with
// a SecretKey in package settings). Every key is optional.
var S3SecretKeys = s3SecretKeys()

func s3SecretKeys() [][2]string {
	var out [][2]string
	for _, x := range settings.S3 {
		if x.SecretKey != "" {
			out = append(out, [2]string{x.SecretKey, x.Env[0]})
		}
	}
	return out
}

type compileConfig struct {
	imagePrefix    string
	version        string
	s3Secret       string
	pullPolicy     apiv1.PullPolicy
	serviceAccount string
	parallelism    int
}

// CompileOption configures Compile.
type CompileOption func(*compileConfig)

// ImagePrefix sets the registry/namespace of component images:
// <prefix>/<component>:<version>.
func ImagePrefix(p string) CompileOption {
	return func(c *compileConfig) { c.imagePrefix = strings.TrimSuffix(p, "/") }
}

// Version sets the image tag of component images.
func Version(v string) CompileOption { return func(c *compileConfig) { c.version = v } }

// S3Secret names the Kubernetes Secret holding S3 settings (keys in
// S3SecretKeys); empty disables the secret env.
func S3Secret(name string) CompileOption { return func(c *compileConfig) { c.s3Secret = name } }

// Parallelism limits the tasks of the DAG that run at once on a cluster
// (the entrypoint template's parallelism; 0: no limit), fan-out items
// included. Argo takes it as a number in the template, not a parameter.
func Parallelism(n int) CompileOption { return func(c *compileConfig) { c.parallelism = n } }

// ServiceAccount sets the workflow's service account.
func ServiceAccount(name string) CompileOption {
	return func(c *compileConfig) { c.serviceAccount = name }
}

// Compile checks the pipeline and turns it into an Argo WorkflowTemplate:
// one container template per component, a DAG template (Entrypoint) with a
// task per step, and the pipeline parameters as workflow arguments.
func (p *Pipeline) Compile(opts ...CompileOption) (*wfv1.WorkflowTemplate, error) {
	cfg := compileConfig{imagePrefix: DefaultImagePrefix, version: DefaultVersion, s3Secret: DefaultS3Secret}
	for _, o := range opts {
		o(&cfg)
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("compiling pipeline %q: %w", p.name, err)
	}
	conds := p.conditions()
	guards := map[*Step]bool{}
	for _, s := range p.steps {
		for _, c := range s.when {
			if r, ok := c.v.(ResultRef); ok {
				guards[r.Step] = true
			}
		}
	}

	wt := &wfv1.WorkflowTemplate{
		TypeMeta: metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "WorkflowTemplate"},
		ObjectMeta: metav1.ObjectMeta{
			Name: p.name,
			Labels: map[string]string{
				"app.kubernetes.io/part-of": "tweetflow",
				"app.kubernetes.io/version": cfg.version,
			},
		},
		Spec: wfv1.WorkflowSpec{Entrypoint: Entrypoint, ServiceAccountName: cfg.serviceAccount},
	}
	if p.description != "" {
		wt.Annotations = map[string]string{"workflows.argoproj.io/description": p.description}
	}
	for _, q := range p.params {
		ap := wfv1.Parameter{Name: q.Name, Value: wfv1.AnyStringPtr(q.Default)}
		if q.Description != "" {
			ap.Description = wfv1.AnyStringPtr(q.Description)
		}
		for _, e := range q.Enum {
			ap.Enum = append(ap.Enum, wfv1.AnyString(e))
		}
		wt.Spec.Arguments.Parameters = append(wt.Spec.Arguments.Parameters, ap)
	}

	dag := &wfv1.DAGTemplate{}
	var containers, builtins []wfv1.Template
	fanOutTemplates := false
	byComponent := map[string]*Step{}
	for _, s := range p.steps {
		task := wfv1.DAGTask{Name: s.name, Template: s.c.Name, Dependencies: s.dependencies()}
		task.Arguments.Parameters = s.arguments()
		var when []string
		for _, c := range conds[s] {
			when = append(when, c.v.Arg()+" == "+c.equals)
		}
		task.When = strings.Join(when, " && ")
		if s.continueOnFailed || guards[s] {
			task.ContinueOn = &wfv1.ContinueOn{Failed: true}
		}
		if s.fanOut != "" {
			plan, fan, gather := s.fanOutTasks(task)
			dag.Tasks = append(dag.Tasks, plan, fan, gather)
			if !fanOutTemplates {
				fanOutTemplates = true
				builtins = append(builtins, p.planTemplate(cfg), p.gatherTemplate(cfg))
			}
		} else {
			dag.Tasks = append(dag.Tasks, task)
		}

		if first, ok := byComponent[s.c.Name]; ok {
			if err := sameTemplateOptions(first, s); err != nil {
				return nil, fmt.Errorf("compiling pipeline %q: %w", p.name, err)
			}
			continue
		}
		byComponent[s.c.Name] = s
		containers = append(containers, s.template(cfg))
	}
	main := wfv1.Template{Name: Entrypoint, DAG: dag}
	if cfg.parallelism > 0 {
		n := int64(cfg.parallelism)
		main.Parallelism = &n
	}
	wt.Spec.Templates = append(append([]wfv1.Template{main}, containers...), builtins...)
	return wt, nil
}

// check validates names, bindings and wiring.
func (p *Pipeline) check() error {
	errs := slices.Clone(p.errs)
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, q := range p.params {
		if q.Description == "" {
			add("pipeline parameter %q has no description", q.Name)
		}
		if q.Type != "" && q.Default != "" {
			cp := component.Param{Name: q.Name, Type: q.Type, Enum: q.Enum, Min: q.Min, Max: q.Max}
			if err := cp.Check(q.Default); err != nil {
				add("pipeline parameter default: %w", err)
			}
		}
		if len(q.Enum) > 0 && !slices.Contains(q.Enum, q.Default) {
			add("pipeline parameter %q: default %q is not one of %s", q.Name, q.Default, strings.Join(q.Enum, ", "))
		}
	}
	for _, s := range p.steps {
		if s.name == Entrypoint {
			add("step name %q is reserved for the DAG template", s.name)
		}
		for _, name := range slices.Sorted(maps.Keys(s.params)) {
			v := s.params[name]
			cp, ok := s.c.Param(name)
			if !ok {
				add("step %q: component %q has no parameter %q", s.name, s.c.Name, name)
				continue
			}
			if err := p.checkValue(s, v); err != nil {
				errs = append(errs, err)
				continue
			}
			switch v := v.(type) {
			case Lit:
				if string(v) != "" || cp.Required {
					if err := cp.Check(string(v)); err != nil {
						add("step %q: %w", s.name, err)
					}
				}
			case *Param:
				if err := compatible(cp, v); err != nil {
					add("step %q: binding parameter %q to pipeline parameter %q: %w", s.name, name, v.Name, err)
				}
			case OutputRef:
				add("step %q: parameter %q bound to output artifact %s.%s (use a result)", s.name, name, v.Step.name, v.Name)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(s.inputs)) {
			v := s.inputs[name]
			a, ok := artifactByName(s.c.Inputs, name)
			if !ok {
				add("step %q: component %q has no input %q", s.name, s.c.Name, name)
				continue
			}
			if err := p.checkValue(s, v); err != nil {
				errs = append(errs, err)
				continue
			}
			if o, ok := v.(OutputRef); ok && a.Kind != component.Sources && o.Kind != a.Kind {
				add("step %q: input %q takes a %s, but %s.%s is a %s", s.name, name, a.Kind, o.Step.name, o.Name, o.Kind)
			}
			if _, ok := v.(ResultRef); ok {
				add("step %q: input %q bound to a result", s.name, name)
			}
		}
		for _, a := range s.c.Inputs {
			if _, ok := s.inputs[a.Name]; !ok && !a.Optional {
				add("step %q: required input %q is not wired", s.name, a.Name)
			}
		}
		for _, cp := range s.c.Params {
			if _, ok := s.params[cp.Name]; !ok && cp.Required {
				add("step %q: required parameter %q is not set", s.name, cp.Name)
			}
		}
		for _, c := range s.when {
			if err := p.checkValue(s, c.v); err != nil {
				errs = append(errs, err)
			}
			if _, ok := c.v.(OutputRef); ok {
				add("step %q: condition on an output artifact", s.name)
			}
		}
		for _, d := range s.after {
			if err := p.checkValue(s, ResultRef{Step: d}); err != nil {
				errs = append(errs, err)
			}
		}
		if err := s.checkFanOut(); err != nil {
			errs = append(errs, err)
		}
		for _, o := range p.steps {
			if s.fanOut != "" && (o.name == s.name+PlanSuffix || o.name == s.name+GatherSuffix) {
				add("step name %q clashes with a task of fan-out step %q", o.name, s.name)
			}
		}
		if err := s.settings().Resources.check(); err != nil {
			add("step %q: %w", s.name, err)
		}
		if st := s.settings(); st.Retry != nil && (st.Retry.Limit < 0 || st.Retry.Backoff < 0) {
			add("step %q: negative retry limit or backoff", s.name)
		}
		for r := range s.resultDefaults {
			if !slices.Contains(s.c.ResultNames(), r) {
				add("step %q: default for unknown result %q", s.name, r)
			}
		}
	}
	return errors.Join(errs...)
}

// checkValue checks that v belongs to this pipeline and, when it comes from
// a step, that the step is declared before s.
func (p *Pipeline) checkValue(s *Step, v Value) error {
	if q, ok := v.(*Param); ok && p.Lookup(q.Name) != q {
		return fmt.Errorf("step %q: pipeline parameter %q is not declared in pipeline %q", s.name, q.Name, p.name)
	}
	prod := v.Producer()
	if prod == nil {
		return nil
	}
	i, j := slices.Index(p.steps, prod), slices.Index(p.steps, s)
	if i < 0 {
		return fmt.Errorf("step %q: refers to step %q of another pipeline", s.name, prod.name)
	}
	if i >= j {
		return fmt.Errorf("step %q: refers to step %q, which is not declared before it", s.name, prod.name)
	}
	return nil
}

// compatible checks a pipeline parameter can feed a contract parameter.
func compatible(cp component.Param, q *Param) error {
	if q.Type != "" {
		want := cp.Type
		if want == "" {
			want = component.String
		}
		if q.Type != want {
			return fmt.Errorf("type %s does not match %s", q.Type, want)
		}
	}
	if len(cp.Enum) > 0 {
		if len(q.Enum) == 0 {
			return fmt.Errorf("the component parameter takes one of %s; give the pipeline parameter an enum", strings.Join(cp.Enum, ", "))
		}
		for _, e := range q.Enum {
			if !slices.Contains(cp.Enum, e) {
				return fmt.Errorf("enum value %q is not one of %s", e, strings.Join(cp.Enum, ", "))
			}
		}
	}
	if q.Default != "" || cp.Required {
		if err := cp.Check(q.Default); err != nil {
			return fmt.Errorf("default: %w", err)
		}
	}
	return nil
}

// conditions gives each step its own conditions plus those of every step
// it depends on, in declaration order without duplicates.
func (p *Pipeline) conditions() map[*Step][]condition {
	out := map[*Step][]condition{}
	for _, s := range p.steps {
		var cs []condition
		seen := map[string]bool{}
		addc := func(c condition) {
			k := c.v.Arg() + "==" + c.equals
			if !seen[k] {
				seen[k] = true
				cs = append(cs, c)
			}
		}
		for _, d := range s.upstream() {
			for _, c := range out[d] {
				addc(c)
			}
		}
		for _, c := range s.when {
			addc(c)
		}
		out[s] = cs
	}
	return out
}

// upstream lists the steps s depends on, in declaration order.
func (s *Step) upstream() []*Step {
	set := map[*Step]bool{}
	for _, v := range s.params {
		if d := v.Producer(); d != nil {
			set[d] = true
		}
	}
	for _, v := range s.inputs {
		if d := v.Producer(); d != nil {
			set[d] = true
		}
	}
	for _, c := range s.when {
		if d := c.v.Producer(); d != nil {
			set[d] = true
		}
	}
	for _, d := range s.after {
		set[d] = true
	}
	var out []*Step
	for _, d := range s.p.steps {
		if set[d] {
			out = append(out, d)
		}
	}
	return out
}

func (s *Step) dependencies() []string {
	var out []string
	for _, d := range s.upstream() {
		out = append(out, d.taskName())
	}
	return out
}

// taskName is the task that finishes the step: its gather task for a
// fan-out.
func (s *Step) taskName() string {
	if s.fanOut != "" {
		return s.name + GatherSuffix
	}
	return s.name
}

// arguments are the task's arguments, in the order of the template inputs.
func (s *Step) arguments() []wfv1.Parameter {
	ps := []wfv1.Parameter{
		{Name: component.FlagStore, Value: wfv1.AnyStringPtr((&Param{Name: StoreParam}).Arg())},
		{Name: component.FlagRunID, Value: wfv1.AnyStringPtr(RunIDExpr)},
		{Name: component.FlagStep, Value: wfv1.AnyStringPtr(s.name)},
		{Name: component.FlagStepCache, Value: wfv1.AnyStringPtr(s.cacheArg())},
	}
	for _, cp := range s.c.Params {
		if v, ok := s.params[cp.Name]; ok {
			ps = append(ps, wfv1.Parameter{Name: cp.Name, Value: wfv1.AnyStringPtr(v.Arg())})
		}
	}
	for _, a := range s.c.Inputs {
		if v, ok := s.inputs[a.Name]; ok {
			ps = append(ps, wfv1.Parameter{Name: a.Name, Value: wfv1.AnyStringPtr(v.Arg())})
		}
	}
	for _, a := range s.c.Outputs {
		ps = append(ps, wfv1.Parameter{Name: component.OutputFlag(a.Name), Value: wfv1.AnyStringPtr(OutputURI(s.name, a.Name))})
	}
	return ps
}

// cacheArg is the task's --step-cache value: the cache pipeline parameter,
// or false for a NoCache step.
func (s *Step) cacheArg() string {
	if s.noCache {
		return "false"
	}
	return (&Param{Name: CacheParam}).Arg()
}

// template is the component's container template: every flag is an input
// parameter (contract parameters default to the contract's defaults).
func (s *Step) template(cfg compileConfig) wfv1.Template {
	c := s.c
	t := wfv1.Template{Name: c.Name}
	addIn := func(name, desc string, def *string) {
		p := wfv1.Parameter{Name: name}
		if desc != "" {
			p.Description = wfv1.AnyStringPtr(desc)
		}
		if def != nil {
			p.Default = wfv1.AnyStringPtr(*def)
		}
		t.Inputs.Parameters = append(t.Inputs.Parameters, p)
	}
	str := func(s string) *string { return &s }
	var args []string
	arg := func(flag string) { args = append(args, "--"+flag+"={{inputs.parameters."+flag+"}}") }

	addIn(component.FlagStore, "artifact store root", nil)
	addIn(component.FlagRunID, "run ID", nil)
	addIn(component.FlagStep, "step name in the run layout", str(c.Name))
	addIn(component.FlagStepCache, "reuse the outputs of an identical earlier step (true or false)", str("false"))
	for _, cp := range c.Params {
		desc := cp.Description
		if len(cp.Enum) > 0 {
			desc += " (one of: " + strings.Join(cp.Enum, ", ") + ")"
		}
		var def *string
		if !cp.Required {
			def = str(cp.Default)
		}
		addIn(cp.Name, desc, def)
		arg(cp.Name)
	}
	for _, a := range c.Inputs {
		var def *string
		if a.Optional {
			def = str("")
		}
		addIn(a.Name, fmt.Sprintf("input %s URI: %s", a.Kind, a.Description), def)
		arg(a.Name)
	}
	for _, a := range c.Outputs {
		n := component.OutputFlag(a.Name)
		addIn(n, fmt.Sprintf("output %s URI: %s", a.Kind, a.Description), nil)
		arg(n)
	}
	arg(component.FlagStore)
	arg(component.FlagRunID)
	arg(component.FlagStep)
	arg(component.FlagStepCache)
	if len(c.Results) > 0 {
		args = append(args, "--"+component.FlagResultsDir+"="+ResultsDir)
		for _, r := range c.Results {
			def := s.resultDefaults[r.Name]
			op := wfv1.Parameter{
				Name:        r.Name,
				Description: wfv1.AnyStringPtr(r.Description),
				ValueFrom:   &wfv1.ValueFrom{Path: ResultsDir + "/" + r.Name, Default: wfv1.AnyStringPtr(def)},
			}
			if s.publish {
				op.GlobalName = s.name + "-" + r.Name
			}
			t.Outputs.Parameters = append(t.Outputs.Parameters, op)
		}
	}
	t.Container = &apiv1.Container{
		Image:           cfg.imagePrefix + "/" + c.Name + ":" + cfg.version,
		ImagePullPolicy: cfg.pullPolicy,
		Command:         []string{c.Name},
		Args:            args,
	}
	addS3Env(&t, cfg)
	applyProduction(&t, s.settings())
	return t
}

// addS3Env gives the container the S3 settings of the optional secret.
func addS3Env(t *wfv1.Template, cfg compileConfig) {
	if cfg.s3Secret == "" {
		return
	}
	optional := true
	for _, kv := range S3SecretKeys {
		t.Container.Env = append(t.Container.Env, apiv1.EnvVar{Name: kv[1], ValueFrom: &apiv1.EnvVarSource{
			SecretKeyRef: &apiv1.SecretKeySelector{
				LocalObjectReference: apiv1.LocalObjectReference{Name: cfg.s3Secret},
				Key:                  kv[0], Optional: &optional,
			},
		}})
	}
}

// sameTemplateOptions checks that two steps of one component agree on what
// lives in the shared template.
func sameTemplateOptions(a, b *Step) error {
	sa, sb := a.settings(), b.settings()
	ra, rb := fmt.Sprint(sa.Retry), fmt.Sprint(sb.Retry)
	if sa.Retry != nil {
		ra = fmt.Sprint(*sa.Retry)
	}
	if sb.Retry != nil {
		rb = fmt.Sprint(*sb.Retry)
	}
	if ra != rb || sa.Timeout != sb.Timeout || sa.Resources != sb.Resources || a.publish != b.publish ||
		fmt.Sprint(a.resultDefaults) != fmt.Sprint(b.resultDefaults) {
		return fmt.Errorf("steps %q and %q share component %q but differ in retry, timeout, resources, published results or result defaults", a.name, b.name, a.c.Name)
	}
	return nil
}

func artifactByName(as []component.Artifact, name string) (component.Artifact, bool) {
	for _, a := range as {
		if a.Name == name {
			return a, true
		}
	}
	return component.Artifact{}, false
}
