package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/utils/exec"
)

// waitExited blocks until the process pid has exited, without reaping it
// (WNOWAIT): its PID stays taken until the caller's Wait.
func waitExited(pid int) error {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// execIn runs argv in the running container name of the pod, as a
// container runtime's exec does: in the container's PID namespace (it gets
// a PID there; it is killed when the container's PID 1 exits), with the
// container's root (and so its volumes and /proc), environment, user,
// groups and working dir. It returns the command's exit code (128+signal
// when it was killed; 127 when it could not start, with the reason on
// stderr).
func (r *podRun) execIn(container string, argv []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if len(argv) == 0 {
		return 0, fmt.Errorf("no command to run in container %s", container)
	}
	// A container reported running may still be entering its root.
	if c := r.container(container); c != nil {
		select {
		case <-c.ready:
		case <-c.done:
		case <-time.After(time.Minute):
			return 0, fmt.Errorf("container %q in pod %q did not start within a minute", container, r.pod.Name)
		}
	}
	// Open the container's root and PID namespace while it is known not to
	// have exited: its PID cannot belong to another process yet (see
	// ctrRun.exited). The descriptors keep referring to them afterwards.
	r.mu.Lock()
	c := r.ctrs[container]
	if c == nil || c.exited {
		r.mu.Unlock()
		return 0, fmt.Errorf("container %q in pod %q is not running", container, r.pod.Name)
	}
	pid := c.proc.Pid
	spec := containerSpec{Argv: argv, Env: c.spec.Env, Dir: c.spec.Dir, UID: c.spec.UID, GID: c.spec.GID,
		Groups: c.spec.Groups, NoNewPrivs: c.spec.NoNewPrivs}
	root, err := os.Open(fmt.Sprintf("/proc/%d/root", pid))
	var pidns *os.File
	if err == nil {
		pidns, err = os.Open(fmt.Sprintf("/proc/%d/ns/pid", pid))
		if err != nil {
			root.Close()
		}
	}
	r.mu.Unlock()
	if errors.Is(err, fs.ErrNotExist) {
		// PID 1 has exited and is not reaped yet: /proc/<pid>/root is gone.
		return 0, fmt.Errorf("container %q in pod %q is not running (it is exiting)", container, r.pod.Name)
	}
	if err != nil {
		return 0, fmt.Errorf("container %q: %w", container, err)
	}
	defer root.Close()
	defer pidns.Close()

	js, err := json.Marshal(spec)
	if err != nil {
		return 0, err
	}
	cmd := exec.Command("/proc/self/exe", "nsenter", string(js))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.ExtraFiles = []*os.File{root} // fd 3: the container's root
	// A command that leaves a process behind holding its output open ends
	// the exec this long after it exited.
	cmd.WaitDelay = 5 * time.Second
	started := make(chan error, 1)
	go func() {
		// setns(CLONE_NEWPID) changes the PID namespace of the children
		// of this thread only, so start the process from a locked thread
		// and never unlock it: the Go runtime ends the thread with this
		// goroutine and no other goroutine ever runs on it.
		runtime.LockOSThread()
		if err := unix.Setns(int(pidns.Fd()), unix.CLONE_NEWPID); err != nil {
			started <- fmt.Errorf("joining the PID namespace of container %q (pid %d): %w", container, pid, err)
			return
		}
		started <- cmd.Start()
	}()
	if err := <-started; err != nil {
		return 0, err
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return 0, err
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return cmd.ProcessState.ExitCode(), nil
}

// nsenter runs as the process that execIn starts, already in the
// container's PID namespace, with the container's root as fd 3: it enters
// that root and execs the command like the container's own first process.
func nsenter(arg string) {
	var s containerSpec
	fail := exitOnError("exec in container")
	fail("decoding the exec spec", json.Unmarshal([]byte(arg), &s))
	fail("entering the container's root", syscall.Fchdir(3))
	fail("chroot", syscall.Chroot("."))
	fail("closing the root descriptor", syscall.Close(3))
	startIn(s, fail)
}

// podExecutor runs the commands of the kubelet's /exec requests in the
// containers of one pod.
type podExecutor struct{ r *podRun }

// ExecInContainer implements the kubelet's remotecommand.Executor: the
// streams are the request's; a non-zero exit is a utilexec.ExitError,
// which the server reports to the client as the command's exit code. No
// terminal is allocated when tty is asked for: the command runs with the
// streams as they are.
func (e podExecutor) ExecInContainer(_ context.Context, _ string, _ types.UID, container string, cmd []string,
	in io.Reader, out, errw io.WriteCloser, _ bool, _ <-chan remotecommand.TerminalSize, _ time.Duration) error {
	// A nil stream must reach os/exec as nil (/dev/null), not as a typed nil.
	var stdin io.Reader
	var stdout, stderr io.Writer
	if in != nil {
		stdin = in
	}
	if out != nil {
		stdout = out
	}
	if errw != nil {
		stderr = errw
	}
	code, err := e.r.execIn(container, cmd, stdin, stdout, stderr)
	if err != nil {
		return err
	}
	e.r.logf("exec in %s: %q exited %d", container, cmd, code)
	if code != 0 {
		return utilexec.CodeExitError{Err: fmt.Errorf("command terminated with exit code %d", code), Code: code}
	}
	return nil
}
