// Package shareddata finds the shared real data of tests (../shared/data,
// see its README) and the repository root. It imports only the standard
// library, so that the tests of any package (internal/weak's too) can use
// it without an import cycle.
package shareddata

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// RepoRoot is the repository root: the folder holding go.mod above this
// source file.
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("finding the repository root: no caller information")
	}
	for dir := filepath.Dir(file); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if parent := filepath.Dir(dir); parent == dir {
			t.Fatalf("finding the repository root: no go.mod above %s", file)
		}
	}
}

// EnvSharedData overrides the location of the shared real data.
const EnvSharedData = "TWEETFLOW_SHARED_DATA"

// EnvRequireData makes a missing shared dataset fail a test instead of
// skipping it.
const EnvRequireData = "TWEETFLOW_REQUIRE_DATA"

// Dir returns the folder of one shared dataset (e.g.
// "ssp-ai-tweets"), found in $TWEETFLOW_SHARED_DATA, else ../shared/data beside the repository root, else /work/shared/data, and holding file when file is
// not empty. Missing, the test skips, or fails when TWEETFLOW_REQUIRE_DATA
// is set.
func Dir(t testing.TB, name, file string) string {
	t.Helper()
	var cands []string
	if d := os.Getenv(EnvSharedData); d != "" {
		cands = append(cands, d)
	}
	cands = append(cands, filepath.Join(filepath.Dir(RepoRoot(t)), "shared", "data"), "/work/shared/data")
	for _, d := range cands {
		dir := filepath.Join(d, name)
		if st, err := os.Stat(filepath.Join(dir, file)); err == nil && (file != "" || st.IsDir()) {
			abs, err := filepath.Abs(dir)
			if err != nil {
				t.Fatal(err)
			}
			return abs
		}
	}
	msg := fmt.Sprintf("shared data %s not found (looked in %s; set %s)", filepath.Join(name, file), strings.Join(cands, ", "), EnvSharedData)
	if os.Getenv(EnvRequireData) != "" {
		t.Fatalf("%s is set: %s", EnvRequireData, msg)
	}
	t.Skip("skipping: " + msg)
	return ""
}
