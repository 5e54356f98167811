package training_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-workflows/v3/util/expr/argoexpr"
	"github.com/argoproj/argo-workflows/v3/util/expr/env"
	apiv1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
	"github.com/tweetflow/tweetflow/pipelines/run"
	"github.com/tweetflow/tweetflow/pipelines/runs"
	"github.com/tweetflow/tweetflow/pipelines/training"
)

// Every component template of the checked-in file has resources, the
// hardened security context, a writable /tmp, a deadline and a retry
// strategy that never retries a failed gate.
func TestEveryStepHasProductionSettings(t *testing.T) {
	wt := load(t)
	seen := 0
	for _, tp := range wt.Spec.Templates {
		if tp.Container == nil {
			continue
		}
		seen++
		c := tp.Container
		r := c.Resources
		if r.Requests.Cpu().IsZero() || r.Requests.Memory().IsZero() || r.Limits.Cpu().IsZero() || r.Limits.Memory().IsZero() {
			t.Errorf("%s: resources %+v, want CPU and memory requests and limits", tp.Name, r)
		}
		if want, ok := training.Production[tp.Name]; ok && r.Requests.Memory().String() != want.Resources.Memory {
			t.Errorf("%s: memory request %s, want %s from the production table", tp.Name, r.Requests.Memory(), want.Resources.Memory)
		}
		sc := c.SecurityContext
		if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65532 ||
			sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" ||
			sc.SeccompProfile == nil || sc.SeccompProfile.Type != apiv1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: security context %+v", tp.Name, sc)
		}
		mounted := false
		for _, m := range c.VolumeMounts {
			for _, v := range tp.Volumes {
				mounted = mounted || (m.MountPath == dsl.ScratchDir && m.Name == v.Name && v.EmptyDir != nil)
			}
		}
		if !mounted || !strings.HasPrefix(dsl.ResultsDir, dsl.ScratchDir+"/") {
			t.Errorf("%s: no writable emptyDir at %s for the results (%s) under the read-only root", tp.Name, dsl.ScratchDir, dsl.ResultsDir)
		}
		if c.TerminationMessagePolicy != apiv1.TerminationMessageFallbackToLogsOnError {
			t.Errorf("%s: termination message policy %q", tp.Name, c.TerminationMessagePolicy)
		}
		if d := tp.ActiveDeadlineSeconds; d == nil || d.Type != intstr.Int || d.IntValue() <= 0 {
			t.Errorf("%s: activeDeadlineSeconds %v", tp.Name, d)
		}
		rs := tp.RetryStrategy
		if rs == nil || rs.Limit == nil || rs.Limit.IntValue() < 1 || rs.Backoff == nil || rs.Backoff.Factor.IntValue() < 2 {
			t.Fatalf("%s: retry strategy %+v, want retries with exponential backoff", tp.Name, rs)
		}
		for code, want := range map[string]bool{"1": true, "2": false, "3": false, "-1": true} {
			got, err := argoexpr.EvalBool(rs.Expression, env.GetFuncMap(map[string]any{
				"lastRetry.exitCode": code, "lastRetry.status": "Failed", "lastRetry.duration": "1", "lastRetry.message": ""}))
			if err != nil || got != want {
				t.Errorf("%s: retry on exit %s = %v (%v), want %v", tp.Name, code, got, err, want)
			}
		}
	}
	if seen != len(stages.All)+2 {
		t.Errorf("%d container templates, want %d (the components, fan-out plan and gather)", seen, len(stages.All)+2)
	}
	gate := 0
	for _, tp := range wt.Spec.Templates {
		if tp.Name != stages.EvaluateGate.Name {
			continue
		}
		for _, o := range tp.Outputs.Parameters {
			if o.GlobalName == "evaluate-gate-"+o.Name {
				gate++
			}
		}
	}
	if gate != len(stages.EvaluateGate.Results) {
		t.Errorf("%d of the gate's results are workflow outputs, want all %d", gate, len(stages.EvaluateGate.Results))
	}
}

// The local executor applies the checked-in file's retry strategies: a
// transient failure is retried, a deadline kills each attempt (here the
// clean template's deadline is shortened), and a failed gate is not retried
// (TestLocalRunOfTheTemplate/fail checks its single attempt).
func TestLocalRunRetriesAndDeadlinesOfTheTemplate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a helper binary")
	}
	bin := buildStageFake(t)
	dir := t.TempDir()
	params := func(id string) run.Option {
		// Without the step cache: the second run would restore clean.
		return run.WithParams(map[string]string{"store": filepath.Join(dir, "store"), "run-id": id, "cache": "false", "sources": demoSources})
	}
	var log strings.Builder
	env := append(os.Environ(), "STAGEFAKE_FLAKY=clean", "STAGEFAKE_DIR="+dir)
	rep, err := run.Run(context.Background(), load(t), run.WithBinDir(bin), run.WithEnv(env), run.WithLog(&log),
		run.WithMaxRetryWait(10*time.Millisecond), params("flaky"))
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	if s := rep.Step("clean"); s.Status != runs.Succeeded || s.Attempts != 2 {
		t.Errorf("flaky clean: %s after %d attempts, want succeeded after 2", s.Status, s.Attempts)
	}
	if !strings.Contains(log.String(), "[clean] attempt 1 failed (exit code 1); retrying") {
		t.Errorf("the retry is not logged:\n%s", log.String())
	}

	wt := load(t)
	limit := 0
	for i := range wt.Spec.Templates {
		if tp := &wt.Spec.Templates[i]; tp.Name == stages.Clean.Name {
			one := intstr.FromInt32(1)
			tp.ActiveDeadlineSeconds = &one
			limit = tp.RetryStrategy.Limit.IntValue()
		}
	}
	env = append(os.Environ(), "STAGEFAKE_SLEEP=clean")
	rep, err = run.Run(context.Background(), wt, run.WithBinDir(bin), run.WithEnv(env), run.WithLog(&log),
		run.WithMaxRetryWait(10*time.Millisecond), run.WithKillGrace(time.Second), params("slow"))
	var se *run.StepError
	if err == nil || !errorsAs(err, &se) || se.Step != "clean" || !strings.Contains(se.Message, "deadline of 1s exceeded") {
		t.Fatalf("want clean killed by its deadline, got %v", err)
	}
	if s := rep.Step("clean"); s.Status != runs.Failed || s.Attempts != limit+1 {
		t.Errorf("clean: %s after %d attempts, want failed after %d", s.Status, s.Attempts, limit+1)
	}
	if s := rep.Step("balance-split"); s.Status != runs.Cancelled {
		t.Errorf("balance-split after a failed clean: %s", s.Status)
	}
}
