package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
)

// writeInput commits a generated, cleaned dataset as runs/<run>/clean/tweets.
func writeInput(t *testing.T, store *artifact.FS, run string, n int) {
	t.Helper()
	ctx := context.Background()
	out := artifact.NewOutput(store, artifact.OutputKey(run, "clean", "tweets"))
	w := stageio.DatasetWriter(ctx, out, 1000)
	for _, tw := range dataset.Generate(5, n, dataset.GenerateOptions{Labels: []string{"negative", "neutral", "positive", "other"}, Cleaned: true}) {
		if err := w.Write(&tw); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func runSplit(t *testing.T, dir, run string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	base := []string{"balance-split", "--store", dir, "--run-id", run, "--termination-log", "", "--progress", "none"}
	if code := component.Run(context.Background(), stages.BalanceSplit, runFn, append(base, args...), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	return out.String()
}

var runFn = run

func digests(t *testing.T, store *artifact.FS, run string) map[string]string {
	t.Helper()
	d := map[string]string{}
	for _, o := range outputs {
		m, err := artifact.ReadManifest(context.Background(), store, artifact.OutputKey(run, "balance-split", o))
		if err != nil {
			t.Fatal(err)
		}
		d[o] = m.Digest()
	}
	return d
}

func count(t *testing.T, store *artifact.FS, run, out string) map[string]int {
	t.Helper()
	c := map[string]int{}
	err := dataset.ReadOutput(context.Background(), store, artifact.OutputKey(run, "balance-split", out), func(tw *dataset.Tweet) error {
		c[tw.Label]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSplitDeterministicAndStratified(t *testing.T) {
	dir := t.TempDir()
	store, _ := artifact.NewFS(dir)
	writeInput(t, store, "r1", 5000)
	table := runSplit(t, dir, "r1", "--seed", "9")
	for _, want := range []string{"validation-balanced", "negative", "positive", "total"} {
		if !strings.Contains(table, want) {
			t.Errorf("class table lacks %q:\n%s", want, table)
		}
	}
	first := digests(t, store, "r1")
	runSplit(t, dir, "r1", "--seed", "9") // rerun replaces the outputs
	if again := digests(t, store, "r1"); !equal(first, again) {
		t.Fatalf("same seed, different bytes:\n%v\n%v", first, again)
	}
	runSplit(t, dir, "r1", "--seed", "10")
	if other := digests(t, store, "r1"); other["train"] == first["train"] {
		t.Fatal("a different seed gave the same training set")
	}

	total := map[string]int{}
	for _, o := range []string{"train", "validation", "test"} {
		for l, n := range count(t, store, "r1", o) {
			total[l] += n
		}
	}
	if total["other"] != 0 {
		t.Fatalf("three-class kept label other: %v", total)
	}
	train := count(t, store, "r1", "train")
	for l, n := range total {
		if got, want := float64(train[l])/float64(n), 0.8; got < want-0.01 || got > want+0.01 {
			t.Errorf("label %s: train share %.3f, want 0.8 (stratified)", l, got)
		}
	}
	bal := count(t, store, "r1", "validation-balanced")
	if bal["negative"] != bal["neutral"] || bal["neutral"] != bal["positive"] || bal["positive"] == 0 {
		t.Fatalf("balanced validation not balanced: %v", bal)
	}
}

func TestSplitBalanceAndBinary(t *testing.T) {
	dir := t.TempDir()
	store, _ := artifact.NewFS(dir)
	writeInput(t, store, "r2", 3000)
	runSplit(t, dir, "r2", "--labels", "binary", "--train-balance", "up")
	train := count(t, store, "r2", "train")
	if len(train) != 2 || train["negative"] != train["positive"] {
		t.Fatalf("binary up-sampled train = %v", train)
	}
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
