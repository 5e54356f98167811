package dsl

import (
	"fmt"
	"slices"
	"time"

	"github.com/tweetflow/tweetflow/internal/component"
)

// Names of the pipeline parameters every pipeline has.
const (
	StoreParam = "store"
	RunIDParam = "run-id"
	CacheParam = "cache"
)

// DefaultStore is the default of the store pipeline parameter: the bucket
// a cluster run writes to. Local runs override it with a folder.
const DefaultStore = "s3://tweetflow"

// RunIDExpr is the Argo expression every task gets as its run ID: the
// run-id pipeline parameter when set, else the workflow's UID. (Argo does
// not expand {{workflow.uid}} inside a parameter's default, hence the
// expression.)
const RunIDExpr = "{{=" + runIDExprBody + "}}"

// runIDExprBody is RunIDExpr without its {{= }} delimiters, for use inside
// other expressions (ParamOr).
const runIDExprBody = "workflow.parameters['run-id'] != '' ? workflow.parameters['run-id'] : workflow.uid"

// Pipeline is a DAG of component steps with pipeline parameters.
type Pipeline struct {
	name         string
	description  string
	storeDefault string
	params       []*Param
	steps        []*Step
	errs         []error

	defaults          StepDefaults
	componentDefaults map[string]StepDefaults
}

// Option configures a Pipeline.
type Option func(*Pipeline)

// WithDescription sets the pipeline's description (shown in the Argo UI).
func WithDescription(d string) Option { return func(p *Pipeline) { p.description = d } }

// New starts a pipeline. It always has the store and run-id parameters.
func New(name string, opts ...Option) *Pipeline {
	p := &Pipeline{name: name, storeDefault: DefaultStore}
	for _, o := range opts {
		o(p)
	}
	p.Param(StoreParam, Default(p.storeDefault), Description(
		"Artifact store root, without a trailing slash: s3://bucket/prefix on a cluster (settings and credentials come from the S3 secret), a folder for local runs."))
	p.Param(RunIDParam, Description(
		"Run ID: outputs go to <store>/runs/<run-id>/<step>/<output>. Empty uses the workflow's UID."))
	p.Param(CacheParam, Default("true"), Enum("true", "false"), Description(
		"Step cache: a step whose component binary, parameters and input contents match an earlier successful step "+
			"(recorded under <store>/cache) restores that step's outputs instead of running. false runs every step."))
	return p
}

// Name of the pipeline.
func (p *Pipeline) Name() string { return p.name }

// Description of the pipeline.
func (p *Pipeline) Description() string { return p.description }

// Params lists the pipeline parameters in declaration order (store and
// run-id first).
func (p *Pipeline) Params() []*Param { return slices.Clone(p.params) }

// Steps lists the steps in declaration order.
func (p *Pipeline) Steps() []*Step { return slices.Clone(p.steps) }

// Lookup returns the named pipeline parameter, or nil.
func (p *Pipeline) Lookup(name string) *Param {
	for _, q := range p.params {
		if q.Name == name {
			return q
		}
	}
	return nil
}

func (p *Pipeline) errorf(format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf(format, args...))
}

// Value is what a step parameter or input can be bound to: a literal (Lit),
// a pipeline parameter (*Param), another step's output artifact (Step.Out)
// or result (Step.Result). Bindings to steps become DAG edges.
type Value interface {
	// Arg is the value as an Argo task argument.
	Arg() string
	// Producer is the step the value comes from, or nil.
	Producer() *Step
}

// Lit is a literal value.
type Lit string

// Arg implements Value.
func (l Lit) Arg() string { return string(l) }

// Producer implements Value.
func (Lit) Producer() *Step { return nil }

// Param is a pipeline parameter: an Argo workflow parameter with a
// description, a default and, optionally, a closed set of values (the Argo
// UI shows these as a form).
type Param struct {
	Name        string
	Description string
	Default     string
	Enum        []string
	// Type is the component parameter type the value must have; empty for
	// free text (parameters not derived from a contract).
	Type component.Type
	// From names the contract parameter or input the parameter was derived
	// from ("train.epochs"), for docs and errors.
	From string
	// Min and Max are the numeric bounds of the contract parameter, if any.
	Min, Max *float64
}

// Arg implements Value.
func (q *Param) Arg() string { return "{{workflow.parameters." + q.Name + "}}" }

// Producer implements Value.
func (q *Param) Producer() *Step { return nil }

// ParamOption adjusts a pipeline parameter.
type ParamOption func(*Param)

// Default sets the parameter's default.
func Default(v string) ParamOption { return func(q *Param) { q.Default = v } }

// Description sets the parameter's description.
func Description(d string) ParamOption { return func(q *Param) { q.Description = d } }

// As renames the pipeline parameter (the contract parameter keeps its name).
func As(name string) ParamOption { return func(q *Param) { q.Name = name } }

// Enum restricts the parameter to a closed set of values.
func Enum(vals ...string) ParamOption { return func(q *Param) { q.Enum = vals } }

// Param declares a free-form pipeline parameter.
func (p *Pipeline) Param(name string, opts ...ParamOption) *Param {
	q := &Param{Name: name}
	for _, o := range opts {
		o(q)
	}
	return p.addParam(q)
}

func (p *Pipeline) addParam(q *Param) *Param {
	if p.Lookup(q.Name) != nil {
		p.errorf("pipeline parameter %q declared twice", q.Name)
	}
	p.params = append(p.params, q)
	return q
}

// Expose declares a pipeline parameter from a contract parameter: it takes
// the contract's name, type, description, enum, default and bounds, which
// opts may adjust (As, Default, Enum, Description).
func (p *Pipeline) Expose(c *component.Contract, param string, opts ...ParamOption) *Param {
	cp, ok := c.Param(param)
	if !ok {
		p.errorf("exposing %s.%s: component %q has no parameter %q", c.Name, param, c.Name, param)
		return p.Param(param, opts...)
	}
	q := &Param{Name: cp.Name, Description: cp.Description, Default: cp.Default, Enum: slices.Clone(cp.Enum),
		Type: cp.Type, From: c.Name + "." + cp.Name, Min: cp.Min, Max: cp.Max}
	if q.Type == "" {
		q.Type = component.String
	}
	for _, o := range opts {
		o(q)
	}
	return p.addParam(q)
}

// ExposeInput declares a pipeline parameter carrying the URI(s) of a
// contract input, described by the contract's input description.
func (p *Pipeline) ExposeInput(c *component.Contract, input string, opts ...ParamOption) *Param {
	var a *component.Artifact
	for i := range c.Inputs {
		if c.Inputs[i].Name == input {
			a = &c.Inputs[i]
		}
	}
	if a == nil {
		p.errorf("exposing input %s.%s: component %q has no input %q", c.Name, input, c.Name, input)
		return p.Param(input, opts...)
	}
	desc := "Input " + string(a.Kind) + ": " + a.Description
	if a.List {
		desc += " (several: comma-separated)"
	}
	q := &Param{Name: a.Name, Description: desc, From: c.Name + "." + a.Name}
	for _, o := range opts {
		o(q)
	}
	return p.addParam(q)
}

// Step is one component run in the pipeline (an Argo DAG task).
type Step struct {
	p       *Pipeline
	c       *component.Contract
	name    string
	params  map[string]Value
	inputs  map[string]Value
	when    []condition
	after   []*Step
	exposes []exposure

	continueOnFailed bool
	resultDefaults   map[string]string
	retry            *RetryPolicy
	timeout          time.Duration
	resources        ResourceSpec
	publish          bool
	noCache          bool
	fanOut           string
}

type condition struct {
	v      Value
	equals string
}

type exposure struct {
	param string
	opts  []ParamOption
}

// RetryPolicy retries a failed step with exponential backoff. Usage errors
// (component.ExitUsage) and failed gates (component.ExitGate) are never retried (see
// RetryExpression). A zero Limit (NoRetries) disables retries.
type RetryPolicy struct {
	Limit   int
	Backoff time.Duration // first delay; doubles on each retry
	MaxWait time.Duration // cap of one delay; 0 means no cap
}

// StepOption configures a step.
type StepOption func(*Step)

// Named names the step (default: the component name). Names must be unique.
func Named(name string) StepOption { return func(s *Step) { s.name = name } }

// Set gives a step parameter a literal value.
func Set(param, value string) StepOption { return Bind(param, Lit(value)) }

// Bind gives a step parameter a value: a pipeline parameter, another
// step's result or a literal.
func Bind(param string, v Value) StepOption {
	return func(s *Step) {
		if _, dup := s.params[param]; dup {
			s.p.errorf("step %q: parameter %q bound twice", s.name, param)
		}
		s.params[param] = v
	}
}

// Expose declares a pipeline parameter from this step's contract parameter
// (see Pipeline.Expose) and binds it.
func Expose(param string, opts ...ParamOption) StepOption {
	return func(s *Step) { s.exposes = append(s.exposes, exposure{param, opts}) }
}

// In wires a step input: another step's output (a DAG edge), a pipeline
// parameter holding a URI, or a literal URI.
func In(input string, v Value) StepOption {
	return func(s *Step) {
		if _, dup := s.inputs[input]; dup {
			s.p.errorf("step %q: input %q wired twice", s.name, input)
		}
		s.inputs[input] = v
	}
}

// When runs the step only when v equals the given text (an Argo `when`).
// A step whose inputs come from a conditional step inherits its conditions.
// When v is another step's result, that step gets continueOn failed: a
// failing gate skips what it guards instead of failing the workflow.
func When(v Value, equals string) StepOption {
	return func(s *Step) { s.when = append(s.when, condition{v, equals}) }
}

// After adds explicit dependencies.
func After(steps ...*Step) StepOption { return func(s *Step) { s.after = append(s.after, steps...) } }

// ContinueOnFailure lets the workflow go on when this step fails.
func ContinueOnFailure() StepOption { return func(s *Step) { s.continueOnFailed = true } }

// ResultDefault is the value of a result when the component did not write
// it (it crashed): the Argo output parameter's valueFrom.default.
func ResultDefault(result, value string) StepOption {
	return func(s *Step) { s.resultDefaults[result] = value }
}

// Retry sets the step's retry policy (the component's template
// retryStrategy), replacing the defaults; Retry(NoRetries) disables it.
func Retry(r RetryPolicy) StepOption { return func(s *Step) { s.retry = &r } }

// NoCache makes the step always run, whatever the cache parameter: for
// steps with effects outside their outputs (pushing an image).
func NoCache() StepOption { return func(s *Step) { s.noCache = true } }

// Timeout kills an attempt of the step after d (activeDeadlineSeconds).
func Timeout(d time.Duration) StepOption { return func(s *Step) { s.timeout = d } }

// Step adds a component step.
func (p *Pipeline) Step(c component.Contract, opts ...StepOption) *Step {
	cc := c
	s := &Step{p: p, c: &cc, name: c.Name, params: map[string]Value{}, inputs: map[string]Value{}, resultDefaults: map[string]string{}}
	for _, o := range opts {
		o(s)
	}
	for _, e := range s.exposes {
		q := p.Expose(s.c, e.param, e.opts...)
		if _, dup := s.params[e.param]; dup {
			p.errorf("step %q: parameter %q bound twice", s.name, e.param)
		}
		s.params[e.param] = q
	}
	for _, o := range p.steps {
		if o.name == s.name {
			p.errorf("step name %q used twice: use dsl.Named", s.name)
		}
	}
	p.steps = append(p.steps, s)
	return s
}

// Name of the step (the Argo task name and the step in the run layout).
func (s *Step) Name() string { return s.name }

// Contract of the step's component.
func (s *Step) Contract() *component.Contract { return s.c }

// OutputRef is a step's output artifact, as a Value for another step's input.
type OutputRef struct {
	Step *Step
	Name string
	Kind component.Kind
}

// Out refers to one of the step's output artifacts.
func (s *Step) Out(name string) OutputRef {
	for _, a := range s.c.Outputs {
		if a.Name == name {
			return OutputRef{Step: s, Name: name, Kind: a.Kind}
		}
	}
	s.p.errorf("step %q: component %q has no output %q", s.name, s.c.Name, name)
	return OutputRef{Step: s, Name: name}
}

// Arg implements Value: the output's URI in the run layout.
func (o OutputRef) Arg() string { return OutputURI(o.Step.name, o.Name) }

// Producer implements Value.
func (o OutputRef) Producer() *Step { return o.Step }

// OutputURI is the Argo expression of an output's URI:
// <store>/runs/<run-id>/<step>/<output> (artifact.OutputKey's layout).
func OutputURI(step, output string) string {
	return "{{workflow.parameters." + StoreParam + "}}/runs/" + RunIDExpr + "/" + step + "/" + output
}

// ResultRef is a step's result parameter, as a Value.
type ResultRef struct {
	Step *Step
	Name string
}

// Result refers to one of the step's result parameters.
func (s *Step) Result(name string) ResultRef {
	if !slices.Contains(s.c.ResultNames(), name) {
		s.p.errorf("step %q: component %q has no result %q", s.name, s.c.Name, name)
	}
	return ResultRef{Step: s, Name: name}
}

// Arg implements Value.
func (r ResultRef) Arg() string {
	return "{{tasks." + r.Step.name + ".outputs.parameters." + r.Name + "}}"
}

// Producer implements Value.
func (r ResultRef) Producer() *Step { return r.Step }

// OrOutput is a pipeline parameter that falls back to a step's output when
// left empty: "use the user's file when given, else what the pipeline made"
// (the labeling pipeline gates on a hand-labeled golden set when one is
// given, else on the weakly labeled development set). It renders as one
// Argo expression, so the Argo UI and the local executor resolve it alike.
// The fallback step is always a dependency.
type OrOutput struct {
	Param    *Param
	Fallback OutputRef
}

// ParamOr returns the value of q, or fallback's URI when q is empty.
func ParamOr(q *Param, fallback OutputRef) OrOutput { return OrOutput{Param: q, Fallback: fallback} }

// Arg implements Value.
func (o OrOutput) Arg() string {
	p := "workflow.parameters['" + o.Param.Name + "']"
	uri := "workflow.parameters['" + StoreParam + "'] + '/runs/' + (" + runIDExprBody + ")" +
		" + '/" + o.Fallback.Step.name + "/" + o.Fallback.Name + "'"
	return "{{=" + p + " != '' ? " + p + " : " + uri + "}}"
}

// Producer implements Value.
func (o OrOutput) Producer() *Step { return o.Fallback.Step }
