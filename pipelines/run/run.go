package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	argotemplate "github.com/argoproj/argo-workflows/v3/util/template"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
	"github.com/tweetflow/tweetflow/pipelines/runs"
)

// DefaultParallel is the default number of tasks run at once.
const DefaultParallel = 2

type config struct {
	binDir    string
	params    map[string]string
	parallel  int
	workDir   string
	log       io.Writer
	env       []string
	uid       string
	now       func() time.Time
	killGrace time.Duration
	tailLines int
	maxWait   time.Duration
	resolver  *artifact.Resolver
}

// Option configures Run.
type Option func(*config)

// WithBinDir maps each container's command[0] to <dir>/<base name>;
// without it the command is looked up on PATH.
func WithBinDir(dir string) Option { return func(c *config) { c.binDir = dir } }

// WithParams overrides workflow parameters (each must be declared).
func WithParams(p map[string]string) Option {
	return func(c *config) {
		for k, v := range p {
			c.params[k] = v
		}
	}
}

// WithParallel limits how many tasks run at once (DefaultParallel).
func WithParallel(n int) Option { return func(c *config) { c.parallel = n } }

// WithWorkDir keeps per-task files (results, summaries, termination
// messages) under dir instead of a temporary folder removed at the end
// (tweetflow-run-* in os.TempDir(), locked while the run lives; the folders
// of runs that were killed are removed by the next run).
func WithWorkDir(dir string) Option { return func(c *config) { c.workDir = dir } }

// WithLog sets where task output goes, each line prefixed with [task].
func WithLog(w io.Writer) Option { return func(c *config) { c.log = w } }

// WithEnv sets the base environment of tasks (default os.Environ()).
// Secret-backed env vars of the template are not resolved: a task sees
// them only when they are set in this environment.
func WithEnv(env []string) Option { return func(c *config) { c.env = env } }

// WithResolver sets the artifact resolver the executor itself reads the
// store with (Rerun's past summaries); the composition root builds it from
// its settings. Default: one built from the task environment's settings
// (WithEnv), as every task builds its own.
func WithResolver(r *artifact.Resolver) Option { return func(c *config) { c.resolver = r } }

// WithUID sets the workflow UID (default: a fresh component.NewRunID); it
// is the run ID when the run-id parameter is empty.
func WithUID(uid string) Option { return func(c *config) { c.uid = uid } }

// WithKillGrace is how long a cancelled task has between SIGTERM and
// SIGKILL (default 10s).
func WithKillGrace(d time.Duration) Option { return func(c *config) { c.killGrace = d } }

// WithMaxRetryWait caps the backoff between retries of a failed step
// (the template's retryStrategy backoff otherwise; 0 keeps it).
func WithMaxRetryWait(d time.Duration) Option { return func(c *config) { c.maxWait = d } }

// StepError is the error of a failed step.
type StepError struct {
	Step     string
	ExitCode int
	// Message is the component's termination message, if any.
	Message string
	// Tail holds the last lines of the step's stderr.
	Tail []string
}

func (e *StepError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %q failed with exit code %d", e.Step, e.ExitCode)
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if len(e.Tail) > 0 {
		fmt.Fprintf(&b, "\nlast lines of its stderr:\n  %s", strings.Join(e.Tail, "\n  "))
	}
	return b.String()
}

// Load reads a WorkflowTemplate from a YAML or JSON file.
func Load(path string) (*wfv1.WorkflowTemplate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading workflow template %q: %w", path, err)
	}
	wt, err := dsl.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("reading workflow template %q: %w", path, err)
	}
	return wt, nil
}

// Run executes a WorkflowTemplate on this machine: every task of its DAG
// entrypoint runs as a local process, independent tasks in parallel. It
// returns the report, and an error (a *StepError for a failed step) when
// the run failed; the report is filled in either case.
func Run(ctx context.Context, tmpl *wfv1.WorkflowTemplate, opts ...Option) (*runs.Report, error) {
	cfg := config{params: map[string]string{}, parallel: DefaultParallel, log: io.Discard,
		now: time.Now, killGrace: 10 * time.Second, tailLines: 20}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.parallel < 1 {
		return nil, fmt.Errorf("running workflow template %q: parallel must be at least 1, not %d", tmpl.Name, cfg.parallel)
	}
	if cfg.env == nil {
		cfg.env = os.Environ()
	}
	if cfg.uid == "" {
		cfg.uid = component.NewRunID(cfg.now())
	}
	ex, err := newExecution(tmpl, &cfg)
	if err != nil {
		return nil, fmt.Errorf("running workflow template %q: %w", tmpl.Name, err)
	}
	if cfg.workDir == "" {
		dir, removed, done, err := newWorkDir("")
		if err != nil {
			return nil, fmt.Errorf("creating work folder: %w", err)
		}
		defer done()
		if removed > 0 {
			fmt.Fprintf(ex.log, "removed %d work folder(s) of runs that were killed (%s%s*)\n", removed, filepath.Join(os.TempDir(), ""), workDirPattern)
		}
		cfg.workDir = dir
	}
	start := time.Now()
	err = ex.run(ctx)
	ex.report.Seconds = time.Since(start).Seconds()
	return ex.report, err
}

type execution struct {
	cfg     *config
	tmpl    *wfv1.WorkflowTemplate
	dag     *wfv1.DAGTemplate
	tasks   []wfv1.DAGTask
	deps    map[string][]string
	globals map[string]string
	report  *runs.Report
	steps   map[string]*runs.StepReport
	log     *prefixLog

	mu sync.Mutex // guards report step fields written by task goroutines

	// argsHook, when set, adjusts a task's resolved arguments (Rerun).
	argsHook func(t wfv1.DAGTask, tmpl *wfv1.Template, args wfv1.Arguments) (wfv1.Arguments, error)
}

func newExecution(tmpl *wfv1.WorkflowTemplate, cfg *config) (*execution, error) {
	entry := templateByName(tmpl, tmpl.Spec.Entrypoint)
	if entry == nil {
		return nil, fmt.Errorf("entrypoint template %q not found", tmpl.Spec.Entrypoint)
	}
	if entry.DAG == nil {
		return nil, fmt.Errorf("entrypoint template %q is not a DAG (only DAG entrypoints run locally)", entry.Name)
	}
	params := map[string]string{}
	declared := map[string]wfv1.Parameter{}
	for _, p := range tmpl.Spec.Arguments.Parameters {
		declared[p.Name] = p
		if p.Value != nil {
			params[p.Name] = p.Value.String()
		}
	}
	for _, k := range slices.Sorted(maps.Keys(cfg.params)) {
		p, ok := declared[k]
		if !ok {
			return nil, fmt.Errorf("unknown parameter %q (declared: %s)", k, strings.Join(slices.Sorted(maps.Keys(declared)), ", "))
		}
		v := cfg.params[k]
		if len(p.Enum) > 0 && !slices.ContainsFunc(p.Enum, func(e wfv1.AnyString) bool { return e.String() == v }) {
			var vals []string
			for _, e := range p.Enum {
				vals = append(vals, e.String())
			}
			return nil, fmt.Errorf("parameter %q: %q is not one of %s", k, v, strings.Join(vals, ", "))
		}
		params[k] = v
	}
	for _, p := range tmpl.Spec.Arguments.Parameters {
		if _, ok := params[p.Name]; !ok {
			return nil, fmt.Errorf("parameter %q has no value: pass it", p.Name)
		}
	}
	// Like Argo's generateName: the template name and a short suffix.
	suffix := strings.ToLower(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, cfg.uid))
	name := tmpl.Name + "-" + suffix[max(0, len(suffix)-5):]
	globals := map[string]string{
		"workflow.name":      name,
		"workflow.uid":       cfg.uid,
		"workflow.namespace": "local",
	}
	for k, v := range params {
		globals["workflow.parameters."+k] = v
	}
	if b, err := json.Marshal(tmpl.Spec.Arguments.Parameters); err == nil {
		globals["workflow.parameters"] = string(b)
		globals["workflow.parameters.json"] = string(b)
	}
	runID := params[dsl.RunIDParam]
	if runID == "" {
		runID = cfg.uid
	}
	ex := &execution{
		cfg: cfg, tmpl: tmpl, dag: entry.DAG, tasks: entry.DAG.Tasks, deps: map[string][]string{},
		globals: globals, steps: map[string]*runs.StepReport{},
		report: &runs.Report{Workflow: name, UID: cfg.uid, RunID: runID, Params: params},
		log:    &prefixLog{w: cfg.log},
	}
	for _, t := range ex.tasks {
		if _, dup := ex.steps[t.Name]; dup {
			return nil, fmt.Errorf("task %q declared twice", t.Name)
		}
		if t.Template == "" || templateByName(tmpl, t.Template) == nil {
			return nil, fmt.Errorf("task %q: template %q not found", t.Name, t.Template)
		}
		if len(t.WithItems) > 0 || t.WithSequence != nil {
			return nil, fmt.Errorf("task %q: loops over withItems or withSequence are not supported locally (withParam is)", t.Name)
		}
		deps, err := taskDeps(t)
		if err != nil {
			return nil, err
		}
		ex.deps[t.Name] = deps
		sr := &runs.StepReport{Name: t.Name, Template: t.Template, Status: runs.Cancelled}
		ex.steps[t.Name] = sr
		ex.report.Steps = append(ex.report.Steps, sr)
	}
	for _, t := range ex.tasks {
		for _, d := range ex.deps[t.Name] {
			if _, ok := ex.steps[d]; !ok {
				return nil, fmt.Errorf("task %q depends on unknown task %q", t.Name, d)
			}
		}
	}
	if err := ex.checkAcyclic(); err != nil {
		return nil, err
	}
	return ex, nil
}

// taskDeps reads dependencies, or a depends expression made only of task
// names joined by &&.
func taskDeps(t wfv1.DAGTask) ([]string, error) {
	if t.Depends == "" {
		return t.Dependencies, nil
	}
	if len(t.Dependencies) > 0 {
		return nil, fmt.Errorf("task %q: both dependencies and depends", t.Name)
	}
	var deps []string
	for _, part := range strings.Split(t.Depends, "&&") {
		part = strings.TrimSpace(part)
		if part == "" || strings.ContainsAny(part, "|!().") {
			return nil, fmt.Errorf("task %q: depends %q: only task names joined by && run locally", t.Name, t.Depends)
		}
		deps = append(deps, part)
	}
	return deps, nil
}

func (ex *execution) checkAcyclic() error {
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(n string, path []string) error
	visit = func(n string, path []string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("dependency cycle: %s", strings.Join(append(path, n), " -> "))
		case 2:
			return nil
		}
		state[n] = 1
		for _, d := range ex.deps[n] {
			if err := visit(d, append(path, n)); err != nil {
				return err
			}
		}
		state[n] = 2
		return nil
	}
	for _, t := range ex.tasks {
		if err := visit(t.Name, nil); err != nil {
			return err
		}
	}
	return nil
}

type outcome struct {
	task string
	err  error
}

// run schedules the DAG: a task starts when all its dependencies are done
// and a slot is free, in declaration order among the ready ones.
func (ex *execution) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := map[string]bool{}
	started := map[string]bool{}
	running := 0
	results := make(chan outcome)
	var firstErr error
	for {
		for progress := true; progress && firstErr == nil && ctx.Err() == nil; {
			progress = false
			for _, t := range ex.tasks {
				if started[t.Name] || running >= ex.cfg.parallel || !ex.ready(t.Name, done) {
					continue
				}
				started[t.Name] = true
				skip, why, err := ex.evalWhen(t)
				if err != nil {
					ex.setStep(t.Name, func(s *runs.StepReport) { s.Status, s.Message = runs.Failed, err.Error() })
					firstErr = fmt.Errorf("task %q: %w", t.Name, err)
					break
				}
				if skip {
					ex.setStep(t.Name, func(s *runs.StepReport) { s.Status, s.Message = runs.Skipped, why })
					fmt.Fprintf(ex.log, "[%s] skipped: %s\n", t.Name, why)
					done[t.Name] = true
					progress = true // its dependents may be ready now
					continue
				}
				running++
				go func(t wfv1.DAGTask) {
					results <- outcome{t.Name, ex.runTask(ctx, t)}
				}(t)
			}
		}
		if running == 0 {
			break
		}
		o := <-results
		running--
		done[o.task] = true
		if o.err != nil && firstErr == nil {
			firstErr = o.err
			cancel() // stop the other tasks
		}
	}
	if firstErr == nil && ctx.Err() != nil {
		firstErr = fmt.Errorf("running workflow %q: %w", ex.report.Workflow, context.Cause(ctx))
	}
	if firstErr == nil {
		firstErr = ex.assess()
	}
	for _, s := range ex.report.Steps {
		if s.Status == runs.Cancelled && s.Message == "" {
			s.Message = "not run"
		}
	}
	return firstErr
}

// assess decides the phase of a DAG whose tasks all ended, as Argo's
// controller does (assessDAGPhase, workflow/controller/dag.go): each last
// task (no task depends on it) takes its own phase when it ran, and when it
// was skipped the phase of its branch: Failed when a task above it failed,
// even one that continues on failure. A last task in a failed branch fails
// the workflow unless it continues on failure itself. So a failed gate
// (continueOn failed) whose export steps are skipped fails the run, as the
// same workflow fails on Argo, with the gate's exit code and message.
func (ex *execution) assess() error {
	isDep := map[string]bool{}
	for _, ds := range ex.deps {
		for _, d := range ds {
			isDep[d] = true
		}
	}
	memo := map[string]string{}
	// failedAbove is the failed task that decides name's branch phase, or "".
	var failedAbove func(name string) string
	failedAbove = func(name string) string {
		if v, ok := memo[name]; ok {
			return v
		}
		memo[name] = ""
		v := ""
		switch s := ex.steps[name]; {
		case s != nil && s.Status == runs.Succeeded:
		case s != nil && s.Status == runs.Failed:
			v = name
		default:
			for _, d := range ex.deps[name] {
				if f := failedAbove(d); f != "" {
					v = f
					break
				}
			}
		}
		memo[name] = v
		return v
	}
	for _, t := range ex.tasks {
		if isDep[t.Name] || (t.ContinueOn != nil && t.ContinueOn.Failed) {
			continue
		}
		f := failedAbove(t.Name)
		if f == "" {
			continue
		}
		s := ex.steps[f]
		msg := strings.TrimPrefix(firstLine(s.Message), fmt.Sprintf("step %q failed with exit code %d: ", f, s.ExitCode))
		if f != t.Name {
			msg = fmt.Sprintf("%s (it may fail without stopping the run, but %q after it was skipped, and a skipped last step takes its failed parent's phase: the workflow fails, as on Argo)", msg, t.Name)
		}
		return &StepError{Step: f, ExitCode: s.ExitCode, Message: msg}
	}
	return nil
}

func (ex *execution) ready(task string, done map[string]bool) bool {
	for _, d := range ex.deps[task] {
		if !done[d] {
			return false
		}
	}
	return true
}

func (ex *execution) setStep(name string, f func(*runs.StepReport)) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	f(ex.steps[name])
}

// scope is the substitution map of a task: globals plus the outputs of the
// tasks that have finished.
func (ex *execution) scope() map[string]any {
	m := map[string]any{}
	for k, v := range ex.globals {
		m[k] = v
	}
	ex.mu.Lock()
	defer ex.mu.Unlock()
	for _, s := range ex.report.Steps {
		if s.Status == runs.Succeeded || s.Status == runs.Failed {
			m["tasks."+s.Name+".status"] = statusPhase(s.Status)
			m["tasks."+s.Name+".exitCode"] = fmt.Sprint(s.ExitCode)
		}
		if s.Status == runs.Skipped {
			m["tasks."+s.Name+".status"] = "Skipped"
		}
		for k, v := range s.Outputs {
			m["tasks."+s.Name+".outputs.parameters."+k] = v
		}
	}
	return m
}

func statusPhase(s runs.Status) string {
	if s == runs.Succeeded {
		return "Succeeded"
	}
	return "Failed"
}

// substitute replaces {{...}} placeholders (Argo's own template code, so
// expressions behave as on a cluster) in a JSON-marshalable value.
func substitute[T any](v T, scope map[string]any) (T, error) {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		return out, err
	}
	s, err := argotemplate.Replace(string(b), scope, false)
	if err != nil {
		return out, err
	}
	err = json.Unmarshal([]byte(s), &out)
	return out, err
}

func (ex *execution) evalWhen(t wfv1.DAGTask) (skip bool, why string, err error) {
	if t.When == "" {
		return false, "", nil
	}
	w, err := substitute(t.When, ex.scope())
	if err != nil {
		return false, "", fmt.Errorf("resolving when %q: %w", t.When, err)
	}
	ok, err := evalCondition(w)
	if err != nil {
		return false, "", fmt.Errorf("evaluating when %q: %w", t.When, err)
	}
	if ok {
		return false, "", nil
	}
	return true, fmt.Sprintf("when %q is false (%s)", t.When, w), nil
}

func templateByName(tmpl *wfv1.WorkflowTemplate, name string) *wfv1.Template {
	for i := range tmpl.Spec.Templates {
		if tmpl.Spec.Templates[i].Name == name {
			return &tmpl.Spec.Templates[i]
		}
	}
	return nil
}

// taskDir is the work folder of one task attempt.
func (ex *execution) taskDir(task string, attempt int) (string, error) {
	dir := filepath.Join(ex.cfg.workDir, task, fmt.Sprintf("attempt-%d", attempt))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating task folder %q: %w", dir, err)
	}
	return dir, nil
}

var errNoBinary = errors.New("binary not found")
