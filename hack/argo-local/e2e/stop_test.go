//go:build argo

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/utils/exec"
	"sigs.k8s.io/yaml"
)

// probeImage builds cmd/probe (the kubelet stand-in's test container) and
// writes its OCI layout (with the project's images/build) where the
// kubelet stand-in finds images: image "probe:dev".
func (c *cluster) probeImage(t *testing.T) string {
	t.Helper()
	out := env(t, "ARGO_LOCAL_EXTRA_IMAGES")
	bin := t.TempDir()
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(bin, "probe"), "../cmd/probe")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building cmd/probe: %v\n%s", err, b)
	}
	img := exec.Command("go", "run", "./images/build", "--bin", bin, "--only", "probe", "--version", "dev", "--out", out)
	img.Dir = c.repo
	if b, err := img.CombinedOutput(); err != nil {
		t.Fatalf("images/build of probe: %v\n%s", err, b)
	}
	return "probe:dev"
}

// The probe's argument lists for the stop tests' steps: print "started",
// then wait; on SIGTERM print "terminated" and exit 143 (sleepArgs) or
// ignore it (ignoreArgs); print "done" if the wait ends.
func sleepArgs(seconds int) string {
	return fmt.Sprintf("on-term, say, started, sleep, '%d', say, done", seconds)
}

func ignoreArgs(seconds int) string {
	return fmt.Sprintf("ignore-term, say, started, sleep, '%d', say, done", seconds)
}

// createWorkflow creates the Workflow of the YAML manifest.
func (c *cluster) createWorkflow(t *testing.T, ctx context.Context, manifest string) *wfv1.Workflow {
	t.Helper()
	var wf wfv1.Workflow
	if err := yaml.UnmarshalStrict([]byte(manifest), &wf); err != nil {
		t.Fatalf("workflow manifest: %v\n%s", err, manifest)
	}
	wf.Namespace = c.ns
	created, err := c.wf.ArgoprojV1alpha1().Workflows(c.ns).Create(ctx, &wf, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating workflow %s: %v", wf.GenerateName, err)
	}
	t.Logf("submitted %s", created.Name)
	return created
}

// runningPod waits until the pod of the workflow node whose display name
// is display runs its main container, and returns it.
func (c *cluster) runningPod(t *testing.T, ctx context.Context, wf, display string, timeout time.Duration) *corev1.Pod {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		pods, err := c.kube.CoreV1().Pods(c.ns).List(ctx, metav1.ListOptions{LabelSelector: "workflows.argoproj.io/workflow=" + wf})
		if err != nil {
			t.Fatal(err)
		}
		for i := range pods.Items {
			p := &pods.Items[i]
			name := p.Annotations["workflows.argoproj.io/node-name"]
			if name != display && !strings.HasSuffix(name, "."+display) {
				continue
			}
			for _, s := range p.Status.ContainerStatuses {
				if s.Name == "main" && s.State.Running != nil {
					return p
				}
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	w, err := c.wf.ArgoprojV1alpha1().Workflows(c.ns).Get(ctx, wf, metav1.GetOptions{})
	if err == nil {
		c.dump(t, w)
	}
	t.Fatalf("the main container of %s in %s was not running after %s", display, wf, timeout)
	return nil
}

// mainEnded waits until the main container of the pod has terminated and
// returns its state and when this test saw it.
func (c *cluster) mainEnded(t *testing.T, ctx context.Context, pod string, timeout time.Duration) (*corev1.ContainerStateTerminated, time.Time) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		p, err := c.kube.CoreV1().Pods(c.ns).Get(ctx, pod, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Status.ContainerStatuses {
			if s.Name == "main" && s.State.Terminated != nil {
				return s.State.Terminated, time.Now()
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the main container of pod %s still runs after %s", pod, timeout)
	return nil, time.Time{}
}

// logs reads a container's log through the API server (pods/log, which it
// proxies to the kubelet stand-in).
func (c *cluster) logs(t *testing.T, ctx context.Context, pod, container string, opts *corev1.PodLogOptions) string {
	t.Helper()
	opts.Container = container
	b, err := c.kube.CoreV1().Pods(c.ns).GetLogs(pod, opts).DoRaw(ctx)
	if err != nil {
		t.Fatalf("pods/log of %s/%s: %v", pod, container, err)
	}
	return string(b)
}

// execPod runs cmd in the container through the API server's pods/exec,
// with SPDY (as Argo's controller does) or WebSocket (as kubectl does
// since 1.30; the API server translates it to SPDY for the kubelet).
func (c *cluster) execPod(ctx context.Context, pod, container string, websocket bool, cmd ...string) (string, string, error) {
	req := c.kube.CoreV1().RESTClient().Post().Resource("pods").Namespace(c.ns).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: container, Command: cmd, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	var x remotecommand.Executor
	var err error
	if websocket {
		x, err = remotecommand.NewWebSocketExecutor(c.cfg, "GET", req.URL().String())
	} else {
		x, err = remotecommand.NewSPDYExecutor(c.cfg, "POST", req.URL())
	}
	if err != nil {
		return "", "", err
	}
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	err = x.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr})
	return stdout.String(), stderr.String(), err
}

// TestStopOnArgo stops running steps the ways the real engine does, each
// through the kubelet API's exec (the controller execs `argoexec kill 15 1`
// in every running container of the pod, then `kill 9 1` after the grace
// period): a terminated workflow, a workflow past its
// activeDeadlineSeconds, and a daemon step when its steps end. It also
// checks pods/exec and pods/log through the API server.
func TestStopOnArgo(t *testing.T) {
	c := setup(t)
	ctx := context.Background()
	c.installChart(t, ctx) // the tweetflow-workflow service account and its Role (the wait container's task results)
	// The chart's artifact repository archives every main container's log:
	// without its bucket each wait container, and so each step, fails.
	c.ensureBucket(t, ctx)
	image := c.probeImage(t)
	// step is a template running the probe with args; workflow is a Workflow
	// of the templates (entrypoint main) under the chart's service
	// account, with the extra spec fields of spec (YAML lines).
	step := func(name, args string) string {
		return fmt.Sprintf(`
  - name: %s
    container:
      image: %s
      command: [/usr/local/bin/probe]
      args: [%s]`, name, image, args)
	}
	workflow := func(prefix, spec, templates string) string {
		return fmt.Sprintf(`
metadata: {generateName: %s-}
spec:
  serviceAccountName: tweetflow-workflow
  entrypoint: main%s
  templates:%s`, prefix, spec, templates)
	}

	t.Run("terminate", func(t *testing.T) {
		wf := c.createWorkflow(t, ctx, workflow("stop-terminate", "", step("main", sleepArgs(600))))
		pod := c.runningPod(t, ctx, wf.Name, wf.Name, 5*time.Minute)

		// pods/exec and pods/log through the API server, on the running pod.
		for _, ws := range []bool{false, true} {
			out, errOut, err := c.execPod(ctx, pod.Name, "main", ws, "/usr/local/bin/probe", "say", "hello", "warn", "to stderr", "code", "3")
			var exit utilexec.ExitError
			if !errors.As(err, &exit) || exit.ExitStatus() != 3 || out != "hello\n" || errOut != "to stderr\n" {
				t.Errorf("exec (websocket %v) through the API server: stdout %q stderr %q err %v, want hello, to stderr and exit code 3", ws, out, errOut, err)
			}
		}
		if out, _, err := c.execPod(ctx, pod.Name, "wait", false, "argoexec", "version"); err != nil || !strings.Contains(out, "v3.7.18") {
			t.Errorf("exec argoexec version in the wait container: %q %v", out, err)
		}
		for start := time.Now(); !strings.Contains(c.logs(t, ctx, pod.Name, "main", &corev1.PodLogOptions{}), "started\n"); time.Sleep(200 * time.Millisecond) {
			if time.Since(start) > time.Minute {
				t.Fatalf("main did not log started in a minute")
			}
		}
		// The emissary's "capturing logs" line comes before it.
		tail := int64(1)
		if got := c.logs(t, ctx, pod.Name, "main", &corev1.PodLogOptions{TailLines: &tail}); got != "started\n" {
			t.Errorf("pods/log main tailLines=1 = %q, want started", got)
		}
		follow, err := c.kube.CoreV1().Pods(c.ns).GetLogs(pod.Name, &corev1.PodLogOptions{Container: "main", Follow: true}).Stream(ctx)
		if err != nil {
			t.Fatalf("pods/log follow: %v", err)
		}
		defer follow.Close()
		followed := make(chan string, 1)
		go func() {
			b, _ := io.ReadAll(follow)
			followed <- string(b)
		}()

		// argo terminate: spec.shutdown=Terminate.
		patched := time.Now()
		_, err = c.wf.ArgoprojV1alpha1().Workflows(c.ns).Patch(ctx, wf.Name, types.MergePatchType,
			[]byte(`{"spec":{"shutdown":"Terminate"}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		term, ended := c.mainEnded(t, ctx, pod.Name, 2*time.Minute)
		done := c.wait(t, ctx, wf.Name, 2*time.Minute)
		t.Logf("terminate: patch -> main container ended %.1fs (exit %d), -> workflow %s %.1fs",
			ended.Sub(patched).Seconds(), term.ExitCode, done.Status.Phase, time.Since(patched).Seconds())
		select {
		case got := <-followed:
			// The emissary (main's PID 1) logs around the step's output.
			if !strings.Contains(got, "started\nterminated\n") {
				t.Errorf("pods/log follow of main = %q, want started and terminated, then the end of the stream", got)
			}
		case <-time.After(time.Minute):
			t.Errorf("pods/log follow did not end a minute after main exited")
		}
		if term.ExitCode != 143 {
			t.Errorf("main exited %d, want 143 (the step's SIGTERM handler)", term.ExitCode)
		}
		if ended.Sub(patched) > 30*time.Second {
			t.Errorf("main ended %s after the patch: want well within the 30 s grace period", ended.Sub(patched))
		}
		if done.Status.Phase != wfv1.WorkflowFailed || !strings.Contains(done.Status.Message, "Stopped with strategy 'Terminate'") {
			t.Errorf("workflow %s (%s), want Failed: Stopped with strategy 'Terminate'", done.Status.Phase, done.Status.Message)
		}
		if n := node(t, done, wf.Name); n.Phase != wfv1.NodeFailed {
			t.Errorf("node %s: %s (%s), want Failed", n.DisplayName, n.Phase, n.Message)
		} else {
			t.Logf("node %s: %s (%s)", n.DisplayName, n.Phase, n.Message)
		}
	})

	// A step that ignores SIGTERM: the workflow ends Failed at once, its pod
	// is labelled completed and so leaves the controller's pod informer, and
	// the killContainers action queued for after the grace period finds no
	// pod and execs no `argoexec kill 9 1` (which would not help either: the
	// kernel drops a SIGKILL sent to PID 1, Argo's emissary, from inside
	// its PID namespace). The step runs on until its pod is deleted.
	t.Run("terminate-ignored", func(t *testing.T) {
		const grace = 3
		wf := c.createWorkflow(t, ctx, workflow("stop-ignored",
			fmt.Sprintf("\n  podSpecPatch: '{\"terminationGracePeriodSeconds\": %d}'", grace), step("main", ignoreArgs(600))))
		pod := c.runningPod(t, ctx, wf.Name, wf.Name, 5*time.Minute)
		patched := time.Now()
		if _, err := c.wf.ArgoprojV1alpha1().Workflows(c.ns).Patch(ctx, wf.Name, types.MergePatchType,
			[]byte(`{"spec":{"shutdown":"Terminate"}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		done := c.wait(t, ctx, wf.Name, 2*time.Minute)
		finished := time.Since(patched)
		if done.Status.Phase != wfv1.WorkflowFailed {
			t.Errorf("workflow %s (%s), want Failed", done.Status.Phase, done.Status.Message)
		}
		// Past the grace period the controller's killContainers action
		// would exec `argoexec kill 9 1`: see whether it did (the kubelet
		// stand-in logs every exec) and whether main still runs.
		time.Sleep(time.Until(patched.Add((grace + 5) * time.Second)))
		b, err := os.ReadFile(filepath.Join(filepath.Dir(c.kubelet), "logs", "kubelet.log"))
		if err != nil {
			t.Fatal(err)
		}
		kill9 := strings.Contains(string(b), fmt.Sprintf(`pod %s/%s: exec in main: ["/var/run/argo/argoexec" "kill" "9" "1"]`, c.ns, pod.Name))
		p, err := c.kube.CoreV1().Pods(c.ns).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		running := false
		for _, s := range p.Status.ContainerStatuses {
			running = running || (s.Name == "main" && s.State.Running != nil)
		}
		t.Logf("terminate-ignored: workflow %s seen %.1fs after the patch; %ds after it (grace %ds): kill 9 1 exec'd in main: %v, main still running: %v, pod labelled completed: %q",
			done.Status.Phase, finished.Seconds(), grace+5, grace, kill9, running, p.Labels["workflows.argoproj.io/completed"])
		if !running {
			t.Errorf("main ended although it ignores SIGTERM: Argo v3.7.18 sent no SIGKILL that reached it before; if Argo changed how it kills, update the README")
		}
		// Only the pod's deletion (the kubelet's SIGKILL from outside) ends it.
		grace0 := int64(1)
		if err := c.kube.CoreV1().Pods(c.ns).Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &grace0}); err != nil {
			t.Fatal(err)
		}
		for start := time.Now(); ; time.Sleep(200 * time.Millisecond) {
			if _, err := c.kube.CoreV1().Pods(c.ns).Get(ctx, pod.Name, metav1.GetOptions{}); err != nil {
				t.Logf("pod deleted %.1fs after the delete", time.Since(start).Seconds())
				break
			}
			if time.Since(start) > time.Minute {
				t.Fatalf("pod %s not gone a minute after its deletion", pod.Name)
			}
		}
	})

	t.Run("active-deadline", func(t *testing.T) {
		const deadline = 10
		wf := c.createWorkflow(t, ctx, workflow("stop-deadline",
			fmt.Sprintf("\n  activeDeadlineSeconds: %d", deadline), step("main", sleepArgs(600))))
		pod := c.runningPod(t, ctx, wf.Name, wf.Name, 5*time.Minute)
		created, err := c.wf.ArgoprojV1alpha1().Workflows(c.ns).Get(ctx, wf.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		start := created.Status.StartedAt.Time
		term, ended := c.mainEnded(t, ctx, pod.Name, 3*time.Minute)
		done := c.wait(t, ctx, wf.Name, 3*time.Minute)
		p, err := c.kube.CoreV1().Pods(c.ns).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var podDeadline int64
		if p.Spec.ActiveDeadlineSeconds != nil {
			podDeadline = *p.Spec.ActiveDeadlineSeconds
		}
		log := c.logs(t, ctx, pod.Name, "main", &corev1.PodLogOptions{})
		t.Logf("deadline %ds: workflow started %s; main ended %.1fs after the start (exit %d; pod phase %s reason %q, pod activeDeadlineSeconds %d); workflow %s %.1fs after the start: %s; main's log %q",
			deadline, start.Format(time.RFC3339), ended.Sub(start).Seconds(), term.ExitCode, p.Status.Phase, p.Status.Reason, podDeadline,
			done.Status.Phase, done.Status.FinishedAt.Sub(start).Seconds(), done.Status.Message, log)
		if done.Status.Phase != wfv1.WorkflowFailed {
			t.Errorf("workflow %s (%s), want Failed past its deadline", done.Status.Phase, done.Status.Message)
		}
		if el := ended.Sub(start); el < deadline*time.Second-2*time.Second || el > deadline*time.Second+30*time.Second {
			t.Errorf("main ended %s after the workflow started, want near the %ds deadline", el, deadline)
		}
		if !strings.Contains(log, "terminated") || term.ExitCode != 143 {
			t.Errorf("main: exit %d, log %q: want terminated, exit 143", term.ExitCode, log)
		}
		n := node(t, done, wf.Name)
		t.Logf("node %s: %s (%s)", n.DisplayName, n.Phase, n.Message)
		if n.Phase != wfv1.NodeFailed {
			t.Errorf("node %s: %s, want Failed", n.DisplayName, n.Phase)
		}
	})

	t.Run("daemon", func(t *testing.T) {
		wf := c.createWorkflow(t, ctx, workflow("stop-daemon", "", `
  - name: main
    steps:
    - - {name: server, template: server}
    - - {name: work, template: work}`+step("server", sleepArgs(600))+`
    daemon: true`+step("work", sleepArgs(3))))
		daemon := c.runningPod(t, ctx, wf.Name, "server", 5*time.Minute)
		work := c.runningPod(t, ctx, wf.Name, "work", 5*time.Minute)
		_, workEnded := c.mainEnded(t, ctx, work.Name, 2*time.Minute)
		term, ended := c.mainEnded(t, ctx, daemon.Name, 2*time.Minute)
		done := c.wait(t, ctx, wf.Name, 2*time.Minute)
		log := c.logs(t, ctx, daemon.Name, "main", &corev1.PodLogOptions{})
		t.Logf("daemon: work's main ended -> the daemon's main ended %.1fs (exit %d, log %q); workflow %s",
			ended.Sub(workEnded).Seconds(), term.ExitCode, log, done.Status.Phase)
		if done.Status.Phase != wfv1.WorkflowSucceeded {
			c.dump(t, done)
			t.Errorf("workflow %s (%s), want Succeeded", done.Status.Phase, done.Status.Message)
		}
		if !strings.Contains(log, "started\nterminated\n") || term.ExitCode != 143 {
			t.Errorf("the daemon: exit %d log %q, want terminated and 143", term.ExitCode, log)
		}
		if n := node(t, done, "server"); n.Phase != wfv1.NodeSucceeded {
			t.Errorf("daemon node: %s (%s), want Succeeded once stopped", n.Phase, n.Message)
		}
	})
}
