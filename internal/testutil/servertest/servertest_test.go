package servertest

import (
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStopEndsTheProcess(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	tests := []struct {
		name string
		sig  syscall.Signal
	}{
		{"terminated by the signal", syscall.SIGTERM},
		{"killed after the timeout", 0}, // signal 0 only probes: SIGKILL must follow
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Start(exec.Command(sleep, "60"))
			if err != nil {
				t.Fatal(err)
			}
			p.Stop(tt.sig, 100*time.Millisecond)
			select {
			case <-p.Exited():
			default:
				t.Fatal("Stop returned before the process exited")
			}
			var ee *exec.ExitError
			if !errors.As(p.Err(), &ee) {
				t.Errorf("exit error %v, want a signal exit", p.Err())
			}
			p.Stop(tt.sig, time.Millisecond) // a second Stop does nothing
		})
	}
}

func TestOutputIsCollected(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	p, err := Start(exec.Command(sh, "-c", "echo out; echo err >&2"))
	if err != nil {
		t.Fatal(err)
	}
	<-p.Exited()
	if got := p.Tail(); !strings.Contains(got, "out") || !strings.Contains(got, "err") {
		t.Errorf("Tail %q, want both streams", got)
	}
}

func TestFreePortsAreDistinct(t *testing.T) {
	ports, err := FreePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p <= 0 || seen[p] {
			t.Errorf("ports %v", ports)
		}
		seen[p] = true
	}
}

func TestTail(t *testing.T) {
	long := strings.Repeat("x", 5000) + "end\n"
	// the last 4000 bytes after "...", less the trailing newline
	if got := Tail(long); len(got) != 3+4000-1 || !strings.HasPrefix(got, "...") || !strings.HasSuffix(got, "end") {
		t.Errorf("Tail of 5004 bytes: %d bytes %q...", len(got), got[:10])
	}
	if got := Tail("  short \n"); got != "short" {
		t.Errorf("Tail = %q", got)
	}
}

func TestSignalAndWait(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	tests := []struct {
		name   string
		script string
		want   int
	}{
		{"trapped: exit 0", "trap 'exit 0' TERM; echo ready; while :; do sleep 0.05; done", 0},
		{"trapped: exit 3", "trap 'exit 3' TERM; echo ready; while :; do sleep 0.05; done", 3},
		{"killed by the signal", "echo ready; exec sleep 60", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Start(exec.Command(sh, "-c", tt.script))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Stop(syscall.SIGKILL, time.Second) })
			for !strings.Contains(p.Tail(), "ready") {
				time.Sleep(10 * time.Millisecond)
			}
			took, code := SignalAndWait(t, p, syscall.SIGTERM, 10*time.Second)
			if code != tt.want || took <= 0 || took > 10*time.Second {
				t.Errorf("exit code %d after %v, want %d", code, took, tt.want)
			}
		})
	}
}
