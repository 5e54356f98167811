package stagetest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/testutil/miniotest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

func TestMain(m *testing.M) { miniotest.Main(m) }

// copyStage copies its dataset input to its output, or fails on request.
var copyStage = component.Contract{
	Name: "copy", Summary: "copy a dataset",
	Params:  []component.Param{{Name: "fail", Type: component.Bool, Default: "false", Description: "Fail after writing."}},
	Inputs:  []component.Artifact{{Name: "tweets", Kind: component.Dataset, From: "source/tweets", Description: "input"}},
	Outputs: []component.Artifact{{Name: "tweets", Kind: component.Dataset, Description: "output"}},
}

func copyRun(ctx context.Context, env *component.Env) error {
	in, _ := env.Input("tweets")
	out := env.Output("tweets")
	if err := out.WriteFile(ctx, "note.txt", strings.NewReader("copied\n")); err != nil {
		return err
	}
	w := stageio.DatasetWriter(ctx, out, 1000)
	var n int64
	err := dataset.ReadOutput(ctx, in.Store, in.Key, func(t *dataset.Tweet) error {
		n++
		return w.Write(t)
	})
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	env.AddRows(n, n)
	if env.Bool("fail") {
		return errors.New("asked to fail")
	}
	return nil
}

func testStore(t *testing.T, s *stagetest.Store) {
	tw := s.WriteGenerated(t, "r", "source", "tweets", 3, 50, dataset.GenerateOptions{})
	r := s.MustRun(t, copyStage, copyRun, "r")
	if r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	got := s.Tweets(t, "r", "copy", "tweets")
	if len(got) != len(tw) || got[7].ID != tw[7].ID || got[7].Text != tw[7].Text {
		t.Fatalf("copied %d rows, want %d equal rows", len(got), len(tw))
	}
	if string(s.File(t, "r", "copy", "tweets", "note.txt")) != "copied\n" {
		t.Error("note.txt not read back")
	}
	if sum := s.Summary(t, "r", "copy"); sum.RowsOut != 50 || sum.Status != "succeeded" || sum.RunID != "r" {
		t.Errorf("summary %+v", sum)
	}

	r = s.Run(t, copyStage, copyRun, "bad", "--tweets", s.URI("r", "source", "tweets"), "--fail")
	if r.Code != 1 || !strings.Contains(r.Stderr, "asked to fail") {
		t.Fatalf("failing run: exit %d\n%s", r.Code, r.Stderr)
	}
	if _, ok := s.Manifest(t, "bad", "copy", "tweets"); ok {
		t.Error("failed run committed")
	}
	if keys := s.Keys(t, "bad", "copy", "tweets"); len(keys) != 0 {
		t.Errorf("failed run left %v", keys)
	}
	if r := s.Run(t, copyStage, copyRun, "", "--no-such-flag"); r.Code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", r.Code)
	}
}

func TestFSStore(t *testing.T) { testStore(t, stagetest.NewFS(t)) }

func TestS3Store(t *testing.T) {
	srv := miniotest.Shared(t)
	s := stagetest.NewS3(t, srv, "some/prefix")
	if s.Root != "s3://"+srv.Bucket+"/some/prefix" {
		t.Fatalf("root %q", s.Root)
	}
	testStore(t, s)
}

func TestSharedDataFromEnv(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "semeval2017-task4a"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(stagetest.EnvSharedData, dir)
	if got := stagetest.SharedData(t); got != dir {
		t.Errorf("SharedData = %q, want %q", got, dir)
	}
}

func TestRepoRootAndDemoData(t *testing.T) {
	root := stagetest.RepoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(stagetest.DemoData(t), "sample.jsonl")); err != nil {
		t.Fatal(err)
	}
}

func TestPrepareAndTrainModel(t *testing.T) {
	s := stagetest.NewFS(t)
	p := s.Prepare(t, "p", []string{filepath.Join(stagetest.DemoData(t), "semeval", "twitter-2016dev-A.txt")}, stagetest.PrepareOptions{Seed: 1})
	if p.Ingested != 1999 || p.Cleaned >= p.Ingested || p.Train+p.Validation+p.Test != p.Cleaned {
		t.Fatalf("prepared %+v", p)
	}
	for out, n := range map[string]int{"train": p.Train, "validation": p.Validation, "validation-balanced": p.ValidationBalanced, "test": p.Test} {
		if got := len(s.Tweets(t, "p", "balance-split", out)); got != n {
			t.Errorf("%s: %d rows committed, want %d", out, got, n)
		}
	}
	m := s.TrainModel(t, "p", p, stagetest.ModelOptions{Epochs: 2})
	if len(m.Labels()) != 3 {
		t.Errorf("labels %v", m.Labels())
	}
	s.MustManifest(t, "p", "train", "model")
}
