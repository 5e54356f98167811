package serving

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
)

// TestWatch: the one reload loop reloads on its trigger and on its
// interval, from an already resolved root location, and counts each
// reload in /metrics.
func TestWatch(t *testing.T) {
	root := t.TempDir()
	write := func(version string, created time.Time) {
		tm, err := servingtest.Random(servingtest.Options{Version: version, CreatedAt: created})
		if err != nil {
			t.Fatal(err)
		}
		if err := tm.WriteDir(filepath.Join(root, version)); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	write("v1", t0)
	loc, err := artifact.NewResolver(artifact.S3Config{}).Resolve(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry(Source{RootLocation: loc})
	if _, err := reg.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := New(reg)
	waitDefault := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for reg.Current().Default().Version() != want {
			if time.Now().After(deadline) {
				t.Fatalf("default %q, want %q", reg.Current().Default().Version(), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	// Trigger only (interval 0: no polling).
	ctx, cancel := context.WithCancel(context.Background())
	trig := make(chan os.Signal, 1)
	done := make(chan struct{})
	go func() { srv.Watch(ctx, 0, trig); close(done) }()
	write("v2", t0.Add(time.Hour))
	time.Sleep(50 * time.Millisecond)
	if v := reg.Current().Default().Version(); v != "v1" {
		t.Fatalf("reloaded without a trigger: default %q", v)
	}
	trig <- syscall.SIGHUP
	waitDefault("v2")
	cancel()
	<-done

	// Interval only.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	go srv.Watch(ctx, 10*time.Millisecond, nil)
	write("v3", t0.Add(2*time.Hour))
	waitDefault("v3")

	// The counter is added once Reload returns, just after the swap.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n := reloadsOK(t, srv); n >= 2 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("%d reloads counted, want at least 2 (trigger and interval)", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func reloadsOK(t *testing.T, srv *Server) int {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, l := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(l, `tweetflow_model_reloads_total{result="ok"} `); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no reload counter in /metrics: %s", rec.Body.String())
	return 0
}
