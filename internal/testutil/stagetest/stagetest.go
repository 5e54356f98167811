package stagetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/tweetflow/tweetflow/internal/testutil/shareddata"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/testutil/miniotest"
)

// Store is an artifact store a test runs components against.
type Store struct {
	// Root is the --store value, e.g. a folder or s3://bucket/prefix.
	Root string
	// Store and Key address the root: run outputs live under
	// path.Join(Key, artifact.OutputKey(...)) in Store.
	Store artifact.Store
	Key   string
	// Flags are added to every run (S3 connection flags for NewS3).
	Flags []string
	// Dir is the local folder of an FS store, "" for S3.
	Dir string
}

// NewFS returns a store in a fresh temporary folder.
func NewFS(t testing.TB) *Store {
	t.Helper()
	dir := t.TempDir()
	fs, err := artifact.NewFS(dir)
	if err != nil {
		t.Fatalf("opening FS store %q: %v", dir, err)
	}
	return &Store{Root: dir, Store: fs, Dir: dir}
}

// NewS3 returns a store rooted at s3://<srv.Bucket>/<prefix> on a MinIO
// server, with the connection flags every run needs.
func NewS3(t testing.TB, srv *miniotest.Server, prefix string) *Store {
	t.Helper()
	prefix = strings.Trim(prefix, "/")
	st, err := artifact.NewS3(context.Background(), srv.Bucket, srv.Config())
	if err != nil {
		t.Fatalf("opening S3 store %q: %v", srv.Bucket, err)
	}
	root := "s3://" + srv.Bucket
	if prefix != "" {
		root += "/" + prefix
	}
	return &Store{Root: root, Store: st, Key: prefix, Flags: S3Flags(srv)}
}

// S3Flags are the component flags that reach a MinIO server.
func S3Flags(srv *miniotest.Server) []string {
	c := srv.Config()
	return []string{"--s3-endpoint", srv.URL(), "--s3-region", c.Region, "--s3-access-key", c.AccessKey,
		"--s3-secret-key", c.SecretKey, "--s3-path-style"}
}

// Result is what a component run returned.
type Result struct {
	Code   int
	Stdout string
	Stderr string
}

// Args returns the common arguments of a run of component name in the
// store: store root, run ID (none when runID is "": the harness generates
// one), no progress, no termination log, text logs and the store's flags.
func (s *Store) Args(name, runID string) []string {
	a := []string{name, "--store", s.Root, "--progress", "none", "--termination-log", "", "--log-format", "text"}
	if runID != "" {
		a = append(a, "--run-id", runID)
	}
	return append(a, s.Flags...)
}

// Run runs the component in-process through component.Run with the
// store's common arguments plus args, and returns its exit code and output.
func (s *Store) Run(t testing.TB, c component.Contract, run component.RunFunc, runID string, args ...string) Result {
	t.Helper()
	var out, errb bytes.Buffer
	code := component.Run(context.Background(), c, run, append(s.Args(c.Name, runID), args...), &out, &errb)
	return Result{Code: code, Stdout: out.String(), Stderr: errb.String()}
}

// MustRun is Run that fails the test unless the exit code is 0.
func (s *Store) MustRun(t testing.TB, c component.Contract, run component.RunFunc, runID string, args ...string) Result {
	t.Helper()
	r := s.Run(t, c, run, runID, args...)
	if r.Code != 0 {
		t.Fatalf("%s %s: exit code %d\nstdout:\n%s\nstderr:\n%s", c.Name, strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r
}

// Loc is the location of output of step in run.
func (s *Store) Loc(runID, step, output string) artifact.Location {
	return artifact.Location{Store: s.Store, Key: s.key(artifact.OutputKey(runID, step, output))}
}

// URI is the URI of output of step in run, as a flag value.
func (s *Store) URI(runID, step, output string) string { return s.Loc(runID, step, output).URI() }

func (s *Store) key(k string) string {
	if s.Key == "" {
		return k
	}
	return path.Join(s.Key, k)
}

// Manifest returns the manifest of a committed output; ok is false when the
// output is not committed.
func (s *Store) Manifest(t testing.TB, runID, step, output string) (m *artifact.Manifest, ok bool) {
	t.Helper()
	l := s.Loc(runID, step, output)
	m, err := artifact.ReadManifest(context.Background(), l.Store, l.Key)
	if errors.Is(err, artifact.ErrNotCommitted) {
		return nil, false
	}
	if err != nil {
		t.Fatalf("reading manifest of %s: %v", l.URI(), err)
	}
	return m, true
}

// MustManifest returns the manifest of a committed output or fails the test.
func (s *Store) MustManifest(t testing.TB, runID, step, output string) *artifact.Manifest {
	t.Helper()
	m, ok := s.Manifest(t, runID, step, output)
	if !ok {
		t.Fatalf("output %s is not committed", s.URI(runID, step, output))
	}
	return m
}

// Tweets reads every row of a committed dataset output.
func (s *Store) Tweets(t testing.TB, runID, step, output string) []dataset.Tweet {
	t.Helper()
	l := s.Loc(runID, step, output)
	var out []dataset.Tweet
	err := dataset.ReadOutput(context.Background(), l.Store, l.Key, func(tw *dataset.Tweet) error {
		c := *tw
		c.URLs = append([]string(nil), tw.URLs...)
		out = append(out, c)
		return nil
	})
	if err != nil {
		t.Fatalf("reading dataset %s: %v", l.URI(), err)
	}
	return out
}

// File reads file name of a committed output.
func (s *Store) File(t testing.TB, runID, step, output, name string) []byte {
	t.Helper()
	l := s.Loc(runID, step, output)
	r, err := l.Store.Open(context.Background(), path.Join(l.Key, name))
	if err != nil {
		t.Fatalf("opening %s/%s: %v", l.URI(), name, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading %s/%s: %v", l.URI(), name, err)
	}
	return b
}

// Keys lists every object key (relative to the store root) under the
// output of step in run, including staging areas.
func (s *Store) Keys(t testing.TB, runID, step, output string) []string {
	t.Helper()
	l := s.Loc(runID, step, output)
	objs, err := l.Store.List(context.Background(), l.Key+"/")
	if err != nil {
		t.Fatalf("listing %s: %v", l.URI(), err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, strings.TrimPrefix(o.Key, l.Key+"/"))
	}
	return keys
}

// Summary reads the run summary (_summary.json) of step in run.
func (s *Store) Summary(t testing.TB, runID, step string) component.Summary {
	t.Helper()
	key := s.key(artifact.SummaryKey(runID, step))
	r, err := s.Store.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("opening summary %s: %v", s.Store.URI(key), err)
	}
	defer r.Close()
	var sum component.Summary
	if err := json.NewDecoder(r).Decode(&sum); err != nil {
		t.Fatalf("decoding summary %s: %v", s.Store.URI(key), err)
	}
	return sum
}

// ExtraFile is an additional file of an output WriteTweets commits.
type ExtraFile struct {
	Name string
	Data []byte
}

// WriteFiles commits files (name -> content) as the output step/output
// of runID, e.g. an exported model folder.
func (s *Store) WriteFiles(t testing.TB, runID, step, output string, files map[string][]byte) *artifact.Manifest {
	t.Helper()
	ctx := context.Background()
	l := s.Loc(runID, step, output)
	out := artifact.NewOutput(l.Store, l.Key)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := out.WriteFile(ctx, name, bytes.NewReader(files[name])); err != nil {
			t.Fatalf("writing %s/%s: %v", l.URI(), name, err)
		}
	}
	m, err := out.Commit(ctx)
	if err != nil {
		t.Fatalf("committing %s: %v", l.URI(), err)
	}
	return m
}

// WriteTweets commits tweets as the dataset output of step in run (e.g.
// "clean"/"tweets"), with any extra files beside the shards, as if that
// stage had written it.
func (s *Store) WriteTweets(t testing.TB, runID, step, output string, tweets []dataset.Tweet, extra ...ExtraFile) *artifact.Manifest {
	t.Helper()
	ctx := context.Background()
	l := s.Loc(runID, step, output)
	out := artifact.NewOutput(l.Store, l.Key)
	w := stageio.DatasetWriter(ctx, out, 100000)
	for i := range tweets {
		if err := w.Write(&tweets[i]); err != nil {
			t.Fatalf("writing dataset %s: %v", l.URI(), err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("writing dataset %s: %v", l.URI(), err)
	}
	for _, f := range extra {
		if err := out.WriteFile(ctx, f.Name, bytes.NewReader(f.Data)); err != nil {
			t.Fatalf("writing %s/%s: %v", l.URI(), f.Name, err)
		}
	}
	m, err := out.Commit(ctx)
	if err != nil {
		t.Fatalf("committing %s: %v", l.URI(), err)
	}
	return m
}

// WriteGenerated commits n generated tweets (dataset.Generate) as the
// dataset output of step in run.
func (s *Store) WriteGenerated(t testing.TB, runID, step, output string, seed uint64, n int, opts dataset.GenerateOptions) []dataset.Tweet {
	t.Helper()
	tw := dataset.Generate(seed, n, opts)
	s.WriteTweets(t, runID, step, output, tw)
	return tw
}

// ReadResults reads every file of a --results-dir folder as name -> value.
func ReadResults(t testing.TB, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("reading results folder %q: %v", dir, err)
	}
	res := map[string]string{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatalf("reading result %q: %v", e.Name(), err)
		}
		res[e.Name()] = string(b)
	}
	return res
}

// RepoRoot is the repository root: the folder holding go.mod
// (shareddata.RepoRoot).
func RepoRoot(t testing.TB) string {
	t.Helper()
	return shareddata.RepoRoot(t)
}

// DemoData is the repository's testdata/demo folder (SemEval demo files in
// semeval/, sample.jsonl).
func DemoData(t testing.TB) string {
	t.Helper()
	return filepath.Join(RepoRoot(t), "testdata", "demo")
}

// EnvSharedData overrides the location of the shared real data.
const EnvSharedData = shareddata.EnvSharedData

// EnvRequireData makes a missing shared dataset fail a test instead of
// skipping it.
const EnvRequireData = shareddata.EnvRequireData

// SharedData returns the shared real data folder (the one holding
// semeval2017-task4a/, sentiment140/ and nltk-twitter-samples/), or skips
// the test when it is missing: env TWEETFLOW_SHARED_DATA, else
// ../shared/data beside the repository root, else /work/shared/data.
func SharedData(t testing.TB) string {
	t.Helper()
	return filepath.Dir(SharedDataset(t, "semeval2017-task4a", ""))
}

// SharedDataset is shareddata.Dir: the folder of one shared dataset.
func SharedDataset(t testing.TB, name, file string) string {
	t.Helper()
	return shareddata.Dir(t, name, file)
}
