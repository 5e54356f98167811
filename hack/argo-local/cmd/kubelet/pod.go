package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// podRun is one pod running on the node.
type podRun struct {
	k   *kubelet
	pod *corev1.Pod
	dir string

	deleting bool // guarded by k.mu

	mu       sync.Mutex
	ctrs     map[string]*ctrRun // the containers started so far, by name
	stopping bool
	stopped  chan struct{} // closed when terminate is called
	done     chan struct{} // closed when run returns
}

func newPodRun(k *kubelet, p *corev1.Pod) *podRun {
	return &podRun{k: k, pod: p, dir: filepath.Join(k.rootDir, "pods", string(p.UID)),
		ctrs: map[string]*ctrRun{}, stopped: make(chan struct{}), done: make(chan struct{})}
}

func (r *podRun) logf(format string, args ...any) {
	log.Printf("kubelet: pod %s/%s: %s", r.pod.Namespace, r.pod.Name, fmt.Sprintf(format, args...))
}

// terminate stops the pod's containers: SIGTERM, then SIGKILL after grace
// seconds, and waits until run has returned.
func (r *podRun) terminate(grace int64) {
	r.mu.Lock()
	if !r.stopping {
		r.stopping = true
		close(r.stopped)
	}
	r.signalAll(syscall.SIGTERM)
	r.mu.Unlock()
	select {
	case <-r.done:
		return
	case <-time.After(time.Duration(grace) * time.Second):
	}
	r.mu.Lock()
	r.signalAll(syscall.SIGKILL)
	r.mu.Unlock()
	<-r.done
}

// signalAll signals every running container; r.mu must be held. Each
// container is PID 1 of its PID namespace, so SIGKILL ends all its processes.
func (r *podRun) signalAll(sig syscall.Signal) {
	for name, c := range r.ctrs {
		if c.exited {
			continue
		}
		if err := c.proc.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
			r.logf("signalling container %s: %v", name, err)
		}
	}
}

// ctrRun is a started container.
type ctrRun struct {
	proc *os.Process
	spec containerSpec // its environment, user and working dir, for exec
	log  *logWriter    // its output: the log file and the start time of each line

	// exited is set once PID 1 has exited but before it is reaped (its PID
	// stays taken until then), so a PID read under r.mu while !exited is
	// the container's, never a reused one. Guarded by the podRun's mu.
	exited bool
	// ready is closed once PID 1 has entered the container's root and
	// exec'd the container's command (or failed to): an exec before that
	// would see the host's root.
	ready chan struct{}
	// done is closed when the container has exited and all its output is
	// in the log.
	done chan struct{}
}

// container returns the started container name, or nil.
func (r *podRun) container(name string) *ctrRun {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ctrs[name]
}

// updateStatus applies mutate to the pod's current status and writes it.
func (r *podRun) updateStatus(ctx context.Context, mutate func(*corev1.PodStatus)) {
	pods := r.k.c.CoreV1().Pods(r.pod.Namespace)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := pods.Get(ctx, r.pod.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.UID != r.pod.UID {
			return fmt.Errorf("pod was replaced")
		}
		mutate(&cur.Status)
		_, err = pods.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil && !strings.Contains(err.Error(), "not found") {
		r.logf("updating status: %v", err)
	}
}

func setCondition(s *corev1.PodStatus, t corev1.PodConditionType, ok bool, reason string) {
	st := corev1.ConditionFalse
	if ok {
		st = corev1.ConditionTrue
	}
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			if s.Conditions[i].Status != st {
				s.Conditions[i].Status, s.Conditions[i].LastTransitionTime = st, metav1.Now()
			}
			s.Conditions[i].Reason = reason
			return
		}
	}
	s.Conditions = append(s.Conditions, corev1.PodCondition{Type: t, Status: st, Reason: reason, LastTransitionTime: metav1.Now()})
}

func setState(list []corev1.ContainerStatus, name string, st corev1.ContainerState, id string) {
	for i := range list {
		if list[i].Name != name {
			continue
		}
		if list[i].State.Running != nil && st.Waiting == nil {
			list[i].LastTerminationState = corev1.ContainerState{}
		}
		list[i].State = st
		list[i].Ready = st.Running != nil
		started := st.Running != nil
		list[i].Started = &started
		if id != "" {
			list[i].ContainerID = id
		}
	}
}

// run runs the pod to completion (or until terminated) and reports it.
func (r *podRun) run(ctx context.Context) {
	defer close(r.done)
	p := r.pod
	r.logf("starting in %s", r.dir)
	now := metav1.Now()
	statuses := func(cs []corev1.Container, reason string) []corev1.ContainerStatus {
		out := make([]corev1.ContainerStatus, 0, len(cs))
		for _, c := range cs {
			img := c.Image
			out = append(out, corev1.ContainerStatus{Name: c.Name, Image: img, ImageID: img,
				State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}})
		}
		return out
	}
	r.updateStatus(ctx, func(s *corev1.PodStatus) {
		s.Phase = corev1.PodPending
		s.StartTime = &now
		s.HostIP, s.PodIP = r.k.nodeIP, r.k.nodeIP
		s.HostIPs, s.PodIPs = []corev1.HostIP{{IP: r.k.nodeIP}}, []corev1.PodIP{{IP: r.k.nodeIP}}
		setCondition(s, corev1.PodScheduled, true, "")
		setCondition(s, corev1.PodInitialized, len(p.Spec.InitContainers) == 0, "")
		setCondition(s, corev1.ContainersReady, false, "")
		setCondition(s, corev1.PodReady, false, "")
		s.InitContainerStatuses = statuses(p.Spec.InitContainers, "PodInitializing")
		s.ContainerStatuses = statuses(p.Spec.Containers, "PodInitializing")
	})
	finish := func(phase corev1.PodPhase, reason, msg string) {
		r.logf("%s %s %s", phase, reason, msg)
		r.updateStatus(context.Background(), func(s *corev1.PodStatus) {
			s.Phase, s.Reason, s.Message = phase, reason, msg
			setCondition(s, corev1.ContainersReady, false, "PodCompleted")
			setCondition(s, corev1.PodReady, false, "PodCompleted")
		})
		// The containers are gone: their volumes and writable layers go too;
		// the logs stay until the pod is deleted.
		for _, d := range []string{"volumes", "containers"} {
			if err := os.RemoveAll(filepath.Join(r.dir, d)); err != nil {
				r.logf("cleaning up: %v", err)
			}
		}
	}

	// activeDeadlineSeconds: the pod fails with DeadlineExceeded, like the kubelet's.
	var deadline <-chan time.Time
	deadlineHit := false
	if p.Spec.ActiveDeadlineSeconds != nil {
		t := time.NewTimer(time.Duration(*p.Spec.ActiveDeadlineSeconds) * time.Second)
		defer t.Stop()
		deadline = t.C
	}
	runDone := make(chan struct{})
	defer close(runDone)
	go func() {
		select {
		case <-deadline:
			r.mu.Lock()
			deadlineHit = true
			r.mu.Unlock()
			r.logf("active deadline of %ds exceeded: stopping", *p.Spec.ActiveDeadlineSeconds)
			grace := int64(30)
			if p.Spec.TerminationGracePeriodSeconds != nil {
				grace = *p.Spec.TerminationGracePeriodSeconds
			}
			go r.terminate(grace)
		case <-runDone:
		}
	}()
	failReason := func(def string) (string, string) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if deadlineHit {
			return "DeadlineExceeded", "Pod was active on the node longer than the specified deadline"
		}
		return def, ""
	}

	vols, err := r.k.prepareVolumes(ctx, p, r.dir)
	if err != nil {
		finish(corev1.PodFailed, "VolumeSetupFailed", err.Error())
		return
	}
	for _, c := range p.Spec.InitContainers {
		code, err := r.runContainer(ctx, &c, vols, true)
		if err != nil || code != 0 {
			reason, msg := failReason("InitContainerFailed")
			if msg == "" {
				msg = fmt.Sprintf("init container %s exited with code %d", c.Name, code)
				if err != nil {
					msg = fmt.Sprintf("init container %s: %v", c.Name, err)
				}
			}
			finish(corev1.PodFailed, reason, msg)
			return
		}
	}
	r.updateStatus(ctx, func(s *corev1.PodStatus) {
		s.Phase = corev1.PodRunning
		setCondition(s, corev1.PodInitialized, true, "")
	})
	var wg sync.WaitGroup
	codes := make([]int, len(p.Spec.Containers))
	for i := range p.Spec.Containers {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := &p.Spec.Containers[i]
			code, err := r.runContainer(ctx, c, vols, false)
			if err != nil {
				r.logf("container %s: %v", c.Name, err)
				code = 128
			}
			codes[i] = code
		}(i)
	}
	// Ready when every container runs.
	wg.Wait()
	for _, c := range codes {
		if c != 0 {
			reason, msg := failReason("")
			finish(corev1.PodFailed, reason, msg)
			return
		}
	}
	if reason, msg := failReason(""); reason != "" {
		finish(corev1.PodFailed, reason, msg)
		return
	}
	finish(corev1.PodSucceeded, "", "")
}

// command returns the container's argv by the Kubernetes rules for
// command/args versus the image's Entrypoint/Cmd.
func command(c *corev1.Container, img *image, env map[string]string) ([]string, error) {
	var argv []string
	switch {
	case len(c.Command) > 0:
		argv = append(append(argv, c.Command...), c.Args...)
	case len(c.Args) > 0:
		argv = append(append(argv, img.Config.Entrypoint...), c.Args...)
	default:
		argv = append(append(argv, img.Config.Entrypoint...), img.Config.Cmd...)
	}
	if len(argv) == 0 {
		return nil, fmt.Errorf("no command: the container sets none and image %s has no entrypoint", img.Ref)
	}
	if len(c.Command) > 0 || len(c.Args) > 0 {
		for i := range argv {
			argv[i] = expand(argv[i], env)
		}
	}
	return argv, nil
}

// user returns the uid, gid and supplementary groups of the container.
func user(p *corev1.Pod, c *corev1.Container, img *image) (uint32, uint32, []uint32, error) {
	var uid, gid uint32
	if u := img.Config.User; u != "" {
		us, gs, _ := strings.Cut(u, ":")
		n, err := strconv.ParseUint(us, 10, 32)
		if err != nil {
			return 0, 0, nil, fmt.Errorf("image %s: user %q is not numeric (argo-local reads no /etc/passwd)", img.Ref, u)
		}
		uid = uint32(n)
		if gs != "" {
			g, err := strconv.ParseUint(gs, 10, 32)
			if err != nil {
				return 0, 0, nil, fmt.Errorf("image %s: group %q is not numeric", img.Ref, gs)
			}
			gid = uint32(g)
		}
	}
	var groups []uint32
	if ps := p.Spec.SecurityContext; ps != nil {
		if ps.RunAsUser != nil {
			uid = uint32(*ps.RunAsUser)
		}
		if ps.RunAsGroup != nil {
			gid = uint32(*ps.RunAsGroup)
		}
		if ps.FSGroup != nil {
			groups = append(groups, uint32(*ps.FSGroup))
		}
		for _, g := range ps.SupplementalGroups {
			groups = append(groups, uint32(g))
		}
	}
	if cs := c.SecurityContext; cs != nil {
		if cs.RunAsUser != nil {
			uid = uint32(*cs.RunAsUser)
		}
		if cs.RunAsGroup != nil {
			gid = uint32(*cs.RunAsGroup)
		}
	}
	nonRoot := (p.Spec.SecurityContext != nil && p.Spec.SecurityContext.RunAsNonRoot != nil && *p.Spec.SecurityContext.RunAsNonRoot) ||
		(c.SecurityContext != nil && c.SecurityContext.RunAsNonRoot != nil && *c.SecurityContext.RunAsNonRoot)
	if nonRoot && uid == 0 {
		return 0, 0, nil, fmt.Errorf("container has runAsNonRoot and image will run as root")
	}
	return uid, gid, groups, nil
}

// runContainer runs one container to its end and reports its states.
func (r *podRun) runContainer(ctx context.Context, c *corev1.Container, vols map[string]string, initC bool) (int, error) {
	report := func(st corev1.ContainerState, id string) {
		r.updateStatus(ctx, func(s *corev1.PodStatus) {
			if initC {
				setState(s.InitContainerStatuses, c.Name, st, id)
			} else {
				setState(s.ContainerStatuses, c.Name, st, id)
			}
		})
	}
	waitingErr := func(reason string, err error) (int, error) {
		report(corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 128, Reason: reason, Message: err.Error(),
			StartedAt: metav1.Now(), FinishedAt: metav1.Now()}}, "")
		return 128, err
	}
	select {
	case <-r.stopped:
		return waitingErr("Terminated", fmt.Errorf("pod is being deleted"))
	default:
	}
	img, err := r.k.images.Resolve(c.Image)
	if err != nil {
		return waitingErr("ErrImagePull", err)
	}
	env, err := r.k.buildEnv(ctx, r.pod, c, img)
	if err != nil {
		return waitingErr("CreateContainerConfigError", err)
	}
	argv, err := command(c, img, env.vals)
	if err != nil {
		return waitingErr("CreateContainerError", err)
	}
	uid, gid, groups, err := user(r.pod, c, img)
	if err != nil {
		return waitingErr("CreateContainerConfigError", err)
	}
	cdir := filepath.Join(r.dir, "containers", c.Name)
	spec := containerSpec{
		Root: filepath.Join(cdir, "root"), Lower: img.RootFS, Upper: filepath.Join(cdir, "upper"), Work: filepath.Join(cdir, "work"),
		Argv: argv, Env: env.list(), Dir: c.WorkingDir, UID: uid, GID: gid, Groups: groups,
	}
	if spec.Dir == "" {
		spec.Dir = img.Config.WorkingDir
	}
	if sc := c.SecurityContext; sc != nil {
		spec.ReadOnly = sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem
		spec.NoNewPrivs = sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation
	}
	for _, d := range []string{spec.Root, spec.Upper, spec.Work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return waitingErr("CreateContainerError", err)
		}
	}
	etc := filepath.Join(cdir, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		return waitingErr("CreateContainerError", err)
	}
	hosts := fmt.Sprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n", r.k.nodeIP, r.pod.Name)
	termLog := filepath.Join(cdir, "termination-log")
	for f, data := range map[string]string{"hosts": hosts, "hostname": r.pod.Name + "\n"} {
		if err := os.WriteFile(filepath.Join(etc, f), []byte(data), 0o644); err != nil {
			return waitingErr("CreateContainerError", err)
		}
	}
	if err := os.WriteFile(termLog, nil, 0o666); err != nil {
		return waitingErr("CreateContainerError", err)
	}
	_ = os.Chmod(termLog, 0o666)
	termPath := c.TerminationMessagePath
	if termPath == "" {
		termPath = "/dev/termination-log"
	}
	spec.Mounts = append(spec.Mounts,
		mountSpec{Src: filepath.Join(etc, "hosts"), Dst: "/etc/hosts"},
		mountSpec{Src: filepath.Join(etc, "hostname"), Dst: "/etc/hostname"},
		mountSpec{Src: "/etc/resolv.conf", Dst: "/etc/resolv.conf", ReadOnly: true},
		mountSpec{Src: termLog, Dst: termPath})
	for _, m := range c.VolumeMounts {
		src, ok := vols[m.Name]
		if !ok {
			return waitingErr("CreateContainerConfigError", fmt.Errorf("volumeMount %s: the pod has no volume %q", m.MountPath, m.Name))
		}
		sub := m.SubPath
		if m.SubPathExpr != "" {
			sub = expand(m.SubPathExpr, env.vals)
		}
		if sub != "" {
			// Like the kubelet's SafeMakeDir: a missing subPath folder gets
			// the mode of the volume's root (0777 for an emptyDir), whatever
			// the umask, so a non-root container can write to it (Argo's
			// wait container writes /tmp/argo in its tmp-dir-argo subPath).
			root := src
			src = filepath.Join(src, filepath.Clean("/"+sub))
			if _, err := os.Stat(src); os.IsNotExist(err) {
				fi, err := os.Stat(root)
				if err != nil {
					return waitingErr("CreateContainerError", err)
				}
				if err := os.MkdirAll(src, fi.Mode().Perm()); err != nil {
					return waitingErr("CreateContainerError", err)
				}
				for d := src; d != root && strings.HasPrefix(d, root); d = filepath.Dir(d) {
					if err := os.Chmod(d, fi.Mode().Perm()); err != nil {
						return waitingErr("CreateContainerError", err)
					}
				}
			}
		}
		spec.Mounts = append(spec.Mounts, mountSpec{Src: src, Dst: m.MountPath, ReadOnly: m.ReadOnly})
	}
	js, err := json.Marshal(spec)
	if err != nil {
		return waitingErr("CreateContainerError", err)
	}
	logDir := filepath.Join(r.dir, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return waitingErr("CreateContainerError", err)
	}
	logFile := filepath.Join(logDir, c.Name+".log")
	lw, err := newLogWriter(logFile)
	if err != nil {
		return waitingErr("CreateContainerError", err)
	}
	defer lw.Close()
	cmd := exec.Command("/proc/self/exe", "nsexec", string(js))
	// One writer for both: os/exec then copies them in one goroutine, so
	// the lines of stdout and stderr interleave whole, as in a kubelet's log.
	cmd.Stdout, cmd.Stderr = lw, lw
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID}
	// nsexec holds the write end of this pipe (fd 3, close-on-exec) until
	// it execs the container's command: EOF means the container's root and
	// user are in place (or nsexec failed).
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return waitingErr("StartError", err)
	}
	defer readyR.Close()
	cmd.ExtraFiles = []*os.File{readyW}
	r.mu.Lock()
	if r.stopping {
		r.mu.Unlock()
		readyW.Close()
		return waitingErr("Terminated", fmt.Errorf("pod is being deleted"))
	}
	started := metav1.Now()
	err = cmd.Start()
	readyW.Close()
	ctr := &ctrRun{spec: spec, log: lw, ready: make(chan struct{}), done: make(chan struct{})}
	if err == nil {
		ctr.proc = cmd.Process
		r.ctrs[c.Name] = ctr
	}
	r.mu.Unlock()
	if err != nil {
		return waitingErr("StartError", err)
	}
	_, _ = io.Copy(io.Discard, readyR)
	close(ctr.ready)
	id := fmt.Sprintf("argo-local://%s/%s/%d", r.pod.UID, c.Name, cmd.Process.Pid)
	// The host PID, for tests that kill a container's process like the OOM killer would.
	_ = os.WriteFile(filepath.Join(r.dir, c.Name+".pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
	r.logf("container %s started (pid %d): %s", c.Name, cmd.Process.Pid, strings.Join(argv, " "))
	report(corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}, id)
	// Learn that PID 1 exited without reaping it, mark the container
	// exited, then reap: an exec or a signal that read the PID while the
	// container was not marked exited used a PID not yet free for reuse.
	if err := waitExited(cmd.Process.Pid); err != nil {
		r.logf("container %s: waiting for pid %d: %v", c.Name, cmd.Process.Pid, err)
	}
	r.mu.Lock()
	ctr.exited = true
	r.mu.Unlock()
	_ = cmd.Wait()
	close(ctr.done)
	code := cmd.ProcessState.ExitCode()
	signaled := ""
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int(ws.Signal())
		signaled = ws.Signal().String()
	}
	reason := "Completed"
	if code != 0 {
		reason = "Error"
	}
	msg := terminationMessage(termLog, logFile, c.TerminationMessagePolicy, code)
	r.logf("container %s exited %d %s (log %s)", c.Name, code, signaled, logFile)
	report(corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: int32(code), Reason: reason, Message: msg,
		StartedAt: started, FinishedAt: metav1.Now(), ContainerID: id}}, id)
	return code, nil
}

// terminationMessage reads the container's termination message file
// (at most 4 KiB) or, with FallbackToLogsOnError and a failure, the last
// 80 lines (at most 2 KiB) of its log.
func terminationMessage(termLog, logFile string, policy corev1.TerminationMessagePolicy, code int) string {
	b, _ := os.ReadFile(termLog)
	if len(b) > 4096 {
		b = b[:4096]
	}
	if len(b) > 0 || policy != corev1.TerminationMessageFallbackToLogsOnError || code == 0 {
		return string(b)
	}
	logb, _ := os.ReadFile(logFile)
	lines := bytes.Split(bytes.TrimRight(logb, "\n"), []byte("\n"))
	if len(lines) > 80 {
		lines = lines[len(lines)-80:]
	}
	out := bytes.Join(lines, []byte("\n"))
	if len(out) > 2048 {
		out = out[len(out)-2048:]
	}
	return string(out)
}
