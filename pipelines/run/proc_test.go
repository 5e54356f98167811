//go:build linux

package run

import (
	"context"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
	"github.com/tweetflow/tweetflow/pipelines/run/internal/fake"
)

// alive reports whether process pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z"
}

func waitFor(t *testing.T, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func stagingKeys(t *testing.T, loc artifact.Location) []string {
	t.Helper()
	objs, err := loc.Store.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		if strings.Contains(o.Key, "/_staging/") {
			out = append(out, o.Key)
		}
	}
	return out
}

// TestKilledExecutorLeavesNothing kills `tweetflow run` (SIGKILL: no
// cleanup of its own) while a step has staged its output and is still
// running: the step must die with it, and the next run with the same run ID
// must remove the killed run's work folder and the step's staging files,
// take over the step (its lease's holder is dead) and publish it.
func TestKilledExecutorLeavesNothing(t *testing.T) {
	h := newHarness(t)
	p := dsl.New("killed", dsl.WithDescription("test"))
	src := p.Step(fakeSrc, dsl.Set("rows", "3"))
	p.Step(fakeStep, dsl.Named("next"), dsl.In("in", src.Out("data")))
	b, err := dsl.Marshal(h.template(p))
	if err != nil {
		t.Fatal(err)
	}
	tmplFile := filepath.Join(h.dir, "template.yaml")
	pids := filepath.Join(h.dir, "pids")
	tmp := filepath.Join(h.dir, "tmp")
	for _, d := range []string{pids, tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(tmplFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	store, loc := h.fs()
	tweetflow := func(hold string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(binDir, "tweetflow"), "run", "--template", tmplFile, "--bin", binDir,
			"--store", store, "--run-id", "r1", "--quiet")
		cmd.Env = append(os.Environ(), "TMPDIR="+tmp, fake.EventsEnv+"="+h.events, fake.PIDsEnv+"="+pids, fake.HoldEnv+"="+hold)
		return cmd
	}

	parent := tweetflow("10m")
	var out strings.Builder
	parent.Stdout, parent.Stderr = &out, &out
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(pids, "fake-src.pid")
	waitFor(t, "the step to stage its output", 2*time.Minute, func() bool {
		_, err := os.Stat(pidFile)
		return err == nil && len(stagingKeys(t, loc)) > 0
	})
	pb, _ := os.ReadFile(pidFile)
	child, err := strconv.Atoi(string(pb))
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = parent.Wait()
	// Before the fix the step ran on for its 10 minutes, reparented to init.
	waitFor(t, "the step (pid "+strconv.Itoa(child)+") to die with tweetflow run", 10*time.Second, func() bool { return !alive(child) })
	left, _ := filepath.Glob(filepath.Join(tmp, workDirPattern+"*"))
	if len(left) != 1 {
		t.Fatalf("work folders after the kill: %q, want the killed run's", left)
	}
	if got := stagingKeys(t, loc); len(got) == 0 {
		t.Fatal("the killed step left no staging files: the test did not kill it mid-write")
	}

	rerun := tweetflow("0s")
	if b, err := rerun.CombinedOutput(); err != nil {
		t.Fatalf("rerun: %v\n%s", err, b)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, workDirPattern+"*")); len(left) != 0 {
		t.Errorf("work folders after the rerun: %q, want none", left)
	}
	if got := stagingKeys(t, loc); len(got) != 0 {
		t.Errorf("staging files after the rerun: %q, want none", got)
	}
	for _, step := range []string{"fake-src", "next"} {
		if _, err := artifact.ReadManifest(context.Background(), loc.Store, path.Join(loc.Key, artifact.OutputKey("r1", step, "data"))); err != nil {
			t.Errorf("step %s after the rerun: %v", step, err)
		}
		info, ok, err := artifact.ReadLease(context.Background(), loc.Store, path.Join(loc.Key, artifact.LeaseKey("r1", step)))
		if err != nil || !ok || !info.Released {
			t.Errorf("lease of step %s after the rerun: %+v, %v, %v; want released", step, info, ok, err)
		}
	}
}

// TestCancelKillsTheStepsGroup cancels a run whose step started a process
// of its own: the whole group goes, not just the step.
func TestCancelKillsTheStepsGroup(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "fake-src")
	pidFile := filepath.Join(dir, "grandchild.pid")
	// A "component" that starts a long sleep and waits for it, ignoring SIGTERM.
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntrap '' TERM\nsleep 600 &\necho $! > "+pidFile+"\nwait\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	p := dsl.New("group", dsl.WithDescription("test"))
	p.Step(fakeSrc)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, h.template(p), h.options(WithBinDir(dir), WithKillGrace(500*time.Millisecond))...)
		done <- err
	}()
	waitFor(t, "the grandchild to start", time.Minute, func() bool {
		b, err := os.ReadFile(pidFile)
		return err == nil && strings.TrimSpace(string(b)) != ""
	})
	b, _ := os.ReadFile(pidFile)
	grandchild, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	cancel()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after cancel")
	}
	waitFor(t, "the step's own child to be killed", 10*time.Second, func() bool { return !alive(grandchild) })
}
