package browsertest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Environment of the browser tests.
const (
	// EnvRequire set to 1 turns a missing chromium into a failure.
	EnvRequire = "TWEETFLOW_REQUIRE_BROWSER"
	// EnvArtifacts names a folder for screenshots (default: a temp dir).
	EnvArtifacts = "TWEETFLOW_ARTIFACTS"
)

// Start starts one headless chromium with a width x height window for the
// test and returns its context (at most 3 minutes long); the browser stops
// when the test ends.
func Start(t *testing.T, width, height int) context.Context {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("chromium not found (%s=1): install it with hack/install-test-deps.sh", EnvRequire)
		}
		t.Skip("chromium not found: install it with hack/install-test-deps.sh (set " + EnvRequire + "=1 to fail instead)")
	}
	if v, err := exec.Command(bin, "--version").Output(); err == nil {
		t.Logf("browser: %s", strings.TrimSpace(string(v)))
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatalf("starting chromium: %v", err)
	}
	ctx, cancelT := context.WithTimeout(bctx, 3*time.Minute)
	t.Cleanup(cancelT)
	return ctx
}

// SaveScreenshot writes a full-page PNG of the current page to name in
// $TWEETFLOW_ARTIFACTS (or the test's temp dir) and returns its path.
func SaveScreenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if !bytes.HasPrefix(buf, []byte("\x89PNG")) {
		t.Errorf("screenshot is not a PNG")
	}
	dir := os.Getenv(EnvArtifacts)
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, name)
	if err := os.WriteFile(shot, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(buf))
	return shot
}
