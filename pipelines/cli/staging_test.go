package cli_test

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/pipelines/cli"
)

// TestRunsPruneStagingOnly: a step killed mid-write (its lease was
// released... by nobody: here, taken and released so it is not live) left
// staging files, among them a temp file; `runs prune --staging-only`
// removes all of it, and --dry-run only says so.
func TestRunsPruneStagingOnly(t *testing.T) {
	ctx := context.Background()
	store := filepath.Join(t.TempDir(), "store")
	st, err := artifact.NewFS(store)
	if err != nil {
		t.Fatal(err)
	}
	l, err := artifact.AcquireLease(ctx, st, artifact.LeaseKey("r1", "balance-split"), artifact.LeaseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := artifact.NewOutputOwned(st, artifact.OutputKey("r1", "balance-split", "train"), l.Owner())
	if err := o.WriteFile(ctx, "part-00000.parquet", strings.NewReader("rows")); err != nil {
		t.Fatal(err)
	}
	w, err := o.Create(ctx, "part-00001.parquet") // killed while writing it
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("half"))
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	staging := func() []string {
		var out []string
		filepath.WalkDir(store, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.Contains(p, "_staging") {
				out = append(out, p)
			}
			return nil
		})
		return out
	}
	if got := staging(); len(got) != 2 {
		t.Fatalf("staging files before: %q, want 2", got)
	}
	code, stdout, _ := tf(t, "runs", "prune", "--store", store, "--staging-only", "--dry-run")
	if code != cli.ExitOK || !strings.Contains(stdout, "would remove 1 stale staging area(s)") || len(staging()) != 2 {
		t.Errorf("--dry-run: exit %d: %s; left %q", code, stdout, staging())
	}
	code, stdout, _ = tf(t, "runs", "prune", "--store", store, "--staging-only")
	if code != cli.ExitOK || !strings.Contains(stdout, "removed 1 stale staging area(s)") {
		t.Errorf("exit %d: %s", code, stdout)
	}
	if got := staging(); len(got) != 0 {
		t.Errorf("staging files after runs prune --staging-only: %q", got)
	}
}
