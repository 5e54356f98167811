package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/testutil/syncbuf"
)

// startServe runs serve with args until the test ends and returns its base URL.
func startServe(t *testing.T, logs *syncbuf.Buffer, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--reload-interval", "0", "--log-requests=false"}, args...), logs, logs, func(a net.Addr) { addrc <- a })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	})
	select {
	case a := <-addrc:
		_, port, _ := net.SplitHostPort(a.String())
		return "http://127.0.0.1:" + port
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	return ""
}

func adminReload(t *testing.T, base, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/admin/reload", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:8080": true, "[::1]:80": true, "localhost:1": true, "127.1.2.3:0": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:8080": false, "10.0.0.1:80": false, "example.com:80": false, "nonsense": false} {
		if got := loopback(addr); got != want {
			t.Errorf("loopback(%q) = %v", addr, got)
		}
	}
}

// TestServeAdminToken: without a token, POST /admin/reload is open on a
// loopback address and disabled on any other; with --admin-token (or its
// env var) it needs the token (issue 11, defect 9).
func TestServeAdminToken(t *testing.T) {
	root := t.TempDir()
	writeModel(t, filepath.Join(root, "run-1"), "run-1", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var logs syncbuf.Buffer
	if code := adminReload(t, startServe(t, &logs, "--models-dir", root, "--addr", "127.0.0.1:0"), ""); code != 200 {
		t.Errorf("loopback, no token: %d, want 200", code)
	}
	if code := adminReload(t, startServe(t, &logs, "--models-dir", root, "--addr", ":0"), ""); code != 403 {
		t.Errorf("all interfaces, no token: %d, want 403", code)
	}
	t.Setenv("TWEETFLOW_ADMIN_TOKEN", "tok-123")
	base := startServe(t, &logs, "--models-dir", root, "--addr", ":0")
	for token, want := range map[string]int{"": 401, "nope": 401, "tok-123": 200} {
		if code := adminReload(t, base, token); code != want {
			t.Errorf("token %q: %d, want %d", token, code, want)
		}
	}
}

// TestServeSwapModelsUnderLoad swaps two different real models back and
// forth under load, by SIGHUP and by the admin endpoint, and counts the
// answers that are not 2xx: there must be none, and clients must have been
// answered by both models.
func TestServeSwapModelsUnderLoad(t *testing.T) {
	root := t.TempDir()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	writeModel(t, filepath.Join(root, "model-a"), "model-a", t0)
	var logs syncbuf.Buffer
	t.Setenv("TWEETFLOW_ADMIN_TOKEN", "swap-token")
	base := startServe(t, &logs, "--models-dir", root, "--addr", "127.0.0.1:0")

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var total, non2xx, errs atomic.Int64
	var seenMu sync.Mutex
	seen := map[string]int{}
	client := &http.Client{Timeout: 30 * time.Second}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				resp, err := client.Post(base+"/predict", "application/json", strings.NewReader(fmt.Sprintf(`{"texts":["what a day %d","awful service"]}`, i)))
				total.Add(1)
				if err != nil {
					errs.Add(1)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					non2xx.Add(1)
					continue
				}
				for _, v := range []string{"model-a", "model-b"} {
					if strings.Contains(string(b), `"model_version":"`+v+`"`) {
						seenMu.Lock()
						seen[v]++
						seenMu.Unlock()
					}
				}
			}
		}()
	}
	waitFor := func(v string) {
		deadline := time.Now().Add(15 * time.Second)
		for predictVersion(t, base) != v {
			if time.Now().After(deadline) {
				t.Fatalf("the default model did not become %s: %s", v, logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // let the clients hit it
	}
	const swaps = 6
	for i := 0; i < swaps; i++ {
		// model-b (different weights, newer) comes in by SIGHUP...
		writeModel(t, filepath.Join(root, "model-b"), "model-b", t0.Add(time.Hour))
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		waitFor("model-b")
		// ...and goes away through the admin endpoint: model-a again.
		if err := os.RemoveAll(filepath.Join(root, "model-b")); err != nil {
			t.Fatal(err)
		}
		if code := adminReload(t, base, "swap-token"); code != 200 {
			t.Fatalf("admin reload: %d", code)
		}
		waitFor("model-a")
	}
	stop()
	wg.Wait()
	t.Logf("%d requests during %d swaps each way: %d non-2xx, %d transport errors; answered by %v", total.Load(), swaps, non2xx.Load(), errs.Load(), seen)
	if non2xx.Load() != 0 || errs.Load() != 0 {
		t.Errorf("%d non-2xx answers and %d errors in %d requests", non2xx.Load(), errs.Load(), total.Load())
	}
	if seen["model-a"] == 0 || seen["model-b"] == 0 {
		t.Errorf("clients were answered by %v, want both models", seen)
	}
}
