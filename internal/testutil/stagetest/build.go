package stagetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/testutil/servertest"
)

// BuildComponents builds the real binaries of components (names of
// folders under components/, e.g. "score", "serve") into a temporary
// folder and returns their paths by name, for tests that run the
// process as a pipeline would (signals, exit codes, kill -9). The Go build
// cache makes a rebuild cheap.
func BuildComponents(t testing.TB, names ...string) map[string]string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping: builds component binaries")
	}
	dir := t.TempDir()
	root := RepoRoot(t)
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, "./components/"+n)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %v: %v\n%s", names, err, out)
	}
	bins := map[string]string{}
	for _, n := range names {
		bins[n] = filepath.Join(dir, n)
	}
	return bins
}

// StartBinary starts a component binary (BuildComponents) with the
// store's common arguments of a run of name (Args) plus args, and env
// added to this process's environment; it is killed (SIGKILL) when the
// test ends, and dies with the test binary.
func (s *Store) StartBinary(t testing.TB, bin, name, runID string, env []string, args ...string) *servertest.Proc {
	t.Helper()
	cmd := exec.Command(bin, append(s.Args(name, runID)[1:], args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	servertest.DieWithParent(cmd.SysProcAttr)
	p, err := servertest.Start(cmd)
	if err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	t.Cleanup(func() { p.Stop(syscall.SIGKILL, 10*time.Second) })
	return p
}
