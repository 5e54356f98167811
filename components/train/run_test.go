package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/labelset"
	"github.com/tweetflow/tweetflow/internal/model/classifier"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/model/word2vec"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
	"github.com/tweetflow/tweetflow/internal/testutil/synthcorpus"
)

var runFn = component.Typed(run)

// small is the training flags of the tests: a small, fast model.
var small = []string{"--dim", "16", "--buckets", "20000", "--epochs", "10", "--learning-rate", "0.5", "--threads", "1"}

// tiny is small with two epochs, for tests that do not judge quality.
var tiny = []string{"--dim", "16", "--buckets", "20000", "--epochs", "2", "--learning-rate", "0.5", "--threads", "1"}

// prepare commits a real split of part of the SemEval demo data (about
// 7,800 rows after cleaning, every second row kept) for run.
func prepare(t *testing.T, s *stagetest.Store, run string) stagetest.Prepared {
	t.Helper()
	dir := filepath.Join(stagetest.DemoData(t), "semeval")
	return s.Prepare(t, run, []string{filepath.Join(dir, "twitter-2013train-A.txt"), filepath.Join(dir, "twitter-2016train-A.txt")},
		stagetest.PrepareOptions{Seed: 7, Every: 2})
}

// modelArgs gives the inputs and output explicitly, so train runs without
// --run-id and without the vectors input (see TestTrainOptionalVectorsDefault).
func modelArgs(s *stagetest.Store, run, out string) []string {
	return []string{"--train", s.URI(run, "balance-split", "train"), "--validation", s.URI(run, "balance-split", "validation"),
		"--out-model", s.URI(out, "train", "model")}
}

// runNoID runs train without --run-id (the harness generates one).
func runNoID(t *testing.T, s *stagetest.Store, args ...string) stagetest.Result {
	t.Helper()
	return s.MustRun(t, stages.Train, runFn, "", args...)
}

func loadModel(t *testing.T, s *stagetest.Store, run string) *stageio.LoadedModel {
	t.Helper()
	lm, err := stageio.LoadModel(context.Background(), s.Loc(run, "train", "model"))
	if err != nil {
		t.Fatal(err)
	}
	return lm
}

func TestTrainWithoutVectors(t *testing.T) {
	s := stagetest.NewFS(t)
	p := prepare(t, s, "data")
	r := runNoID(t, s, append(modelArgs(s, "data", "m1"), small...)...)

	m := s.MustManifest(t, "m1", "train", "model")
	var names []string
	for _, f := range m.Files {
		names = append(names, f.Name)
	}
	if want := []string{"cleaner.json", "featurizer.json", "metadata.json", "vocab.txt", "weights.bin"}; !slices.Equal(names, want) {
		t.Fatalf("model folder has %v, want %v", names, want)
	}
	lm := loadModel(t, s, "m1")
	md := lm.Meta
	if !slices.Equal(md.Labels, labelset.ThreeClassLabels) || !slices.Equal(lm.Model.Labels(), labelset.ThreeClassLabels) {
		t.Errorf("labels %v / %v, want %v", md.Labels, lm.Model.Labels(), labelset.ThreeClassLabels)
	}
	if md.Dim != 16 || lm.Model.Dim() != 16 || md.Featurizer.Buckets != 20000 {
		t.Errorf("dim %d, buckets %d; want 16 and 20000", md.Dim, md.Featurizer.Buckets)
	}
	// model_version is the run ID, here the generated one.
	if !strings.HasPrefix(md.ModelVersion, "local-") || !strings.Contains(r.Stderr, "run_id="+md.ModelVersion) {
		t.Errorf("model_version %q is not the run ID:\n%s", md.ModelVersion, r.Stderr)
	}
	checkData(t, s, md, "data", map[string]int{"train": p.Train, "validation": p.Validation})
	if lm.Cleaner != p.Cleaner {
		t.Errorf("model cleaner %+v, want the dataset's %+v", lm.Cleaner, p.Cleaner)
	}
	// Better than chance on the validation set (3 classes): the model learnt.
	if rec := md.Metrics["validation_macro_recall"]; rec < 0.45 {
		t.Errorf("validation macro recall %.3f, want > 0.45", rec)
	}
	if md.Training == nil || md.Training.BestEpoch < 1 || len(md.Training.Epochs) > 10 {
		t.Errorf("training record %+v", md.Training)
	}
}

// checkData compares the data digests of the metadata with the manifests
// of the inputs.
func checkData(t *testing.T, s *stagetest.Store, md *classifier.Metadata, run string, rows map[string]int) {
	t.Helper()
	got := map[string]classifier.DataDigest{}
	for _, d := range md.Data {
		got[d.Name] = d
	}
	if len(got) != len(rows) {
		t.Errorf("metadata data %+v, want %d entries", md.Data, len(rows))
	}
	for name, n := range rows {
		d := got[name]
		step, out := "balance-split", name
		if name == "vectors" {
			step = "embed"
		}
		want := s.MustManifest(t, run, step, out).Digest()
		if d.Digest != want || d.Rows != n || d.URI != s.URI(run, step, out) {
			t.Errorf("data %s = %+v, want digest %s, %d rows, uri %s", name, d, want, n, s.URI(run, step, out))
		}
	}
}

// writeVectors trains small word2vec vectors on the training set with
// the library embed uses and commits them as runs/<run>/embed/vectors.
func writeVectors(t *testing.T, s *stagetest.Store, run string, rows []dataset.Tweet, dim int) *word2vec.Model {
	t.Helper()
	ctx := context.Background()
	m, err := word2vec.Train(ctx, func(yield func([]string) bool) {
		for _, tw := range rows {
			if !yield(featurize.Tokenize(tw.CleanText)) {
				return
			}
		}
	}, word2vec.WithDim(dim), word2vec.WithEpochs(1), word2vec.WithThreads(1), word2vec.WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	l := s.Loc(run, "embed", "vectors")
	out := artifact.NewOutput(l.Store, l.Key)
	if err := stageio.WriteWith(ctx, out, VectorsFile, m.WriteBinary); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTrainWithVectors(t *testing.T) {
	s := stagetest.NewFS(t)
	p := prepare(t, s, "v")
	vec := writeVectors(t, s, "v", p.TrainRows, 12)
	// With --run-id every input defaults to the run's artifacts.
	s.MustRun(t, stages.Train, runFn, "v", small...)
	lm := loadModel(t, s, "v")
	if lm.Model.Dim() != 12 || lm.Meta.Dim != 12 {
		t.Errorf("model dim %d, want the vectors' 12 (not --dim 16)", lm.Model.Dim())
	}
	if lm.Meta.ModelVersion != "v" {
		t.Errorf("model_version %q, want the run ID v", lm.Meta.ModelVersion)
	}
	checkData(t, s, lm.Meta, "v", map[string]int{"train": p.Train, "validation": p.Validation, "vectors": vec.Len()})
	if rec := lm.Meta.Metrics["validation_macro_recall"]; rec < 0.45 {
		t.Errorf("validation macro recall %.3f, want > 0.45", rec)
	}
}

// TestTrainOptionalVectorsDefault: with --run-id, the optional vectors
// input defaults to the run's embed output only when embed ran; otherwise
// train trains without vectors.
func TestTrainOptionalVectorsDefault(t *testing.T) {
	s := stagetest.NewFS(t)
	prepare(t, s, "nv")
	r := s.Run(t, stages.Train, runFn, "nv", small...)
	if r.Code != 0 {
		t.Fatalf("train without an embed output failed (exit %d): %s", r.Code, lastLine(r.Stderr))
	}
	if lm := loadModel(t, s, "nv"); lm.Model.Dim() != 16 {
		t.Errorf("dim %d, want 16", lm.Model.Dim())
	}
}

func lastLine(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return l[len(l)-1]
}

func TestTrainDeterministicWithOneThread(t *testing.T) {
	s := stagetest.NewFS(t)
	prepare(t, s, "d")
	runNoID(t, s, append(modelArgs(s, "d", "d1"), tiny...)...)
	runNoID(t, s, append(modelArgs(s, "d", "d2"), tiny...)...)
	runNoID(t, s, append(modelArgs(s, "d", "d3"), append(tiny, "--seed", "2")...)...)
	sums := func(run string) map[string]string {
		out := map[string]string{}
		for _, f := range s.MustManifest(t, run, "train", "model").Files {
			out[f.Name] = f.SHA256
		}
		return out
	}
	a, b, c := sums("d1"), sums("d2"), sums("d3")
	for _, f := range []string{classifier.WeightsFile, classifier.VocabFile, classifier.FeaturizerFile} {
		if a[f] != b[f] {
			t.Errorf("%s differs between two runs with --threads 1", f)
		}
	}
	if a[classifier.WeightsFile] == c[classifier.WeightsFile] {
		t.Error("a different --seed gave identical weights")
	}
}

func TestTrainBinaryLabels(t *testing.T) {
	s := stagetest.NewFS(t)
	p := prepare(t, s, "b")
	runNoID(t, s, append(modelArgs(s, "b", "b"), append(tiny, "--labels", "binary")...)...)
	lm := loadModel(t, s, "b")
	if !slices.Equal(lm.Model.Labels(), []string{"negative", "positive"}) || !slices.Equal(lm.Meta.Labels, lm.Model.Labels()) {
		t.Fatalf("labels %v / %v, want negative, positive", lm.Model.Labels(), lm.Meta.Labels)
	}
	if pr := lm.Model.PredictText("i love this so much"); len(pr) != 2 {
		t.Fatalf("binary model gives %d probabilities", len(pr))
	}
	if lm.Meta.PositiveLabel != "positive" {
		t.Errorf("binary model's positive label %q, want positive", lm.Meta.PositiveLabel)
	}
	binary := 0
	for _, tw := range p.TrainRows {
		if tw.Label != "neutral" {
			binary++
		}
	}
	for _, d := range lm.Meta.Data {
		if d.Name == "train" && d.Rows != binary {
			t.Errorf("trained on %d rows, the split has %d negative or positive ones", d.Rows, binary)
		}
	}
}

func TestTrainUsageErrors(t *testing.T) {
	s := stagetest.NewFS(t)
	prepare(t, s, "u")
	for _, args := range [][]string{{"--char-ngrams", "x-y"}, {"--labels", "five"}, {"--dim", "0"}} {
		r := s.Run(t, stages.Train, runFn, "u", append(modelArgs(s, "u", "u"), args...)...)
		if r.Code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, r.Code, r.Stderr)
		}
	}
	if _, ok := s.Manifest(t, "u", "train", "model"); ok {
		t.Error("a usage error committed a model")
	}
}

// writeSplit commits synthetic train and validation sets for run.
func writeSplit(t *testing.T, s *stagetest.Store, run string, train, valid []dataset.Tweet) {
	t.Helper()
	s.WriteTweets(t, run, "balance-split", "train", train)
	s.WriteTweets(t, run, "balance-split", "validation", valid)
}

// TestTrainExplicitLabelList trains the 4-class emotion-like set: the
// model's classes follow the list's order, and it learns them.
func TestTrainExplicitLabelList(t *testing.T) {
	s := stagetest.NewFS(t)
	rows := synthcorpus.Generate(1, 2500, synthcorpus.Emotions, synthcorpus.Options{})
	writeSplit(t, s, "e", rows[:2000], rows[2000:])
	order := []string{"sadness", "anger", "joy", "optimism"}
	runNoID(t, s, append(modelArgs(s, "e", "e"), append(small, "--labels", strings.Join(order, ","))...)...)
	lm := loadModel(t, s, "e")
	if !slices.Equal(lm.Model.Labels(), order) || !slices.Equal(lm.Meta.Labels, order) {
		t.Fatalf("labels %v / %v, want %v", lm.Model.Labels(), lm.Meta.Labels, order)
	}
	if lm.Meta.PositiveLabel != "" {
		t.Errorf("a 4-class model has positive label %q", lm.Meta.PositiveLabel)
	}
	if rec := lm.Meta.Metrics["validation_macro_recall"]; rec < 0.8 {
		t.Errorf("validation macro recall %.3f, want >= 0.8 on the synthetic corpus", rec)
	}
	for text, want := range map[string]string{"so furious and outraged today": "anger", "crying again, i miss you": "sadness",
		"hopeful about the future": "optimism", "party time, thrilled": "joy"} {
		p := lm.Model.PredictText(text)
		if got := order[slices.Index(p, slices.Max(p))]; got != want {
			t.Errorf("%q predicted %s (%v), want %s", text, got, p, want)
		}
	}
}

// TestTrainAllAndPositiveLabel: "all" takes the training set's labels,
// sorted; a two-class list records its first label as the positive one
// unless --positive-label names another.
func TestTrainAllAndPositiveLabel(t *testing.T) {
	s := stagetest.NewFS(t)
	rows := synthcorpus.Generate(2, 600, []string{"OTHER", "AI"}, synthcorpus.Options{})
	writeSplit(t, s, "a", rows[:500], rows[500:])
	for _, tc := range []struct {
		args     []string
		labels   []string
		positive string
	}{
		{[]string{"--labels", "all"}, []string{"AI", "OTHER"}, ""},
		{[]string{"--labels", "OTHER,AI"}, []string{"OTHER", "AI"}, "OTHER"},
		{[]string{"--labels", "AI,OTHER", "--positive-label", "OTHER"}, []string{"AI", "OTHER"}, "OTHER"},
		{[]string{"--labels", "AI,OTHER"}, []string{"AI", "OTHER"}, "AI"},
	} {
		runNoID(t, s, append(modelArgs(s, "a", "a"), append(tiny, tc.args...)...)...)
		lm := loadModel(t, s, "a")
		if !slices.Equal(lm.Model.Labels(), tc.labels) || lm.Meta.PositiveLabel != tc.positive {
			t.Errorf("%q: labels %v positive %q, want %v %q", tc.args, lm.Model.Labels(), lm.Meta.PositiveLabel, tc.labels, tc.positive)
		}
	}
}

// TestTrainNeedsLabeledData: unlabeled data and data without the chosen
// labels fail with errors that say what to do; bad label flags are usage
// errors.
func TestTrainNeedsLabeledData(t *testing.T) {
	s := stagetest.NewFS(t)
	rows := synthcorpus.Generate(3, 300, []string{"AI", "OTHER"}, synthcorpus.Options{})
	unlabeled := slices.Clone(rows)
	for i := range unlabeled {
		unlabeled[i].Label = ""
	}
	writeSplit(t, s, "u", unlabeled[:250], unlabeled[250:])
	writeSplit(t, s, "o", rows[:250], rows[250:])
	for _, tc := range []struct {
		run  string
		args []string
		code int
		want string
	}{
		{"u", []string{"--labels", "AI,OTHER"}, 1, "none of the 250 rows has a label: run the label stage"},
		{"u", []string{"--labels", "all"}, 1, "none of the 250 rows has a label: run the label stage"},
		{"o", nil, 1, `no row has one of the labels ["negative" "neutral" "positive"]`},
		{"o", nil, 1, "pick --labels"},
		{"o", []string{"--labels", "none"}, 2, "train needs labeled data"},
		{"o", []string{"--labels", "AI"}, 2, "--labels"},
		{"o", []string{"--labels", "AI,OTHER", "--positive-label", "ai"}, 2, `--positive-label: positive label "ai" is not one of the labels ["AI" "OTHER"]`},
		{"o", []string{"--labels", "AI,OTHER,MAYBE", "--positive-label", "AI"}, 2, "only a two-class model"},
	} {
		r := s.Run(t, stages.Train, runFn, tc.run, append(modelArgs(s, tc.run, tc.run), append(tiny, tc.args...)...)...)
		if r.Code != tc.code || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%s %q: exit %d, want %d and %q in:\n%s", tc.run, tc.args, r.Code, tc.code, tc.want, r.Stderr)
		}
	}
	if _, ok := s.Manifest(t, "u", "train", "model"); ok {
		t.Error("unlabeled data committed a model")
	}
}
