package artifacttest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

// LargeSize is the size of the object of the Large test: more than one
// 16 MiB S3 part, and not a multiple of it.
const LargeSize = 24<<20 + 4321

// Run runs the conformance suite against the stores made by newStore, which
// must return a fresh, empty store on each call (a new folder or bucket).
func Run(t *testing.T, newStore func(t *testing.T) artifact.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st artifact.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Overwrite", testOverwrite},
		{"InvisibleUntilClose", testInvisibleUntilClose},
		{"Abort", testAbort},
		{"CancelledContext", testCancelledContext},
		{"WriteAfterClose", testWriteAfterClose},
		{"NotExist", testNotExist},
		{"InvalidKeys", testInvalidKeys},
		{"Stat", testStat},
		{"List", testList},
		{"Rename", testRename},
		{"Delete", testDelete},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ConcurrentCreateDelete", testConcurrentCreateDelete},
		{"Large", testLarge},
		{"Output/Commit", testOutputCommit},
		{"Output/StagingInvisible", testOutputStagingInvisible},
		{"Output/Rerun", testOutputRerun},
		{"Output/KilledStage", testOutputKilledStage},
		{"Output/CommitUnpublishesFirst", testOutputCommitUnpublishesFirst},
		{"Output/FailedCommit", testOutputFailedCommit},
		{"Output/Abort", testOutputAbort},
		{"Output/Misuse", testOutputMisuse},
		{"Output/ConcurrentFiles", testOutputConcurrentFiles},
		{"Output/Digest", testOutputDigest},
		{"Output/PruneStaging", testOutputPruneStaging},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// --- helpers ---

func put(t *testing.T, st artifact.Store, key string, data []byte) {
	t.Helper()
	w, err := st.Create(context.Background(), key)
	if err != nil {
		t.Fatalf("Create(%q): %v", key, err)
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		t.Fatalf("writing %q: %v", key, err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("closing %q: %v", key, err)
	}
}

func get(t *testing.T, st artifact.Store, key string) []byte {
	t.Helper()
	r, err := st.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading %q: %v", key, err)
	}
	return b
}

func wantContent(t *testing.T, st artifact.Store, key string, want []byte) {
	t.Helper()
	if got := get(t, st, key); !bytes.Equal(got, want) {
		t.Errorf("content of %q = %q, want %q", key, clip(got), clip(want))
	}
}

func wantMissing(t *testing.T, st artifact.Store, key string) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.Stat(ctx, key); !errors.Is(err, artifact.ErrNotExist) {
		t.Errorf("Stat(%q) error = %v, want ErrNotExist", key, err)
	}
	r, err := st.Open(ctx, key)
	if err == nil {
		r.Close()
	}
	if !errors.Is(err, artifact.ErrNotExist) {
		t.Errorf("Open(%q) error = %v, want ErrNotExist", key, err)
	}
}

func keys(t *testing.T, st artifact.Store, prefix string) []string {
	t.Helper()
	objs, err := st.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	ks := make([]string, 0, len(objs))
	for _, o := range objs {
		ks = append(ks, o.Key)
	}
	return ks
}

func wantKeys(t *testing.T, st artifact.Store, prefix string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := keys(t, st, prefix); !slices.Equal(got, want) {
		t.Errorf("List(%q) = %q, want %q", prefix, got, want)
	}
}

func clip(b []byte) string {
	if len(b) > 64 {
		return fmt.Sprintf("%s... (%d bytes)", b[:64], len(b))
	}
	return string(b)
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// --- Store ---

func testRoundTrip(t *testing.T, st artifact.Store) {
	for _, tc := range []struct {
		key  string
		data []byte
	}{
		{"a.txt", []byte("hello")},
		{"deep/nested/folder/b.bin", []byte{0, 1, 2, 255, '\n', 0}},
		{"empty", []byte{}},
		{"spaces and ünïcode/ä b.json", []byte(`{"x": 1}`)},
	} {
		put(t, st, tc.key, tc.data)
		wantContent(t, st, tc.key, tc.data)
	}
}

func testOverwrite(t *testing.T, st artifact.Store) {
	put(t, st, "k", []byte("a much longer first version"))
	put(t, st, "k", []byte("v2"))
	wantContent(t, st, "k", []byte("v2"))
	wantKeys(t, st, "", "k")
}

func testInvisibleUntilClose(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	w, err := st.Create(ctx, "f/pending")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("data")); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, st, "f/pending")
	wantKeys(t, st, "")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	wantContent(t, st, "f/pending", []byte("data"))
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Close: %v", err)
	}
	wantContent(t, st, "f/pending", []byte("data"))
}

func testAbort(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	w, err := st.Create(ctx, "new/key")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("discard me"))
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close after Abort: %v", err)
	}
	wantMissing(t, st, "new/key")
	wantKeys(t, st, "")

	put(t, st, "old", []byte("keep"))
	w, err = st.Create(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("replacement"))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	wantContent(t, st, "old", []byte("keep"))
	wantKeys(t, st, "", "old")
}

func testCancelledContext(t *testing.T, st artifact.Store) {
	put(t, st, "old", []byte("keep"))
	for _, key := range []string{"new", "old"} {
		ctx, cancel := context.WithCancel(context.Background())
		w, err := st.Create(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("half written"))
		cancel()
		if err := w.Close(); err == nil {
			t.Errorf("Close of %q after cancel: no error", key)
		}
	}
	wantMissing(t, st, "new")
	wantContent(t, st, "old", []byte("keep"))
	wantKeys(t, st, "", "old")
}

func testWriteAfterClose(t *testing.T, st artifact.Store) {
	w, err := st.Create(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("more")); err == nil {
		t.Error("Write after Close: no error")
	}
	wantContent(t, st, "k", []byte("x"))
}

func testNotExist(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	wantMissing(t, st, "missing")
	wantMissing(t, st, "no/such/folder/file")
	put(t, st, "dir/file", []byte("x"))
	wantMissing(t, st, "dir")          // only a folder of other keys
	wantMissing(t, st, "dir/fil")      // partial name
	wantMissing(t, st, "dir/file/sub") // below an object
	if err := st.Rename(ctx, "missing", "dst"); !errors.Is(err, artifact.ErrNotExist) {
		t.Errorf("Rename of a missing key: error = %v, want ErrNotExist", err)
	}
	wantMissing(t, st, "dst")
}

func testInvalidKeys(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	put(t, st, "a/b", []byte("x"))
	for _, key := range []string{"", "/abs", "trailing/", "a//b", "./a", "a/./b", "../a", "a/../b", ".", ".."} {
		if w, err := st.Create(ctx, key); err == nil {
			w.Abort()
			t.Errorf("Create(%q): no error", key)
		}
		if r, err := st.Open(ctx, key); err == nil {
			r.Close()
			t.Errorf("Open(%q): no error", key)
		}
		if _, err := st.Stat(ctx, key); err == nil {
			t.Errorf("Stat(%q): no error", key)
		}
		if err := st.Rename(ctx, "a/b", key); err == nil {
			t.Errorf("Rename to %q: no error", key)
		}
		if err := st.Delete(ctx, key); err == nil {
			t.Errorf("Delete(%q): no error", key)
		}
	}
	wantContent(t, st, "a/b", []byte("x"))
	wantKeys(t, st, "", "a/b")
}

func testStat(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	before := time.Now().Add(-2 * time.Minute)
	put(t, st, "dir/obj", bytes.Repeat([]byte("z"), 1234))
	after := time.Now().Add(2 * time.Minute)
	info, err := st.Stat(ctx, "dir/obj")
	if err != nil {
		t.Fatal(err)
	}
	if info.Key != "dir/obj" || info.Size != 1234 {
		t.Errorf("Stat = %+v, want key dir/obj size 1234", info)
	}
	if info.ModTime.Before(before) || info.ModTime.After(after) {
		t.Errorf("ModTime %v not near now", info.ModTime)
	}
	objs, err := st.List(ctx, "dir/")
	if err != nil {
		t.Fatal(err)
	}
	// S3 gives seconds in Stat and milliseconds in List.
	if len(objs) != 1 || objs[0].Key != info.Key || objs[0].Size != info.Size || objs[0].ModTime.Sub(info.ModTime).Abs() >= time.Second {
		t.Errorf("List = %+v, want [%+v]", objs, info)
	}
}

func testList(t *testing.T, st artifact.Store) {
	all := []string{ // sorted in byte order: '-' < '.' < '/' < 'c'
		"l/a/b-c/4",
		"l/a/b.txt",
		"l/a/b/1",
		"l/a/b/2",
		"l/a/b/deeper/3",
		"l/a/bc/5",
		"l/ab",
		"l/b/x",
		"top",
	}
	// Write in a scrambled order: List must sort.
	for _, i := range []int{5, 0, 8, 2, 7, 1, 4, 6, 3} {
		put(t, st, all[i], []byte(all[i]))
	}
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"", all},
		{"l/", all[:8]},
		{"l/a", all[:7]},
		{"l/a/b", all[:6]},
		{"l/a/b/", all[2:5]},
		{"l/a/b.", all[1:2]},    // partial file name
		{"l/a/b.txt", all[1:2]}, // the key itself
		{"l/a/b.txt/", nil},     // below an object
		{"l/a/bc", all[5:6]},    // partial folder name
		{"l/a/b/d", all[4:5]},   // partial folder name, one level down
		{"t", all[8:]},          // partial name at the top
		{"l/nope/", nil},        // missing folder
		{"l/a/b/1/x", nil},      // below an object
		{"zzz", nil},
		{"/l", nil},
		{"l//", nil},
	} {
		wantKeys(t, st, tc.prefix, tc.want...)
	}
	// Sizes come with the listing.
	objs, err := st.List(context.Background(), "l/a/b/")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.Size != int64(len(o.Key)) {
			t.Errorf("List: %q has size %d, want %d", o.Key, o.Size, len(o.Key))
		}
	}
}

func testRename(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	put(t, st, "src", []byte("payload"))
	put(t, st, "dst", []byte("old dst that is longer"))
	if err := st.Rename(ctx, "src", "dst"); err != nil {
		t.Fatal(err)
	}
	wantContent(t, st, "dst", []byte("payload"))
	wantMissing(t, st, "src")
	// Into a new folder, and out of a folder it leaves empty.
	if err := st.Rename(ctx, "dst", "new/folder/moved"); err != nil {
		t.Fatal(err)
	}
	wantContent(t, st, "new/folder/moved", []byte("payload"))
	if err := st.Rename(ctx, "new/folder/moved", "back"); err != nil {
		t.Fatal(err)
	}
	wantContent(t, st, "back", []byte("payload"))
	wantKeys(t, st, "", "back")
	// Onto itself: a no-op.
	if err := st.Rename(ctx, "back", "back"); err != nil {
		t.Fatal(err)
	}
	wantContent(t, st, "back", []byte("payload"))
	// The emptied folder can become an object key.
	put(t, st, "new", []byte("n"))
	wantKeys(t, st, "", "back", "new")
}

func testDelete(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	put(t, st, "d/x/1", []byte("1"))
	put(t, st, "d/x/2", []byte("2"))
	if err := st.Delete(ctx, "d/x/1"); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, st, "d/x/1")
	wantKeys(t, st, "", "d/x/2")
	for _, key := range []string{"d/x/1", "never/existed", "d/x", "d"} {
		if err := st.Delete(ctx, key); err != nil {
			t.Errorf("Delete(%q): %v, want nil", key, err)
		}
	}
	// Deleting a folder key is not deleting what is below it.
	wantContent(t, st, "d/x/2", []byte("2"))
	if err := st.Delete(ctx, "d/x/2"); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, st, "")
	// The emptied folders can become object keys.
	put(t, st, "d", []byte("now a file"))
	wantKeys(t, st, "", "d")
}

func testConcurrentWriters(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	const writers, perWriter = 6, 8
	var wg sync.WaitGroup
	var want []string
	versions := map[string]bool{}
	for g := 0; g < writers; g++ {
		versions[fmt.Sprintf("version %d %s", g, bytes.Repeat([]byte{'v'}, 100*g))] = true
		for i := 0; i < perWriter; i++ {
			want = append(want, fmt.Sprintf("c/w%d/f%02d", g, i))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				key := fmt.Sprintf("c/w%d/f%02d", g, i)
				w, err := st.Create(ctx, key)
				if err != nil {
					t.Errorf("Create(%q): %v", key, err)
					return
				}
				// Interleave the writes of all goroutines.
				for _, part := range []string{key, ":", key} {
					if _, err := io.WriteString(w, part); err != nil {
						t.Errorf("writing %q: %v", key, err)
					}
				}
				if err := w.Close(); err != nil {
					t.Errorf("closing %q: %v", key, err)
				}
			}
			// Every goroutine also writes one shared key.
			w, err := st.Create(ctx, "c/same")
			if err != nil {
				t.Errorf("Create(c/same): %v", err)
				return
			}
			io.WriteString(w, fmt.Sprintf("version %d ", g))
			w.Write(bytes.Repeat([]byte{'v'}, 100*g))
			if err := w.Close(); err != nil {
				t.Errorf("closing c/same: %v", err)
			}
		}()
	}
	wg.Wait()
	want = append(want, "c/same")
	slices.Sort(want)
	wantKeys(t, st, "c/", want...)
	for _, k := range want {
		if k != "c/same" {
			wantContent(t, st, k, []byte(k+":"+k))
		}
	}
	if got := string(get(t, st, "c/same")); !versions[got] {
		t.Errorf("c/same = %q: not one complete version", clip([]byte(got)))
	}
}

func testConcurrentCreateDelete(t *testing.T, st artifact.Store) {
	// Objects come and go in one folder: a store that removes emptied
	// folders must not fail a concurrent Create or Rename into it.
	ctx := context.Background()
	const rounds = 25
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				key := fmt.Sprintf("churn/dir/g%d-%d", g, i)
				w, err := st.Create(ctx, key)
				if err != nil {
					t.Errorf("Create(%q): %v", key, err)
					return
				}
				w.Write([]byte(key))
				if err := w.Close(); err != nil {
					t.Errorf("closing %q: %v", key, err)
					return
				}
				moved := fmt.Sprintf("churn/other/g%d", g)
				if err := st.Rename(ctx, key, moved); err != nil {
					t.Errorf("Rename(%q): %v", key, err)
					return
				}
				if err := st.Delete(ctx, moved); err != nil {
					t.Errorf("Delete(%q): %v", moved, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	wantKeys(t, st, "")
}

func testLarge(t *testing.T, st artifact.Store) {
	if testing.Short() {
		t.Skipf("skipping the %d MiB object in -short mode", LargeSize>>20)
	}
	ctx := context.Background()
	rng := rand.NewChaCha8([32]byte{'t', 'w', 'e', 'e', 't'})
	data := make([]byte, LargeSize)
	rng.Read(data)
	want := sum(data)

	w, err := st.Create(ctx, "big/object.bin")
	if err != nil {
		t.Fatal(err)
	}
	// Odd-sized writes, so part boundaries fall inside a Write.
	for rest, chunk := data, 1<<20+7; len(rest) > 0; {
		n := min(chunk, len(rest))
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	check := func(key string) {
		t.Helper()
		info, err := st.Stat(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size != LargeSize {
			t.Errorf("Stat(%q).Size = %d, want %d", key, info.Size, LargeSize)
		}
		r, err := st.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		h := sha256.New()
		n, err := io.Copy(h, r)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); n != LargeSize || got != want {
			t.Errorf("%q: read %d bytes with sha256 %s, want %d bytes with %s", key, n, got, LargeSize, want)
		}
	}
	check("big/object.bin")
	if err := st.Rename(ctx, "big/object.bin", "big/renamed.bin"); err != nil {
		t.Fatal(err)
	}
	check("big/renamed.bin")
	wantMissing(t, st, "big/object.bin")

	// Aborting a large write (past the first part) leaves nothing.
	w, err = st.Create(ctx, "big/aborted.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, st, "big/aborted.bin")
	wantKeys(t, st, "", "big/renamed.bin")
}

// --- Output ---

const prefix = "runs/r1/stage/out"

// commit stages files (name -> content) and commits them.
func commit(t *testing.T, st artifact.Store, prefix string, files map[string]string) *artifact.Manifest {
	t.Helper()
	o := stage(t, st, prefix, files)
	m, err := o.Commit(context.Background())
	if err != nil {
		t.Fatalf("Commit(%q): %v", prefix, err)
	}
	return m
}

// stage stages files without committing.
func stage(t *testing.T, st artifact.Store, prefix string, files map[string]string) *artifact.Output {
	t.Helper()
	o := artifact.NewOutput(st, prefix)
	for name, content := range files {
		if err := o.WriteFile(context.Background(), name, bytes.NewReader([]byte(content))); err != nil {
			t.Fatalf("WriteFile(%q): %v", name, err)
		}
	}
	return o
}

// wantCommitted checks that the committed output under prefix is exactly
// files: manifest entries, digests, sizes, and the objects under the prefix.
func wantCommitted(t *testing.T, st artifact.Store, prefix string, files map[string]string) *artifact.Manifest {
	t.Helper()
	m, err := artifact.ReadManifest(context.Background(), st, prefix)
	if err != nil {
		t.Fatalf("ReadManifest(%q): %v", prefix, err)
	}
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	var got []string
	for _, f := range m.Files {
		got = append(got, f.Name)
		want, ok := files[f.Name]
		if !ok {
			continue
		}
		if f.Size != int64(len(want)) || f.SHA256 != sum([]byte(want)) {
			t.Errorf("manifest entry %+v, want size %d sha256 %s", f, len(want), sum([]byte(want)))
		}
		wantContent(t, st, prefix+"/"+f.Name, []byte(want))
	}
	if !slices.Equal(got, names) {
		t.Errorf("manifest files = %q, want %q", got, names)
	}
	if m.URI != st.URI(prefix) {
		t.Errorf("manifest URI = %q, want %q", m.URI, st.URI(prefix))
	}
	return m
}

// wantObjects checks the objects under prefix (names relative to it).
func wantObjects(t *testing.T, st artifact.Store, prefix string, names ...string) {
	t.Helper()
	want := make([]string, 0, len(names))
	for _, n := range names {
		want = append(want, prefix+"/"+n)
	}
	slices.Sort(want)
	wantKeys(t, st, prefix+"/", want...)
}

func testOutputCommit(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	files := map[string]string{"a.txt": "alpha", "sub/dir/b.bin": "beta\x00", "empty": ""}
	o := stage(t, st, prefix, files)
	o.SetMeta("rows", "3")
	if o.Prefix() != prefix || o.URI() != st.URI(prefix) {
		t.Errorf("Prefix, URI = %q, %q", o.Prefix(), o.URI())
	}
	m, err := o.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	read := wantCommitted(t, st, prefix, files)
	if read.Digest() != m.Digest() || read.Meta["rows"] != "3" || read.TotalBytes() != int64(len("alpha")+len("beta\x00")) {
		t.Errorf("read manifest %+v, committed %+v", read, m)
	}
	if m.CommittedAt.IsZero() {
		t.Error("CommittedAt is zero")
	}
	// No staging leftovers: exactly the files and the manifest.
	wantObjects(t, st, prefix, "a.txt", "sub/dir/b.bin", "empty", artifact.ManifestName)
	// Trailing slashes are the same prefix.
	if _, err := artifact.ReadManifest(ctx, st, prefix+"/"); err != nil {
		t.Errorf("ReadManifest with a trailing slash: %v", err)
	}
	// An output with no files commits too.
	commit(t, st, "runs/r1/stage/none", nil)
	wantCommitted(t, st, "runs/r1/stage/none", nil)
}

func testOutputStagingInvisible(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	o := stage(t, st, prefix, map[string]string{"a": "1", "b/c": "2"})
	if _, err := artifact.ReadManifest(ctx, st, prefix); !errors.Is(err, artifact.ErrNotCommitted) {
		t.Errorf("ReadManifest before Commit: error = %v, want ErrNotCommitted", err)
	}
	wantMissing(t, st, prefix+"/a")
	wantMissing(t, st, prefix+"/b/c")
	staged := keys(t, st, prefix+"/")
	if len(staged) != 2 {
		t.Errorf("staged objects = %q, want 2", staged)
	}
	for _, k := range staged {
		if !bytes.HasPrefix([]byte(k), []byte(prefix+"/_staging/")) {
			t.Errorf("staged object %q outside %s/_staging/", k, prefix)
		}
	}
	if _, err := o.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	wantCommitted(t, st, prefix, map[string]string{"a": "1", "b/c": "2"})
}

func testOutputRerun(t *testing.T, st artifact.Store) {
	v1 := map[string]string{"a": "v1-a", "b": "v1-b", "sub/c": "v1-c"}
	v2 := map[string]string{"a": "v2-a, longer", "d": "v2-d"}
	m1 := commit(t, st, prefix, v1)
	m2 := commit(t, st, prefix, v2)
	wantCommitted(t, st, prefix, v2)
	// The files of v1 that v2 lacks are gone.
	wantObjects(t, st, prefix, "a", "d", artifact.ManifestName)
	if m1.Digest() == m2.Digest() {
		t.Error("two different versions have the same digest")
	}
}

func testOutputKilledStage(t *testing.T, st artifact.Store) {
	v1 := map[string]string{"a": "v1-a", "b": "v1-b"}
	m1 := commit(t, st, prefix, v1)
	// A rerun that is killed after staging, before Commit.
	stage(t, st, prefix, map[string]string{"a": "v2-a", "x": "v2-x"})
	m := wantCommitted(t, st, prefix, v1)
	if m.Digest() != m1.Digest() {
		t.Errorf("digest after a killed rerun = %s, want %s", m.Digest(), m1.Digest())
	}
	// The next rerun commits cleanly; the killed one's staging area stays
	// until PruneStaging.
	v3 := map[string]string{"a": "v3-a"}
	commit(t, st, prefix, v3)
	wantCommitted(t, st, prefix, v3)
	var published []string
	for _, k := range keys(t, st, prefix+"/") {
		if !bytes.HasPrefix([]byte(k), []byte(prefix+"/_staging/")) {
			published = append(published, k)
		}
	}
	if want := []string{prefix + "/" + artifact.ManifestName, prefix + "/a"}; !slices.Equal(published, want) {
		t.Errorf("published objects = %q, want %q", published, want)
	}
}

// spyStore runs a hook before the first Rename (the first move of a staged
// file into place during Commit), or fails the Renames.
type spyStore struct {
	artifact.Store
	once     sync.Once
	onRename func()
	fail     error
}

func (s *spyStore) Rename(ctx context.Context, src, dst string) error {
	if s.fail != nil {
		return s.fail
	}
	s.once.Do(s.onRename)
	return s.Store.Rename(ctx, src, dst)
}

func testOutputCommitUnpublishesFirst(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	commit(t, st, prefix, map[string]string{"a": "v1-a", "old-only": "v1"})
	ran := false
	spy := &spyStore{Store: st, onRename: func() {
		ran = true
		// Mid-commit: readers must see "not committed", and the files of
		// the previous version must already be gone.
		if _, err := artifact.ReadManifest(ctx, st, prefix); !errors.Is(err, artifact.ErrNotCommitted) {
			t.Errorf("ReadManifest during Commit: error = %v, want ErrNotCommitted", err)
		}
		wantMissing(t, st, prefix+"/old-only")
		wantMissing(t, st, prefix+"/a")
	}}
	commit(t, spy, prefix, map[string]string{"a": "v2-a"})
	if !ran {
		t.Fatal("Commit did not rename the staged file")
	}
	wantCommitted(t, st, prefix, map[string]string{"a": "v2-a"})
}

func testOutputFailedCommit(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	commit(t, st, prefix, map[string]string{"a": "v1"})
	spy := &spyStore{Store: st, fail: errors.New("injected rename failure")}
	o := stage(t, spy, prefix, map[string]string{"a": "v2"})
	if _, err := o.Commit(ctx); err == nil {
		t.Fatal("Commit with failing renames: no error")
	}
	// Half-committed outputs are never trusted.
	if _, err := artifact.ReadManifest(ctx, st, prefix); !errors.Is(err, artifact.ErrNotCommitted) {
		t.Errorf("ReadManifest after a failed Commit: error = %v, want ErrNotCommitted", err)
	}
	// A rerun repairs it.
	commit(t, st, prefix, map[string]string{"a": "v3"})
	wantCommitted(t, st, prefix, map[string]string{"a": "v3"})
}

func testOutputAbort(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	v1 := map[string]string{"a": "v1-a"}
	commit(t, st, prefix, v1)
	o := stage(t, st, prefix, map[string]string{"a": "v2-a", "b/c": "v2-c"})
	if err := o.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	wantCommitted(t, st, prefix, v1)
	wantObjects(t, st, prefix, "a", artifact.ManifestName)
	// Aborting an output that was never committed leaves nothing.
	o = stage(t, st, "runs/r1/stage/other", map[string]string{"x": "1"})
	if err := o.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, st, "runs/r1/stage/other")
}

func testOutputMisuse(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	o := artifact.NewOutput(st, prefix)
	for _, name := range []string{"", "/abs", "a/", "../up", "a/../b", "./a", "a//b", ".", "_private", artifact.ManifestName, "_staging/x"} {
		if w, err := o.Create(ctx, name); err == nil {
			w.Abort()
			t.Errorf("Create(%q): no error", name)
		}
	}
	open, err := o.Create(ctx, "open")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(open, "x")
	if _, err := o.Commit(ctx); err == nil {
		t.Error("Commit with an open file: no error")
	}
	// Close then Abort (the "defer w.Abort()" pattern) keeps the file.
	if err := open.Close(); err != nil {
		t.Fatal(err)
	}
	if err := open.Abort(); err != nil {
		t.Fatal(err)
	}
	aborted, err := o.Create(ctx, "aborted")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(aborted, "y")
	aborted.Abort()
	aborted.Abort()
	aborted.Close()
	if _, err := o.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	wantCommitted(t, st, prefix, map[string]string{"open": "x"})
	if w, err := o.Create(ctx, "late"); err == nil {
		w.Abort()
		t.Error("Create after Commit: no error")
	}
	if _, err := o.Commit(ctx); err == nil {
		t.Error("second Commit: no error")
	}
	if _, err := artifact.ReadManifest(ctx, st, "runs/r1/stage/never"); !errors.Is(err, artifact.ErrNotCommitted) {
		t.Errorf("ReadManifest of a missing output: error = %v, want ErrNotCommitted", err)
	}
}

func testOutputConcurrentFiles(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	o := artifact.NewOutput(st, prefix)
	want := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		name := fmt.Sprintf("shard-%05d.parquet", i)
		content := fmt.Sprintf("rows of shard %d %s", i, bytes.Repeat([]byte{'r'}, i*37))
		want[name] = content
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := o.WriteFile(ctx, name, bytes.NewReader([]byte(content))); err != nil {
				t.Errorf("WriteFile(%q): %v", name, err)
			}
			mu.Lock()
			o.SetMeta(name, "ok")
			mu.Unlock()
		}()
	}
	wg.Wait()
	m, err := o.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Meta) != 12 {
		t.Errorf("meta has %d entries, want 12", len(m.Meta))
	}
	wantCommitted(t, st, prefix, want)
}

func testOutputDigest(t *testing.T, st artifact.Store) {
	files := map[string]string{"x": "same", "y/z": "content"}
	a := commit(t, st, "runs/r1/s/a", files)
	b := commit(t, st, "runs/r2/s/b", files)
	c := commit(t, st, "runs/r3/s/c", map[string]string{"x": "same", "y/z": "other"})
	if a.Digest() != b.Digest() {
		t.Errorf("same files, different digests: %s, %s", a.Digest(), b.Digest())
	}
	if a.Digest() == c.Digest() {
		t.Errorf("different files, same digest %s", a.Digest())
	}
}

func testOutputPruneStaging(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	commit(t, st, prefix, map[string]string{"a": "v1"})
	stage(t, st, prefix, map[string]string{"a": "killed", "b/c": "killed"})
	// A cutoff before the staging area started keeps it.
	n, err := artifact.PruneStaging(ctx, st, prefix, time.Now().Add(-time.Hour))
	if err != nil || n != 0 {
		t.Errorf("PruneStaging(an hour ago) = %d, %v; want 0, nil", n, err)
	}
	n, err = artifact.PruneStaging(ctx, st, prefix, time.Now().Add(time.Minute))
	if err != nil || n != 2 {
		t.Errorf("PruneStaging(now) = %d, %v; want 2, nil", n, err)
	}
	wantObjects(t, st, prefix, "a", artifact.ManifestName)
	wantCommitted(t, st, prefix, map[string]string{"a": "v1"})
}

// StreamOnly decorates s so that the readers Open returns are plain
// streams (no io.ReaderAt), like a store without random access: readers
// that need it must spool (artifact.WithReaderAt).
func StreamOnly(s artifact.Store) artifact.Store { return streamOnly{s} }

type streamOnly struct{ artifact.Store }

func (s streamOnly) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := s.Store.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{rc, rc}, nil
}
