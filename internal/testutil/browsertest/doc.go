// Package browsertest starts a headless Chromium for tests that render the
// project's web pages (the annotator, the label report) in a real browser
// through chromedp.
//
// Start(t, width, height) runs Debian's `chromium` with the flags a
// container needs (no sandbox, no GPU, no background networking, a fresh
// profile folder) and a window of the given size, and returns a context
// for chromedp actions that ends with the test. Without chromium on PATH
// the test is skipped with a message naming hack/install-test-deps.sh,
// unless TWEETFLOW_REQUIRE_BROWSER=1, which turns the skip into a failure
// (CI sets it).
//
// SaveScreenshot writes a full-page PNG of the current page as a test
// artifact into $TWEETFLOW_ARTIFACTS (default: the test's temporary
// folder) and logs its path.
//
// Why: the pages are server-rendered HTML with inline SVG; only a browser
// shows whether they lay out (nothing overflowing at a laptop's width) and
// whether the keyboard-driven parts work.
package browsertest
