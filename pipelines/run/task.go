package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/Knetic/govaluate"
	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/util/expr/argoexpr"
	"github.com/argoproj/argo-workflows/v3/util/expr/env"
	apiv1 "k8s.io/api/core/v1"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
	"github.com/tweetflow/tweetflow/pipelines/runs"
)

// runTask runs one task to the end (with retries) and records it. It
// returns an error only when the task failed and the workflow must stop.
func (ex *execution) runTask(ctx context.Context, t wfv1.DAGTask) error {
	if t.WithParam != "" {
		return ex.runFanOut(ctx, t)
	}
	start := time.Now()
	tmpl := templateByName(ex.tmpl, t.Template)
	res, err := ex.attempts(ctx, t, tmpl)
	secs := time.Since(start).Seconds()
	ex.setStep(t.Name, func(s *runs.StepReport) {
		s.Seconds = secs
		s.Attempts = res.attempts
		s.ExitCode = res.exitCode
		s.Outputs = res.outputs
		s.Summary = res.summary
		s.Cached = res.summary != nil && res.summary.Cache == component.CacheHit
		switch {
		case err == nil:
			s.Status = runs.Succeeded
		case ctx.Err() != nil && res.exitCode != 0 && !res.deadline:
			s.Status, s.Message = runs.Cancelled, "stopped: another step failed"
		default:
			s.Status, s.Message = runs.Failed, err.Error()
		}
	})
	if err == nil {
		fmt.Fprintf(ex.log, "[%s] succeeded in %.1fs\n", t.Name, secs)
		return nil
	}
	if ctx.Err() != nil && !res.deadline {
		return nil // cancelled because of another failure: not the cause
	}
	if t.ContinueOn != nil && t.ContinueOn.Failed {
		fmt.Fprintf(ex.log, "[%s] failed (exit code %d), continuing: %v\n", t.Name, res.exitCode, firstLine(err.Error()))
		return nil
	}
	return err
}

type attemptResult struct {
	attempts int
	exitCode int
	deadline bool
	outputs  map[string]string
	summary  *component.Summary
}

// attempts runs the task, retrying per the template's retryStrategy.
func (ex *execution) attempts(ctx context.Context, t wfv1.DAGTask, tmpl *wfv1.Template) (attemptResult, error) {
	var res attemptResult
	if tmpl.Container == nil {
		return res, fmt.Errorf("task %q: template %q has no container (only container templates run locally)", t.Name, tmpl.Name)
	}
	scope := ex.scope()
	args, err := substitute(t.Arguments, scope)
	if err != nil {
		return res, fmt.Errorf("task %q: resolving arguments: %w", t.Name, err)
	}
	if ex.argsHook != nil {
		if args, err = ex.argsHook(t, tmpl, args); err != nil {
			return res, fmt.Errorf("task %q: %w", t.Name, err)
		}
	}
	for _, p := range tmpl.Inputs.Parameters {
		v, ok := "", false
		for _, a := range args.Parameters {
			if a.Name == p.Name && a.Value != nil {
				v, ok = a.Value.String(), true
			}
		}
		if !ok && p.Default != nil {
			v, ok = p.Default.String(), true
		}
		if !ok && p.Value != nil {
			v, ok = p.Value.String(), true
		}
		if !ok {
			return res, fmt.Errorf("task %q: input parameter %q of template %q has no value", t.Name, p.Name, tmpl.Name)
		}
		scope["inputs.parameters."+p.Name] = v
	}
	limit, backoff, factor, maxWait := retryPlan(tmpl.RetryStrategy)
	for attempt := 0; ; attempt++ {
		res.attempts = attempt + 1
		var err error
		began := time.Now()
		res.exitCode, res.deadline, res.outputs, res.summary, err = ex.attempt(ctx, t, tmpl, scope, attempt)
		if err == nil || attempt >= limit || ctx.Err() != nil || errors.Is(err, errNoBinary) {
			return res, err // a missing binary is a setup error: retrying cannot help
		}
		retry, rerr := shouldRetry(tmpl.RetryStrategy, res.exitCode, attempt, time.Since(began))
		if rerr != nil {
			return res, errors.Join(err, rerr)
		}
		if !retry {
			return res, err
		}
		wait := time.Duration(float64(backoff) * math.Pow(factor, float64(attempt)))
		if maxWait > 0 && wait > maxWait {
			wait = maxWait
		}
		if m := ex.cfg.maxWait; m > 0 && wait > m {
			wait = m
		}
		fmt.Fprintf(ex.log, "[%s] attempt %d failed (exit code %d); retrying in %s\n", t.Name, attempt+1, res.exitCode, wait)
		select {
		case <-ctx.Done():
			return res, err
		case <-time.After(wait):
		}
	}
}

func retryPlan(rs *wfv1.RetryStrategy) (limit int, backoff time.Duration, factor float64, maxWait time.Duration) {
	if rs == nil {
		return 0, 0, 1, 0
	}
	if rs.Limit != nil {
		limit = rs.Limit.IntValue()
	}
	factor = 1
	if b := rs.Backoff; b != nil {
		backoff, _ = time.ParseDuration(b.Duration)
		if n, err := strconv.Atoi(b.Duration); err == nil {
			backoff = time.Duration(n) * time.Second
		}
		if b.Factor != nil {
			factor = float64(b.Factor.IntValue())
		}
		maxWait, _ = time.ParseDuration(b.Cap)
	}
	return limit, backoff, factor, maxWait
}

// shouldRetry evaluates the retry expression the way Argo's controller
// does (its function map, with asInt and asFloat, over lastRetry.exitCode,
// lastRetry.status, lastRetry.duration and retries); without one every
// failure is retried. A local process that ran and failed is "Failed"; one
// that could not start (exit code -1) is an "Error".
func shouldRetry(rs *wfv1.RetryStrategy, exitCode, retries int, took time.Duration) (bool, error) {
	if rs == nil || rs.Expression == "" {
		return true, nil
	}
	status := "Failed"
	if exitCode == -1 {
		status = "Error"
	}
	scope := env.GetFuncMap(map[string]any{
		"lastRetry.exitCode": strconv.Itoa(exitCode),
		"lastRetry.status":   status,
		"lastRetry.duration": fmt.Sprint(took.Seconds()),
		"lastRetry.message":  "",
		"retries":            strconv.Itoa(retries),
	})
	ok, err := argoexpr.EvalBool(rs.Expression, scope)
	if err != nil {
		return false, fmt.Errorf("evaluating retry expression %q: %w", rs.Expression, err)
	}
	return ok, nil
}

// attempt runs the container once as a local process.
func (ex *execution) attempt(ctx context.Context, t wfv1.DAGTask, tmpl *wfv1.Template, scope map[string]any, n int) (code int, deadline bool, outputs map[string]string, summary *component.Summary, err error) {
	dir, err := ex.taskDir(t.Name, n)
	if err != nil {
		return -1, false, nil, nil, err
	}
	c, err := substitute(*tmpl.Container, scope)
	if err != nil {
		return -1, false, nil, nil, fmt.Errorf("task %q: resolving container: %w", t.Name, err)
	}
	// Container paths: each emptyDir mount becomes a local folder of the
	// task, and so does each folder of a valueFrom.path outside them.
	pathMap := map[string]string{}
	emptyDirs := map[string]bool{}
	for _, v := range append(append([]apiv1.Volume{}, ex.tmpl.Spec.Volumes...), tmpl.Volumes...) {
		if v.EmptyDir != nil {
			emptyDirs[v.Name] = true
		}
	}
	for _, m := range c.VolumeMounts {
		if emptyDirs[m.Name] {
			local := filepath.Join(dir, "volume-"+m.Name)
			if err := os.MkdirAll(local, 0o755); err != nil {
				return -1, false, nil, nil, err
			}
			pathMap[path.Clean(m.MountPath)] = local
		}
	}
	var outs []wfv1.Parameter
	for _, p := range tmpl.Outputs.Parameters {
		if p.ValueFrom == nil || p.ValueFrom.Path == "" {
			continue
		}
		d := path.Dir(p.ValueFrom.Path)
		if mapPaths(d, pathMap) == d {
			pathMap[d] = filepath.Join(dir, fmt.Sprintf("results-%d", len(pathMap)))
		}
		outs = append(outs, p)
	}
	argv := append(append([]string{}, c.Command...), c.Args...)
	if len(argv) == 0 {
		return -1, false, nil, nil, fmt.Errorf("task %q: container has no command", t.Name)
	}
	for i := range argv {
		argv[i] = mapPaths(argv[i], pathMap)
	}
	for i := range c.Env {
		c.Env[i].Value = mapPaths(c.Env[i].Value, pathMap)
	}
	bin, err := ex.binary(argv[0])
	if err != nil {
		return -1, false, nil, nil, fmt.Errorf("task %q: %w", t.Name, err)
	}
	summaryFile := filepath.Join(dir, "summary.json")
	termFile := filepath.Join(dir, "termination-log")
	if err := os.WriteFile(termFile, nil, 0o644); err != nil {
		return -1, false, nil, nil, err
	}

	actx := ctx
	if s := tmpl.ActiveDeadlineSeconds; s != nil && s.IntValue() > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, time.Duration(s.IntValue())*time.Second)
		defer cancel()
	}
	cmd := exec.CommandContext(actx, bin, argv[1:]...)
	// Its own process group, killed with the executor (Linux): cancelling
	// stops the whole group, and a killed executor orphans nothing.
	cmd.SysProcAttr = startInGroup()
	cmd.Cancel = func() error { return signalGroup(cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = ex.cfg.killGrace
	cmd.Dir = c.WorkingDir
	cmd.Env = ex.taskEnv(c.Env, summaryFile, termFile)
	tail := &tailBuffer{max: ex.cfg.tailLines}
	cmd.Stdout = ex.log.writer(t.Name, nil)
	cmd.Stderr = ex.log.writer(t.Name, tail)
	if n == 0 {
		fmt.Fprintf(ex.log, "[%s] %s\n", t.Name, strings.Join(argv, " "))
	}
	runErr := cmd.Run()
	if cmd.Process != nil {
		// Whatever the step started and left behind goes with it.
		_ = signalGroup(cmd.Process.Pid, syscall.SIGKILL)
	}
	ex.log.flush(cmd.Stdout, cmd.Stderr)

	code = 0
	if runErr != nil {
		code = -1
		var xe *exec.ExitError
		if errors.As(runErr, &xe) {
			code = xe.ExitCode()
		}
	}
	deadline = errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
	summary = readSummary(summaryFile)
	outputs, oerr := readOutputs(outs, pathMap)
	if runErr == nil && oerr != nil {
		return code, false, outputs, summary, fmt.Errorf("task %q: %w", t.Name, oerr)
	}
	if runErr == nil {
		return 0, false, outputs, summary, nil
	}
	se := &StepError{Step: t.Name, ExitCode: code, Tail: tail.lines()}
	if b, err := os.ReadFile(termFile); err == nil {
		se.Message = strings.TrimSpace(string(b))
	}
	switch {
	case deadline:
		se.Message = strings.TrimSpace(fmt.Sprintf("deadline of %ds exceeded; killed. %s", tmpl.ActiveDeadlineSeconds.IntValue(), se.Message))
	case se.Message == "" && code == -1:
		se.Message = runErr.Error()
	}
	return code, deadline, outputs, summary, se
}

// binary maps command[0] to a binary in the bin folder, or on PATH.
func (ex *execution) binary(name string) (string, error) {
	if ex.cfg.binDir != "" {
		p := filepath.Join(ex.cfg.binDir, filepath.Base(name))
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return filepath.Abs(p)
		}
		// The pipeline's built-in steps run the tweetflow CLI: this one, if
		// that is what is running.
		if exe, err := os.Executable(); err == nil && filepath.Base(name) == dsl.CLI && filepath.Base(exe) == dsl.CLI {
			return exe, nil
		}
		return "", fmt.Errorf("finding binary %q in %q: %w (build the components first)", filepath.Base(name), ex.cfg.binDir, errNoBinary)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("finding binary %q on PATH: %w", name, err)
	}
	return p, nil
}

// taskEnv is the base environment, the template's plain env vars (secret
// references are left to the base environment), and the executor's own:
// summary file, termination log and human-friendly logs.
func (ex *execution) taskEnv(env []apiv1.EnvVar, summaryFile, termFile string) []string {
	out := append([]string{}, ex.cfg.env...)
	has := func(k string) bool {
		for _, kv := range out {
			if strings.HasPrefix(kv, k+"=") {
				return true
			}
		}
		return false
	}
	for _, e := range env {
		if e.ValueFrom == nil {
			out = append(out, e.Name+"="+e.Value)
		}
	}
	out = append(out, "TWEETFLOW_SUMMARY_FILE="+summaryFile, "TWEETFLOW_TERMINATION_LOG="+termFile)
	if !has("TWEETFLOW_LOG_FORMAT") {
		out = append(out, "TWEETFLOW_LOG_FORMAT=text")
	}
	if !has("TWEETFLOW_PROGRESS") {
		out = append(out, "TWEETFLOW_PROGRESS=log")
	}
	return out
}

// mapPaths rewrites container paths (a folder or anything below it) to
// local ones, wherever they appear in an argument (e.g. --dir=/tmp/results)
// at the start or after '=', ',' or ':'. It is one pass, longest folders
// first, so a local path is never rewritten again.
func mapPaths(arg string, m map[string]string) string {
	froms := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(froms, func(a, b string) int { return len(b) - len(a) })
	var b strings.Builder
	for i := 0; i < len(arg); {
		replaced := false
		if i == 0 || arg[i-1] == '=' || arg[i-1] == ',' || arg[i-1] == ':' {
			for _, from := range froms {
				end := i + len(from)
				if strings.HasPrefix(arg[i:], from) && (end == len(arg) || arg[end] == '/') {
					b.WriteString(m[from])
					i = end
					replaced = true
					break
				}
			}
		}
		if !replaced {
			b.WriteByte(arg[i])
			i++
		}
	}
	return b.String()
}

func readOutputs(outs []wfv1.Parameter, pathMap map[string]string) (map[string]string, error) {
	m := map[string]string{}
	var errs []error
	for _, p := range outs {
		local := mapPaths(p.ValueFrom.Path, pathMap)
		b, err := os.ReadFile(local)
		switch {
		case err == nil:
			m[p.Name] = strings.TrimSpace(string(b))
		case p.ValueFrom.Default != nil:
			m[p.Name] = p.ValueFrom.Default.String()
		default:
			errs = append(errs, fmt.Errorf("reading output parameter %q from %q: %w", p.Name, p.ValueFrom.Path, err))
		}
	}
	return m, errors.Join(errs...)
}

func readSummary(p string) *component.Summary {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	var s component.Summary
	if json.Unmarshal(b, &s) != nil {
		return nil
	}
	return &s
}

// evalCondition evaluates a substituted Argo `when` as Argo's controller
// does (workflow/controller/steps.go shouldExecute, v3.7.18): a govaluate
// expression whose bare words are strings, so "passed == true", numeric
// comparisons ("0.93 >= 0.9"), regular expressions ('v1' =~ 'v[0-9]'),
// !, && and || and parentheses all mean on one machine what they mean on
// the cluster; a result that is not a boolean is an error.
func evalCondition(s string) (bool, error) {
	expr, err := govaluate.NewEvaluableExpression(s)
	if err != nil {
		return false, fmt.Errorf("invalid when expression %q: %w (hint: quote the operand)", s, err)
	}
	tokens := expr.Tokens()
	for i, tok := range tokens {
		if tok.Kind == govaluate.VARIABLE {
			tok.Kind = govaluate.STRING
			tokens[i] = tok
		}
	}
	if expr, err = govaluate.NewEvaluableExpressionFromTokens(tokens); err != nil {
		return false, fmt.Errorf("parsing when expression %q: %w", s, err)
	}
	v, err := expr.Evaluate(nil)
	if err != nil {
		return false, fmt.Errorf("evaluating when expression %q: %w", s, err)
	}
	ok, isBool := v.(bool)
	if !isBool {
		return false, fmt.Errorf("when expression %q gives %v, not a boolean", s, v)
	}
	return ok, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// prefixLog writes whole lines, each prefixed with [task], to one writer.
type prefixLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *prefixLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type lineWriter struct {
	l      *prefixLog
	prefix string
	tail   *tailBuffer
	mu     sync.Mutex
	buf    []byte
}

func (l *prefixLog) writer(task string, tail *tailBuffer) io.Writer {
	return &lineWriter{l: l, prefix: "[" + task + "] ", tail: tail}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			break
		}
		w.emit(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) emit(line string) {
	line = strings.TrimRight(line, "\r")
	// Progress bars redraw with \r: keep the last state.
	if i := strings.LastIndexByte(line, '\r'); i >= 0 {
		line = line[i+1:]
	}
	if w.tail != nil {
		w.tail.add(line)
	}
	_, _ = w.l.Write([]byte(w.prefix + line + "\n"))
}

func (l *prefixLog) flush(ws ...io.Writer) {
	for _, w := range ws {
		if lw, ok := w.(*lineWriter); ok {
			lw.mu.Lock()
			if len(lw.buf) > 0 {
				lw.emit(string(lw.buf))
				lw.buf = nil
			}
			lw.mu.Unlock()
		}
	}
}

// tailBuffer keeps the last max lines.
type tailBuffer struct {
	max int
	buf []string
}

func (t *tailBuffer) add(line string) {
	t.buf = append(t.buf, line)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
}

func (t *tailBuffer) lines() []string { return append([]string(nil), t.buf...) }
