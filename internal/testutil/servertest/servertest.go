package servertest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// BinaryOrSkip returns what find finds, or skips t with what find
// reports, naming the kind of test (as in "S3"); when the environment
// variable requireEnv is "1" it fails t instead.
func BinaryOrSkip(t testing.TB, find func() (string, error), requireEnv, kind string) string {
	t.Helper()
	bin, err := find()
	if err != nil {
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("%v; %s=1 requires it", err, requireEnv)
		}
		t.Skipf("skipping %s test: %v", kind, err)
	}
	return bin
}

// Proc is a started server process.
type Proc struct {
	cmd      *exec.Cmd
	out      lockedBuffer
	exited   chan struct{}
	waitErr  error
	stopOnce sync.Once
}

// Start starts cmd with its standard output and error collected (see
// Tail) and waits for it in the background. The OS thread is pinned
// while forking, as a parent-death signal (DieWithParent) follows the
// thread that forks.
func Start(cmd *exec.Cmd) (*Proc, error) {
	p := &Proc{cmd: cmd, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	runtime.LockOSThread()
	err := cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		return nil, err
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// Exited is closed when the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// Err is the process's exit error, once Exited is closed.
func (p *Proc) Err() error { return p.waitErr }

// Tail is the end of the process's output, for error messages.
func (p *Proc) Tail() string { return p.out.tail() }

// Signal sends sig to the process (SIGHUP to reload a server, ...).
func (p *Proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Stop ends the process by PID: sig, then SIGKILL after timeout, and
// waits for it. Only the first call does anything.
func (p *Proc) Stop(sig os.Signal, timeout time.Duration) {
	p.stopOnce.Do(func() {
		if p.cmd.Process == nil {
			return
		}
		_ = p.cmd.Process.Signal(sig)
		select {
		case <-p.exited:
		case <-time.After(timeout):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

// Shared runs a kind of server for tests: a private one per test
// (Start), or one per test package (Get) that Main stops after the tests.
// Set the three functions; the rest is the zero value.
type Shared[P any] struct {
	// Binary finds the server binary or skips t (BinaryOrSkip).
	Binary func(t testing.TB) string
	// Launch starts a server from bin: a private one for t, or the
	// package's shared one when t is nil.
	Launch func(bin string, t testing.TB) (P, error)
	// Stop stops a server and removes what Launch created.
	Stop func(P)

	mu      sync.Mutex
	main    bool // Main is running the tests
	started bool
	p       P
	err     error
}

// Start launches a private server for t, stopped when t ends.
func (s *Shared[P]) Start(t testing.TB) P {
	t.Helper()
	bin := s.Binary(t)
	p, err := s.Launch(bin, t)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(p) })
	return p
}

// Get returns the package's shared server, launched on first use (a
// launch error fails this test and every later one). Without Main
// running the tests it falls back to Start.
func (s *Shared[P]) Get(t testing.TB) P {
	t.Helper()
	s.mu.Lock()
	inMain := s.main
	s.mu.Unlock()
	if !inMain {
		return s.Start(t)
	}
	bin := s.Binary(t) // may end the goroutine: not under the lock
	s.mu.Lock()
	if !s.started {
		s.p, s.err = s.Launch(bin, nil)
		s.started = true
	}
	p, err := s.p, s.err
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Main runs the package's tests, then stops the shared server if one
// was launched, and exits with the tests' code.
func (s *Shared[P]) Main(m *testing.M) {
	s.mu.Lock()
	s.main = true
	s.mu.Unlock()
	code := m.Run()
	s.mu.Lock()
	if s.started && s.err == nil {
		s.Stop(s.p)
		var zero P
		s.p, s.started = zero, false
	}
	s.mu.Unlock()
	os.Exit(code)
}

// FreePorts asks the kernel for n distinct free loopback ports.
func FreePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Tail is the end of s (4000 bytes at most), trimmed, for error messages.
func Tail(s string) string {
	if len(s) > 4000 {
		s = "..." + s[len(s)-4000:]
	}
	return strings.TrimSpace(s)
}

// lockedBuffer collects the server output for error messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil // enough for a diagnosis
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) tail() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Tail(b.buf.String())
}

// SignalAndWait sends sig to the process and waits for it to exit, at
// most timeout (then it kills it and fails t). It returns the time from
// the signal to the exit and the exit code (-1 for a death by signal).
func SignalAndWait(t testing.TB, p *Proc, sig os.Signal, timeout time.Duration) (time.Duration, int) {
	t.Helper()
	start := time.Now()
	if err := p.Signal(sig); err != nil {
		t.Fatalf("sending %v: %v", sig, err)
	}
	select {
	case <-p.exited:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Fatalf("the process did not exit within %v of %v:\n%s", timeout, sig, p.Tail())
	}
	return time.Since(start), p.cmd.ProcessState.ExitCode()
}

// WaitUntil polls cond every 50ms until it holds; it fails t when
// timeout passes first, or when one of procs exits meanwhile (with its
// output). what names the awaited state in the failure.
func WaitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool, procs ...*Proc) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		for _, p := range procs {
			select {
			case <-p.exited:
				t.Fatalf("waiting for %s: the process exited (%v):\n%s", what, p.waitErr, p.Tail())
			default:
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not reached after %v", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
