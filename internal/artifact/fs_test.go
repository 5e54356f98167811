package artifact_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/artifact/artifacttest"
)

func newFS(t *testing.T) *artifact.FS {
	t.Helper()
	st, err := artifact.NewFS(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestFSConformance(t *testing.T) {
	artifacttest.Run(t, func(t *testing.T) artifact.Store { return newFS(t) })
}

func TestFSConformanceThroughSymlinkedRoot(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links")
	}
	artifacttest.Run(t, func(t *testing.T) artifact.Store {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "real"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(dir, "real"), filepath.Join(dir, "link")); err != nil {
			t.Fatal(err)
		}
		st, err := artifact.NewFS(filepath.Join(dir, "link"))
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

func write(t testing.TB, st artifact.Store, key, content string) {
	t.Helper()
	w, err := st.Create(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func TestFSDeleteRemovesEmptyFoldersBelowRootOnly(t *testing.T) {
	ctx := context.Background()
	st := newFS(t)
	write(t, st, "a/b/c/file", "x")
	write(t, st, "a/keep", "y")
	if err := st.Delete(ctx, "a/b/c/file"); err != nil {
		t.Fatal(err)
	}
	if exists(filepath.Join(st.Root(), "a", "b")) {
		t.Error("emptied folder a/b was not removed")
	}
	if !exists(filepath.Join(st.Root(), "a", "keep")) {
		t.Error("a/keep was removed")
	}
	if err := st.Delete(ctx, "a/keep"); err != nil {
		t.Fatal(err)
	}
	if !exists(st.Root()) {
		t.Error("Delete removed the store root")
	}
	if exists(filepath.Join(st.Root(), "a")) {
		t.Error("emptied folder a was not removed")
	}
}

func TestFSPublishedFilesAreWorldReadable(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix modes")
	}
	st := newFS(t)
	write(t, st, "dir/f", "x")
	info, err := os.Stat(filepath.Join(st.Root(), "dir", "f"))
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o644 {
		t.Errorf("mode = %v, want 0644", got)
	}
}

func TestFSRejectsTempFileNames(t *testing.T) {
	st := newFS(t)
	for _, key := range []string{".tmp-x", "dir/.tmp-x", ".tmp-dir/x"} {
		if w, err := st.Create(context.Background(), key); err == nil {
			w.Abort()
			t.Errorf("Create(%q): no error", key)
		}
	}
}

func TestFSObjectBelowAFileIsAnError(t *testing.T) {
	// A key cannot be both an object and a folder on FS.
	ctx := context.Background()
	st := newFS(t)
	write(t, st, "a", "file")
	if w, err := st.Create(ctx, "a/b"); err == nil {
		w.Abort()
		t.Error("Create below a file: no error")
	}
	if _, err := st.Stat(ctx, "a/b"); !errors.Is(err, artifact.ErrNotExist) {
		t.Errorf("Stat below a file: %v, want ErrNotExist", err)
	}
}

func TestFSURI(t *testing.T) {
	st, err := artifact.NewFS(filepath.Join(t.TempDir(), "with space"))
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.ToSlash(st.Root())
	for key, want := range map[string]string{
		"":          "file://" + root,
		"runs/x/f":  "file://" + root + "/runs/x/f",
		"ä b/c.txt": "file://" + root + "/ä b/c.txt",
	} {
		got := st.URI(key)
		// Round trip: Resolve of the URI finds the same file.
		loc, err := artifact.NewResolver(artifact.S3Config{}).Resolve(context.Background(), got)
		if err != nil {
			t.Fatalf("Resolve(%q): %v", got, err)
		}
		if loc.URI() != got {
			t.Errorf("URI(%q) = %q resolves to %q", key, got, loc.URI())
		}
		if u := filepath.ToSlash(filepath.Join(loc.Store.(*artifact.FS).Root(), loc.Key)); u != filepath.ToSlash(filepath.Join(root, key)) {
			t.Errorf("URI(%q) = %q resolves to path %q (unescaped want %q)", key, got, u, want)
		}
	}
}

func TestResolvedStoreKeepsExistingFolders(t *testing.T) {
	// An output under a path resolved from a flag: committing, rerunning and
	// deleting it must never remove folders that existed before.
	ctx := context.Background()
	base := t.TempDir()
	existing := filepath.Join(base, "existing")
	if err := os.MkdirAll(filepath.Join(existing, "empty-sibling"), 0o755); err != nil {
		t.Fatal(err)
	}
	loc, err := artifact.NewResolver(artifact.S3Config{}).Resolve(ctx, filepath.Join(existing, "new", "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	if root := loc.Store.(*artifact.FS).Root(); root != existing || loc.Key != "new/artifacts" {
		t.Fatalf("Resolve rooted at %q with key %q, want %q and new/artifacts", root, loc.Key, existing)
	}
	if exists(filepath.Join(existing, "new")) {
		t.Error("Resolve created the missing folder")
	}
	prefix := loc.Key + "/" + artifact.OutputKey("r1", "clean", "dataset")
	for _, v := range []string{"v1", "v2"} {
		o := artifact.NewOutput(loc.Store, prefix)
		if err := o.WriteFile(ctx, v, strings.NewReader(v)); err != nil {
			t.Fatal(err)
		}
		if _, err := o.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	objs, err := loc.Store.List(ctx, loc.Key+"/")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 { // v2 and the manifest
		t.Errorf("objects after two commits: %+v", objs)
	}
	for _, o := range objs {
		if err := loc.Store.Delete(ctx, o.Key); err != nil {
			t.Fatal(err)
		}
	}
	if !exists(filepath.Join(existing, "empty-sibling")) || !exists(existing) {
		t.Error("deleting the output removed folders that existed before")
	}
	if exists(filepath.Join(existing, "new")) {
		t.Error("the folders the store created were not removed when emptied")
	}
	var leftovers []string
	filepath.WalkDir(existing, func(p string, d fs.DirEntry, err error) error {
		if p != existing && err == nil {
			leftovers = append(leftovers, p)
		}
		return nil
	})
	if len(leftovers) != 1 {
		t.Errorf("left behind: %q", leftovers)
	}
}

func TestFSLease(t *testing.T) {
	artifacttest.RunLease(t, func(t *testing.T) artifact.Store { return newFS(t) })
}

// lostReply is a store whose conditional writes land but, once armed,
// report a timeout to the writer, as a PUT does whose reply is lost.
type lostReply struct {
	*artifact.FS
	armed atomic.Int32 // writes left to answer with an error
}

func (s *lostReply) WriteIf(ctx context.Context, key string, data []byte, ifVersion string) (string, error) {
	v, err := s.FS.WriteIf(ctx, key, data, ifVersion)
	if err == nil && s.armed.Add(-1) >= 0 {
		return "", context.DeadlineExceeded
	}
	return v, err
}

// TestLeaseRenewalReplyLost: a renewal that landed although its writer saw
// an error is still this holder's lease; the next renewal and Check must
// not report it lost (seen as a flaky TestS3Lease/Renewal under load).
func TestLeaseRenewalReplyLost(t *testing.T) {
	ctx := context.Background()
	st := &lostReply{FS: newFS(t)}
	lost := make(chan error, 1)
	l, err := artifact.AcquireLease(ctx, st, "runs/r1/stage/_lease.json", artifact.LeaseOptions{TTL: 300 * time.Millisecond, OnLost: func(err error) { lost <- err }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	st.armed.Store(1)
	time.Sleep(600 * time.Millisecond) // several renewals, the first one's reply lost
	if n := st.armed.Load(); n > 0 {
		t.Fatalf("no renewal was attempted (armed %d)", n)
	}
	if err := l.Check(ctx); err != nil {
		t.Errorf("Check after a renewal whose reply was lost: %v", err)
	}
	select {
	case err := <-lost:
		t.Errorf("OnLost(%v)", err)
	default:
	}
}
