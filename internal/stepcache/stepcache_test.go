package stepcache_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/stepcache"
	"github.com/tweetflow/tweetflow/internal/testutil/miniotest"
)

func TestMain(m *testing.M) { miniotest.Main(m) }

func TestKeyCoversEveryPart(t *testing.T) {
	base := stepcache.Spec{Component: "clean", Version: "sha256:aa v1", Contract: "sha256:cc",
		Params: map[string]string{"urls": "token", "lowercase": "true"}, Inputs: map[string][]string{"tweets": {"sha256:11", "sha256:22"}}}
	k := base.Key()
	if len(k) != 64 || strings.Trim(k, "0123456789abcdef") != "" {
		t.Fatalf("key %q is not hex sha256", k)
	}
	same := base
	same.Params = map[string]string{"lowercase": "true", "urls": "token"}
	if same.Key() != k {
		t.Error("map order changed the key")
	}
	for name, change := range map[string]func(s *stepcache.Spec){
		"component": func(s *stepcache.Spec) { s.Component = "clean2" },
		"version":   func(s *stepcache.Spec) { s.Version = "sha256:ab v1" },
		"contract":  func(s *stepcache.Spec) { s.Contract = "sha256:cd" },
		"param":     func(s *stepcache.Spec) { s.Params = map[string]string{"urls": "remove", "lowercase": "true"} },
		"new param": func(s *stepcache.Spec) { s.Params = map[string]string{"urls": "token", "lowercase": "true", "x": ""} },
		"input":     func(s *stepcache.Spec) { s.Inputs = map[string][]string{"tweets": {"sha256:11", "sha256:23"}} },
		"order":     func(s *stepcache.Spec) { s.Inputs = map[string][]string{"tweets": {"sha256:22", "sha256:11"}} },
		"renamed":   func(s *stepcache.Spec) { s.Inputs = map[string][]string{"other": {"sha256:11", "sha256:22"}} },
		// Field boundaries are length-prefixed: moving text between fields changes the key.
		"boundary": func(s *stepcache.Spec) {
			s.Params = map[string]string{"urls": "token", "lowercase": "true\nparam.z=1"}
		},
	} {
		s := base
		change(&s)
		if s.Key() == k {
			t.Errorf("changing the %s kept the key", name)
		}
	}
}

func commit(t *testing.T, store artifact.Store, prefix string, files map[string]string) *artifact.Manifest {
	t.Helper()
	o := artifact.NewOutput(store, prefix)
	o.SetMeta("format", "test")
	for name, content := range files {
		if err := o.WriteFile(context.Background(), name, strings.NewReader(content)); err != nil {
			t.Fatal(err)
		}
	}
	m, err := o.Commit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// entryRoundTrip records, looks up, checks and restores an entry in store.
func entryRoundTrip(t *testing.T, root artifact.Location, resolve stepcache.Resolver) {
	ctx := context.Background()
	if e, err := stepcache.Lookup(ctx, root, "nokey"); e != nil || err != nil {
		t.Fatalf("missing entry: %v %v", e, err)
	}
	m := commit(t, root.Store, root.Key+"/runs/r1/clean/tweets", map[string]string{"part-0.parquet": "rows", "sub/part-1.parquet": "more rows"})
	uri := root.Store.URI(root.Key + "/runs/r1/clean/tweets")
	e := &stepcache.Entry{Key: "k1", Component: "clean", Step: "clean", RunID: "r1",
		Outputs: map[string]stepcache.Output{"tweets": {URI: uri, Digest: m.Digest(), Files: 2}}, Results: map[string]string{"n": "2"}}
	if err := stepcache.Record(ctx, root, e); err != nil {
		t.Fatal(err)
	}
	got, err := stepcache.Lookup(ctx, root, "k1")
	if err != nil || got == nil || got.Outputs["tweets"].URI != uri || got.Results["n"] != "2" {
		t.Fatalf("lookup: %+v %v", got, err)
	}
	ms, err := got.Check(ctx, resolve)
	if err != nil {
		t.Fatal(err)
	}
	dst := artifact.NewOutput(root.Store, root.Key+"/runs/r2/clean/tweets")
	src, err := resolve(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	if err := stepcache.Restore(ctx, src, ms["tweets"], dst); err != nil {
		t.Fatal(err)
	}
	m2, err := dst.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Digest() != m.Digest() || m2.Meta["format"] != "test" {
		t.Errorf("restored digest %s meta %v, want %s", m2.Digest(), m2.Meta, m.Digest())
	}
	// A recommitted (changed) output fails the check.
	commit(t, root.Store, root.Key+"/runs/r1/clean/tweets", map[string]string{"part-0.parquet": "other rows"})
	if _, err := got.Check(ctx, resolve); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("check of a changed output: %v", err)
	}
}

func TestEntryOnFS(t *testing.T) {
	dir := t.TempDir()
	fs, err := artifact.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	entryRoundTrip(t, artifact.Location{Store: fs, Key: "tf"}, func(ctx context.Context, uri string) (artifact.Location, error) {
		return artifact.NewResolver(artifact.S3Config{}).Resolve(ctx, uri)
	})
	if _, err := os.Stat(filepath.Join(dir, "tf", "cache", "k1.json")); err != nil {
		t.Errorf("entry not at <root>/cache/<key>.json: %v", err)
	}
}

func TestEntryOnS3(t *testing.T) {
	srv := miniotest.Shared(t)
	root, err := artifact.NewResolver(srv.Config()).Resolve(context.Background(), "s3://"+srv.Bucket+"/tf")
	if err != nil {
		t.Fatal(err)
	}
	entryRoundTrip(t, root, func(ctx context.Context, uri string) (artifact.Location, error) {
		return artifact.NewResolver(srv.Config()).Resolve(ctx, uri)
	})
	// Raw sources in a bucket: a content digest that follows every byte.
	ctx := context.Background()
	put := func(key, content string) {
		w, err := root.Store.Create(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	put("tf/raw/a.csv", "1,hello")
	put("tf/raw/b.csv", "2,world")
	raw := artifact.Location{Store: root.Store, Key: "tf/raw"}
	d1, err := stepcache.ArtifactDigest(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	put("tf/raw/b.csv", "2,worle")
	if d2, _ := stepcache.ArtifactDigest(ctx, raw); d2 == d1 {
		t.Error("a changed byte kept the content digest")
	}
	committed := artifact.Location{Store: root.Store, Key: "tf/runs/r2/clean/tweets"}
	m, _ := artifact.ReadManifest(ctx, root.Store, committed.Key)
	if d, err := stepcache.ArtifactDigest(ctx, committed); err != nil || d != m.Digest() {
		t.Errorf("committed output digest %s (%v), want its manifest's %s", d, err, m.Digest())
	}
}

func TestLocalDigest(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("data/a.tsv", "1\tpositive\tgood")
	write("data/b.tsv", "2\tnegative\tbad")
	write("data/sub/c.tsv", "3\tneutral\tmeh")
	folder, err := stepcache.LocalDigest(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	glob, err := stepcache.LocalDigest(filepath.Join(dir, "data", "*.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if folder == glob {
		t.Error("a folder and a glob matching fewer files hash the same")
	}
	write("data/sub/c.tsv", "3\tneutral\tmeh!")
	if again, _ := stepcache.LocalDigest(filepath.Join(dir, "data")); again == folder {
		t.Error("a changed file kept the folder digest")
	}
	if again, _ := stepcache.LocalDigest(filepath.Join(dir, "data", "*.tsv")); again != glob {
		t.Error("a file outside the glob changed its digest")
	}
	if _, err := stepcache.LocalDigest(filepath.Join(dir, "nope", "*.csv")); err == nil {
		t.Error("a glob matching nothing hashed")
	}
	// A committed output folder hashes as its manifest.
	fs, _ := artifact.NewFS(dir)
	m := commit(t, fs, "ds", map[string]string{"part-0.parquet": "x"})
	if d, err := stepcache.LocalDigest(filepath.Join(dir, "ds")); err != nil || d != m.Digest() {
		t.Errorf("dataset folder digest %s (%v), want %s", d, err, m.Digest())
	}
}
