package shard_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/testutil/miniotest"
	"github.com/tweetflow/tweetflow/pipelines/shard"
)

func TestPlanLocal(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.csv", "a.csv", "sub/c.tsv", "README.md", "_SUCCESS.json"} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "empty.csv"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var empty []string
	items, err := shard.Plan(context.Background(), []string{dir, filepath.Join(dir, "a.csv")}, artifact.NewResolver(artifact.S3Config{}), func(p string) { empty = append(empty, p) })
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, it := range items {
		if it.Index != shard.Index(i) {
			t.Errorf("item %d has index %q", i, it.Index)
		}
		got = append(got, strings.TrimPrefix(it.URI, dir+"/"))
	}
	// Ingest's order, each file once, no README or underscore files.
	if strings.Join(got, ",") != "a.csv,b.csv,sub/c.tsv" {
		t.Errorf("plan %v", got)
	}
	// An empty file gets no item (its shard would fail) but a warning.
	if len(empty) != 1 || empty[0] != filepath.Join(dir, "empty.csv") {
		t.Errorf("empty files reported: %v, want [%s]", empty, filepath.Join(dir, "empty.csv"))
	}
	if _, err := shard.Plan(context.Background(), []string{filepath.Join(dir, "*.parquet")}, artifact.NewResolver(artifact.S3Config{}), nil); !errors.Is(err, shard.ErrBadSources) {
		t.Errorf("a glob matching nothing: %v, want ErrBadSources", err)
	}
	// Only empty files: the plan fails, naming them.
	_, err = shard.Plan(context.Background(), []string{filepath.Join(dir, "empty.csv")}, artifact.NewResolver(artifact.S3Config{}), nil)
	if !errors.Is(err, shard.ErrBadSources) || !strings.Contains(err.Error(), "every source is empty") || !strings.Contains(err.Error(), "empty.csv") {
		t.Errorf("only empty files: %v, want ErrBadSources naming empty.csv", err)
	}
}

func commitShard(t *testing.T, store artifact.Store, prefix string, files map[string]string) {
	t.Helper()
	o := artifact.NewOutput(store, prefix)
	o.SetMeta("schema", "tweet-v1")
	for n, c := range files {
		if err := o.WriteFile(context.Background(), n, strings.NewReader(c)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := o.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestGather(t *testing.T) {
	ctx := context.Background()
	fs, err := artifact.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out := artifact.Location{Store: fs, Key: "runs/r/ingest/tweets"}
	commitShard(t, fs, out.Key+"/shard-0000", map[string]string{"part-00000.parquet": "a", "part-00001.parquet": "b"})
	commitShard(t, fs, out.Key+"/shard-0001", map[string]string{"part-00000.parquet": "c"})
	if _, err := shard.Gather(ctx, out, 3); err == nil || !strings.Contains(err.Error(), "shard 2") {
		t.Errorf("a missing shard: %v", err)
	}
	if _, err := artifact.ReadManifest(ctx, fs, out.Key); err == nil {
		t.Error("a failed gather published a manifest")
	}
	m, err := shard.Gather(ctx, out, 2)
	if err != nil {
		t.Fatal(err)
	}
	read, err := artifact.ReadManifest(ctx, fs, out.Key)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range read.Files {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "shard-0000/part-00000.parquet,shard-0000/part-00001.parquet,shard-0001/part-00000.parquet" ||
		read.Meta["schema"] != "tweet-v1" || read.Meta["shards"] != "2" || read.Digest() != m.Digest() {
		t.Errorf("gathered manifest %+v", read)
	}
}

func TestPlanS3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MinIO")
	}
	srv := miniotest.Start(t)
	ctx := context.Background()
	root, err := artifact.NewResolver(srv.Config()).Resolve(ctx, "s3://"+srv.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"raw/2.csv", "raw/1.csv", "raw/_tmp"} {
		w, err := root.Store.Create(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(k))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	items, err := shard.Plan(ctx, []string{"s3://" + srv.Bucket + "/raw"}, artifact.NewResolver(srv.Config()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].URI != "s3://"+srv.Bucket+"/raw/1.csv" || items[1].Index != "0001" {
		t.Errorf("items %+v", items)
	}
}

// TestPlanDataset: a gathered dataset plans one item per shard folder, in
// order; a dataset that was not gathered plans itself; an uncommitted one
// fails.
func TestPlanDataset(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	fs, err := artifact.NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	out := artifact.Location{Store: fs, Key: "runs/r/clean-map/tweets"}
	for i := range 3 {
		commitShard(t, fs, out.Key+"/"+shard.Dir(shard.Index(i)), map[string]string{"part-00000.parquet": fmt.Sprint(i)})
	}
	if _, err := shard.PlanDataset(ctx, out.URI(), artifact.NewResolver(artifact.S3Config{})); err == nil {
		t.Error("planned an output that is not gathered (nor committed)")
	}
	if _, err := shard.Gather(ctx, out, 3); err != nil {
		t.Fatal(err)
	}
	items, err := shard.PlanDataset(ctx, out.URI(), artifact.NewResolver(artifact.S3Config{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 {
		t.Fatalf("planned %d items, want 3: %+v", len(items), items)
	}
	for i, it := range items {
		if it.Index != shard.Index(i) {
			t.Errorf("item %d: index %q", i, it.Index)
		}
		// Each item is a committed dataset of its own.
		loc, err := artifact.NewResolver(artifact.S3Config{}).Resolve(ctx, it.URI)
		if err != nil {
			t.Fatal(err)
		}
		m, err := artifact.ReadManifest(ctx, loc.Store, loc.Key)
		if err != nil {
			t.Fatalf("item %d %q: %v", i, it.URI, err)
		}
		if len(m.Files) != 1 || m.Files[0].Name != "part-00000.parquet" {
			t.Errorf("item %d %q: files %+v", i, it.URI, m.Files)
		}
	}
	single := artifact.Location{Store: fs, Key: "runs/r/clean-map/tweets/shard-0001"}
	items, err = shard.PlanDataset(ctx, single.URI(), artifact.NewResolver(artifact.S3Config{}))
	if err != nil || len(items) != 1 || items[0].URI != single.URI() || items[0].Index != "0000" {
		t.Errorf("a dataset not gathered: %+v, %v; want itself", items, err)
	}
}

// TestPlanDatabase: a PostgreSQL table source is one shard, in order
// with the files around it.
func TestPlanDatabase(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.csv")
	if err := os.WriteFile(a, []byte("text\nhi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := "postgres://u@h/db?table=raw_tweet_dataset_0"
	items, err := shard.Plan(context.Background(), []string{db, a}, artifact.NewResolver(artifact.S3Config{}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].URI != db || items[1].URI != a {
		t.Errorf("plan %+v", items)
	}
}
