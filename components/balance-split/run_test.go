package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
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
	writeLabeled(t, store, run, n, []string{"negative", "neutral", "positive", "other"})
}

// writeLabeled is writeInput with rows labeled from labels ("" makes
// unlabeled rows).
func writeLabeled(t *testing.T, store *artifact.FS, run string, n int, labels []string) {
	t.Helper()
	ctx := context.Background()
	out := artifact.NewOutput(store, artifact.OutputKey(run, "clean", "tweets"))
	w := stageio.DatasetWriter(ctx, out, 1000)
	for _, tw := range dataset.Generate(5, n, dataset.GenerateOptions{Labels: labels, Cleaned: true}) {
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
	code, out, errs := runSplitCode(dir, run, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	return out
}

func runSplitCode(dir, run string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	base := []string{"balance-split", "--store", dir, "--run-id", run, "--termination-log", "", "--progress", "none"}
	code := component.Run(context.Background(), stages.BalanceSplit, runFn, append(base, args...), &out, &errb)
	return code, out.String(), errb.String()
}

var runFn = component.Typed(run)

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

func TestSplitExplicitLabelList(t *testing.T) {
	dir := t.TempDir()
	store, _ := artifact.NewFS(dir)
	emotions := []string{"anger", "joy", "optimism", "sadness", "fear"}
	writeLabeled(t, store, "e", 2000, emotions)
	table := runSplit(t, dir, "e", "--labels", "sadness, anger,joy,optimism")
	// The table's columns follow the list's order.
	header := strings.Fields(strings.SplitN(table, "\n", 2)[0])
	if want := []string{"split", "sadness", "anger", "joy", "optimism", "total"}; !slices.Equal(header, want) {
		t.Errorf("table header %q, want %q", header, want)
	}
	total := map[string]int{}
	for _, o := range []string{"train", "validation", "test"} {
		for l, n := range count(t, store, "e", o) {
			total[l] += n
		}
	}
	if len(total) != 4 || total["fear"] != 0 || total["anger"] == 0 {
		t.Fatalf("kept labels %v, want the 4 listed", total)
	}
	s := stagetestSummary(t, dir, "e")
	if s.Extra["dropped_other_labels"] == float64(0) {
		t.Errorf("no fear rows dropped: %v", s.Extra)
	}
}

// TestSplitUnlabeled: --labels none splits a dataset without labels at
// random, with fixed-size test and validation sets.
func TestSplitUnlabeled(t *testing.T) {
	dir := t.TempDir()
	store, _ := artifact.NewFS(dir)
	writeLabeled(t, store, "u", 1000, []string{""})

	// Without --labels none the error says what to do.
	code, _, errs := runSplitCode(dir, "u")
	if code == 0 || !strings.Contains(errs, "none of the 1000 rows has a label") || !strings.Contains(errs, "--labels none") {
		t.Fatalf("unlabeled data with three-class: exit %d, %s", code, errs)
	}

	runSplit(t, dir, "u", "--labels", "none", "--test-rows", "120", "--validation-rows", "80", "--seed", "3")
	sizes := map[string]int{}
	ids := map[string]bool{}
	for _, o := range outputs {
		err := dataset.ReadOutput(context.Background(), store, artifact.OutputKey("u", "balance-split", o), func(tw *dataset.Tweet) error {
			sizes[o]++
			if tw.Label != "" {
				t.Errorf("%s: row %s got label %q", o, tw.ID, tw.Label)
			}
			if o != "validation-balanced" {
				if ids[tw.ID] {
					t.Errorf("row %s in two outputs", tw.ID)
				}
				ids[tw.ID] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if want := map[string]int{"train": 800, "validation": 80, "validation-balanced": 80, "test": 120}; !maps.Equal(sizes, want) {
		t.Fatalf("sizes %v, want %v", sizes, want)
	}
	first := digests(t, store, "u")
	runSplit(t, dir, "u", "--labels", "none", "--test-rows", "120", "--validation-rows", "80", "--seed", "4")
	if other := digests(t, store, "u"); other["test"] == first["test"] {
		t.Error("another seed gave the same test set: not a random split")
	}
}

func TestSplitLabelErrors(t *testing.T) {
	dir := t.TempDir()
	store, _ := artifact.NewFS(dir)
	writeLabeled(t, store, "x", 200, []string{"AI", "OTHER"})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--labels", "AI"}, "--labels"},
		{[]string{"--labels", "AI,,OTHER"}, "label 2 is empty"},
		{[]string{"--labels", "ai,other"}, `no rows with labels ["ai" "other"]`},
		{[]string{"--labels", "AI,OTHER", "--test-rows", "150", "--validation-rows", "60"}, "150 test + 60 validation rows, but the data has 200 rows"},
	} {
		code, _, errs := runSplitCode(dir, "x", tc.args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr %s; want an error containing %q", tc.args, code, errs, tc.want)
		}
	}
	runSplit(t, dir, "x", "--labels", "all")
	if c := count(t, store, "x", "train"); len(c) != 2 || c["AI"] == 0 || c["OTHER"] == 0 {
		t.Errorf("all: train labels %v", c)
	}
}

func stagetestSummary(t *testing.T, dir, run string) component.Summary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(artifact.SummaryKey(run, "balance-split"))))
	if err != nil {
		t.Fatal(err)
	}
	var s component.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}
