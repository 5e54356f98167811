package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/serving"
	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/syncbuf"
)

// testStore is the artifact store of the tests' runs (the harness writes
// each run's lease and summary there), outside the package folder.
var testStore string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "serve-test-store-")
	if err != nil {
		panic(err)
	}
	testStore = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// run is main without the process: serve's contract in the harness with
// args, the process environment and the test store.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, listening func(net.Addr)) int {
	args = slices.Concat(args[:1], []string{"--store", testStore}, args[1:])
	return component.Run(ctx, stages.Serve, newRun(listening), args, stdout, stderr)
}

func writeModel(t *testing.T, dir, version string, created time.Time) {
	t.Helper()
	tm, err := servingtest.Random(servingtest.Options{Version: version, CreatedAt: created})
	if err != nil {
		t.Fatal(err)
	}
	if err := tm.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
}

func predictVersion(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Post(base+"/predict", "application/json", strings.NewReader(`{"text":"what a day"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Label        string `json:"label"`
		ModelVersion string `json:"model_version"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || out.Label == "" {
		t.Fatalf("predict: %d %v %+v", resp.StatusCode, err, out)
	}
	return out.ModelVersion
}

func TestServeReloadOnSIGHUPAndShutdown(t *testing.T) {
	root := t.TempDir()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	writeModel(t, filepath.Join(root, "run-1"), "run-1", t0)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan net.Addr, 1)
	var logs syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--models-dir", root, "--addr", "127.0.0.1:0", "--reload-interval", "0"},
			&logs, &logs, func(a net.Addr) { addrc <- a })
	}()
	var base string
	select {
	case a := <-addrc:
		base = "http://" + a.String()
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	if v := predictVersion(t, base); v != "run-1" {
		t.Fatalf("version %q", v)
	}
	writeModel(t, filepath.Join(root, "run-2"), "run-2", t0.Add(time.Hour))
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for predictVersion(t, base) != "run-2" {
		if time.Now().After(deadline) {
			t.Fatalf("SIGHUP did not reload: %s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	// Access log lines are JSON.
	if !strings.Contains(logs.String(), `"msg":"request"`) || !strings.Contains(logs.String(), `"path":"/predict"`) {
		t.Errorf("no access log: %s", logs.String())
	}
}

func TestServeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"serve"},
		{"serve", "--model", "x", "--max-batch", "0"},
		{"serve", "--nope"},
		{"serve", "--model", "x", "--log-format", "xml"},
	} {
		var out bytes.Buffer
		if code := run(context.Background(), args, &out, &out, nil); code != component.ExitUsage {
			t.Errorf("%v: exit %d, want %d: %s", args, code, component.ExitUsage, out.String())
		}
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--model", t.TempDir()}, &out, &out, nil); code != component.ExitRuntime {
		t.Errorf("missing model: exit %d: %s", code, out.String())
	}
}

// TestContractDefaults: the contract's limit defaults are package
// serving's, so serve without flags behaves like serving.New without
// options.
func TestContractDefaults(t *testing.T) {
	for name, want := range map[string]string{
		"max-body-bytes": strconv.Itoa(serving.DefaultMaxBodyBytes),
		"max-text-chars": strconv.Itoa(serving.DefaultMaxTextRunes),
		"max-batch":      strconv.Itoa(serving.DefaultMaxBatch),
		"model-name":     serving.DefaultModelName,
	} {
		p, ok := stages.Serve.Param(name)
		if !ok || p.Default != want {
			t.Errorf("--%s default %q (declared %v), want %q", name, p.Default, ok, want)
		}
	}
}
