package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/tweetflow/tweetflow/pipelines/runs"
)

// runFanOut runs a withParam task: one child task per item of the JSON
// list, up to the parallel limit at once, each reported as <task>(<i>).
// The task succeeds when every child does; the first failure stops the
// children not yet started.
func (ex *execution) runFanOut(ctx context.Context, t wfv1.DAGTask) error {
	start := time.Now()
	fail := func(err error) error {
		ex.setStep(t.Name, func(s *runs.StepReport) { s.Status, s.Message = runs.Failed, err.Error() })
		return fmt.Errorf("task %q: %w", t.Name, err)
	}
	raw, err := substitute(t.WithParam, ex.scope())
	if err != nil {
		return fail(fmt.Errorf("resolving withParam %q: %w", t.WithParam, err))
	}
	var items []any
	if err := json.Unmarshal([]byte(raw), &items); err != nil {
		return fail(fmt.Errorf("withParam %q is not a JSON list: %w", raw, err))
	}
	if len(items) == 0 {
		ex.setStep(t.Name, func(s *runs.StepReport) { s.Status, s.Message = runs.Succeeded, "no items" })
		return nil
	}
	children := make([]wfv1.DAGTask, len(items))
	for i, item := range items {
		c := t
		c.Name = fmt.Sprintf("%s(%d)", t.Name, i)
		c.WithParam = ""
		if c.Arguments, err = withItem(t.Arguments, item); err != nil {
			return fail(err)
		}
		children[i] = c
		sr := &runs.StepReport{Name: c.Name, Template: t.Template, Status: runs.Cancelled}
		ex.mu.Lock()
		ex.steps[c.Name] = sr
		// Children follow their parent in the report.
		at := len(ex.report.Steps)
		for j, s := range ex.report.Steps {
			if s.Name == t.Name {
				at = j + 1 + i
			}
		}
		ex.report.Steps = append(ex.report.Steps[:at], append([]*runs.StepReport{sr}, ex.report.Steps[at:]...)...)
		ex.mu.Unlock()
	}
	fmt.Fprintf(ex.log, "[%s] fanning out over %d items, %d at once\n", t.Name, len(items), ex.cfg.parallel)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, ex.cfg.parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, c := range children {
		select {
		case sem <- struct{}{}:
		case <-cctx.Done():
		}
		if cctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(c wfv1.DAGTask) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := ex.runTask(cctx, c); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				cancel()
			}
		}(c)
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	if len(errs) > 0 {
		ex.setStep(t.Name, func(s *runs.StepReport) {
			s.Status, s.Seconds, s.Message = runs.Failed, secs, fmt.Sprintf("%d of %d items failed", len(errs), len(items))
		})
		return errs[0]
	}
	if ctx.Err() != nil {
		return nil // cancelled because of another task
	}
	ex.setStep(t.Name, func(s *runs.StepReport) {
		s.Status, s.Seconds, s.Message, s.Attempts = runs.Succeeded, secs, fmt.Sprintf("%d items", len(items)), 1
	})
	fmt.Fprintf(ex.log, "[%s] %d items succeeded in %.1fs\n", t.Name, len(items), secs)
	return nil
}

// withItem substitutes {{item}} and {{item.<key>}} in the arguments.
func withItem(args wfv1.Arguments, item any) (wfv1.Arguments, error) {
	b, err := json.Marshal(args)
	if err != nil {
		return args, err
	}
	s := string(b)
	esc := func(v any) string {
		str, ok := v.(string)
		if !ok {
			j, _ := json.Marshal(v)
			str = string(j)
		}
		q, _ := json.Marshal(str)
		return string(q[1 : len(q)-1])
	}
	if m, ok := item.(map[string]any); ok {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s = strings.ReplaceAll(s, "{{item."+k+"}}", esc(m[k]))
		}
	}
	s = strings.ReplaceAll(s, "{{item}}", esc(item))
	if i := strings.Index(s, "{{item"); i >= 0 {
		return args, errors.New("unresolved item reference in " + s[i:min(len(s), i+40)])
	}
	var out wfv1.Arguments
	err = json.Unmarshal([]byte(s), &out)
	return out, err
}
