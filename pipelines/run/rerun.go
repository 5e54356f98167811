package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/settings"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
	"github.com/tweetflow/tweetflow/pipelines/runs"
)

// RerunSpec says which step of an earlier run to run again, and how.
type RerunSpec struct {
	// Step is the DAG task to run.
	Step string
	// From is the run whose artifacts feed the step's inputs.
	From string
	// RunID is where the step's outputs go: <store>/runs/<RunID>/<step>/...
	// Empty (or From) reruns in place: the step's outputs in From are
	// replaced atomically, and downstream steps of From become stale.
	RunID string
	// Args override the step's template input parameters, that is the
	// component's own flags ("emojis": "remove"), whether or not the
	// pipeline exposes them.
	Args map[string]string
}

// Rerun runs one task of a WorkflowTemplate again against an earlier run:
// the task's arguments come from the template (so they match what the
// pipeline ran), with the workflow parameters (defaults, then the run's
// own values from its summary, then WithParams) resolved with run ID From
// for the inputs, and with spec.RunID for the run-id and out-* arguments.
// Nothing is copied: a new run holds only the rerun step's outputs and
// reads its inputs from From's artifacts. Results of upstream tasks
// ({{tasks.X.outputs.parameters.Y}}) are read from From's summaries; the
// task's `when` is ignored (you asked for this step). Retries, deadlines and
// the report work as in Run.
func Rerun(ctx context.Context, tmpl *wfv1.WorkflowTemplate, spec RerunSpec, opts ...Option) (*runs.Report, error) {
	cfg := config{params: map[string]string{}, parallel: 1, log: io.Discard,
		now: time.Now, killGrace: 10 * time.Second, tailLines: 20}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.env == nil {
		cfg.env = os.Environ()
	}
	if spec.From == "" {
		return nil, errors.New("rerunning: no run ID to rerun from")
	}
	if spec.RunID == "" {
		spec.RunID = spec.From
	}
	for _, id := range []string{spec.From, spec.RunID} {
		if err := artifact.ValidateName("run ID", id); err != nil {
			return nil, fmt.Errorf("rerunning step %q: %w", spec.Step, err)
		}
	}
	if cfg.uid == "" {
		cfg.uid = spec.RunID
	}
	var task *wfv1.DAGTask
	if entry := templateByName(tmpl, tmpl.Spec.Entrypoint); entry != nil && entry.DAG != nil {
		for i := range entry.DAG.Tasks {
			if entry.DAG.Tasks[i].Name == spec.Step {
				task = &entry.DAG.Tasks[i]
			}
		}
		if task == nil {
			var names []string
			for _, t := range entry.DAG.Tasks {
				names = append(names, t.Name)
			}
			return nil, fmt.Errorf("rerunning: the pipeline has no step %q (it has: %s)", spec.Step, strings.Join(names, ", "))
		}
	}
	if task != nil && (task.WithParam != "" || task.Template == dsl.PlanTemplate || task.Template == dsl.GatherTemplate) {
		return nil, fmt.Errorf("rerunning step %q: it is part of a fan-out; run the pipeline again instead "+
			"(tweetflow run with the same parameters: the step cache restores the steps that did not change)", spec.Step)
	}
	userParams := maps.Clone(cfg.params)
	newParams := maps.Clone(cfg.params)
	newParams[dsl.RunIDParam] = spec.RunID
	cfg.params = newParams
	ex, err := newExecution(tmpl, &cfg)
	if err != nil {
		return nil, fmt.Errorf("rerunning step %q: %w", spec.Step, err)
	}
	if task == nil {
		return nil, fmt.Errorf("rerunning step %q: the entrypoint is not a DAG", spec.Step)
	}
	res := cfg.resolver
	if res == nil {
		if res, err = envResolver(cfg.env); err != nil {
			return nil, fmt.Errorf("rerunning step %q: %w", spec.Step, err)
		}
	}
	store, err := res.Resolve(ctx, ex.report.Params[dsl.StoreParam])
	if err != nil {
		return nil, fmt.Errorf("rerunning step %q: %w", spec.Step, err)
	}
	summaries := map[string]*component.Summary{}
	for _, d := range ex.deps[task.Name] {
		if s := readStoredSummary(ctx, store, spec.From, d); s != nil {
			summaries[d] = s
		}
	}
	// The old run's own parameter values are unknown to the store, but the
	// summary of the step itself records the values its flags had: keep
	// them for the flags the user did not override, so an in-place rerun
	// of a run made with -p epochs=3 keeps 3.
	var previous map[string]string
	if s := readStoredSummary(ctx, store, spec.From, task.Name); s != nil {
		previous = s.Params
	}

	oldGlobals := maps.Clone(ex.globals)
	oldGlobals["workflow.parameters."+dsl.RunIDParam] = spec.From
	for _, s := range ex.report.Steps {
		if sum, ok := summaries[s.Name]; ok {
			s.Status, s.Outputs = runs.Succeeded, sum.Results
		}
	}
	tmplOf := templateByName(tmpl, task.Template)
	if tmplOf == nil {
		return nil, fmt.Errorf("rerunning step %q: template %q not found", spec.Step, task.Template)
	}
	declared := map[string]bool{}
	for _, p := range tmplOf.Inputs.Parameters {
		declared[p.Name] = true
	}
	for k := range spec.Args {
		if !declared[k] {
			return nil, fmt.Errorf("rerunning step %q: %q is neither a pipeline parameter nor a parameter of component %q (it has: %s)",
				spec.Step, k, task.Template, strings.Join(slices.Sorted(maps.Keys(declared)), ", "))
		}
		if k == component.FlagRunID || k == component.FlagStore || k == component.FlagStep {
			return nil, fmt.Errorf("rerunning step %q: set %q with the rerun's own options", spec.Step, k)
		}
	}
	ex.argsHook = func(t wfv1.DAGTask, _ *wfv1.Template, args wfv1.Arguments) (wfv1.Arguments, error) {
		scope := ex.scope()
		maps.Copy(scope, toAny(oldGlobals))
		old, err := substitute(t.Arguments, scope)
		if err != nil {
			return args, fmt.Errorf("resolving arguments against run %q: %w", spec.From, err)
		}
		out := wfv1.Arguments{}
		given := map[string]bool{}
		for i, a := range args.Parameters {
			name := a.Name
			given[name] = true
			isOutput := name == component.FlagRunID || strings.HasPrefix(name, "out-")
			if !isOutput {
				a = old.Parameters[i]
			}
			if v, ok := previous[name]; ok && !isOutput && bound(t, name) && !setByUser(t, name, userParams) {
				a.Value = wfv1.AnyStringPtr(v)
			}
			if v, ok := spec.Args[name]; ok {
				a.Value = wfv1.AnyStringPtr(v)
			}
			out.Parameters = append(out.Parameters, a)
		}
		for _, k := range slices.Sorted(maps.Keys(spec.Args)) {
			if !given[k] {
				out.Parameters = append(out.Parameters, wfv1.Parameter{Name: k, Value: wfv1.AnyStringPtr(spec.Args[k])})
			}
		}
		return out, nil
	}

	if cfg.workDir == "" {
		dir, err := os.MkdirTemp("", "tweetflow-rerun-")
		if err != nil {
			return nil, fmt.Errorf("creating work folder: %w", err)
		}
		defer os.RemoveAll(dir)
		cfg.workDir = dir
	}
	fmt.Fprintf(ex.log, "[%s] rerunning step %q of run %q as run %q\n", task.Name, task.Name, spec.From, spec.RunID)
	start := time.Now()
	err = ex.runTask(ctx, *task)
	if err == nil && ex.steps[task.Name].Status == runs.Failed {
		err = errors.New(ex.steps[task.Name].Message)
	}
	rep := *ex.report
	rep.Steps = []*runs.StepReport{ex.steps[task.Name]}
	rep.Seconds = time.Since(start).Seconds()
	return &rep, err
}

// bound reports whether the task passes argument name to its template
// from a workflow parameter (an exposed pipeline parameter).
func bound(t wfv1.DAGTask, name string) bool {
	for _, a := range t.Arguments.Parameters {
		if a.Name == name && a.Value != nil {
			return strings.Contains(a.Value.String(), "{{workflow.parameters.")
		}
	}
	return false
}

// setByUser reports whether the argument comes from a workflow parameter
// the caller set.
func setByUser(t wfv1.DAGTask, name string, params map[string]string) bool {
	for _, a := range t.Arguments.Parameters {
		if a.Name != name || a.Value == nil {
			continue
		}
		for k := range params {
			if strings.Contains(a.Value.String(), "{{workflow.parameters."+k+"}}") {
				return true
			}
		}
	}
	return false
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// envResolver is the artifact resolver of env, the environment the tasks
// get, with the S3 settings resolved as they resolve them
// (settings.Resolve).
func envResolver(env []string) (*artifact.Resolver, error) {
	st, err := settings.Resolve(nil, settings.EnvList(env), settings.S3)
	if err != nil {
		return nil, err
	}
	return artifact.NewResolver(st.S3), nil
}

// readStoredSummary reads <store>/runs/<run>/<step>/_summary.json, or nil.
func readStoredSummary(ctx context.Context, store artifact.Location, runID, step string) *component.Summary {
	s, err := runs.LoadSummary(ctx, store.Store, path.Join(store.Key, artifact.SummaryKey(runID, step)))
	if err != nil {
		return nil
	}
	return s
}
