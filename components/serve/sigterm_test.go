package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/testutil/syncbuf"
)

// TestBinaryExitsZeroOnSIGTERM runs the real binary (component.Main):
// SIGTERM drains and ends the server with exit 0, and the run summary
// records it as succeeded.
func TestBinaryExitsZeroOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "serve")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building serve: %v\n%s", err, out)
	}
	root := filepath.Join(dir, "models")
	writeModel(t, filepath.Join(root, "run-1"), "run-1", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var logs syncbuf.Buffer
	summary := filepath.Join(dir, "summary.json")
	cmd := exec.Command(bin, "--models-dir", root, "--addr", "127.0.0.1:0", "--store", filepath.Join(dir, "store"),
		"--reload-interval", "0", "--log-format", "json", "--summary-file", summary)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(logs.String(), `"msg":"listening"`) {
		select {
		case err := <-done:
			t.Fatalf("serve exited before listening: %v\n%s", err, logs.String())
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("serve did not listen:\n%s", logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("serve did not stop on SIGTERM:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Errorf("no stopped line:\n%s", logs.String())
	}
	b, err := readFile(summary)
	if err != nil || !strings.Contains(b, `"status": "succeeded"`) || !strings.Contains(b, `"component": "serve"`) {
		t.Errorf("summary %s (%v)", b, err)
	}
}

func readFile(p string) (string, error) {
	b, err := os.ReadFile(p)
	return string(b), err
}
