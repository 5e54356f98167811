package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/model/classifier"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/miniotest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
	"github.com/tweetflow/tweetflow/internal/testutil/synthcorpus"
	"github.com/tweetflow/tweetflow/internal/text"
)

var runFn = component.Typed(run)

const debianPython = "/usr/bin/python3" // has sklearn (python3-sklearn)

// setup commits a real split of part of the SemEval demo data and a small
// model trained on it, both in run.
func setup(t *testing.T, s *stagetest.Store, run string, labels []string) (stagetest.Prepared, *classifier.Model) {
	t.Helper()
	dir := filepath.Join(stagetest.DemoData(t), "semeval")
	p := s.Prepare(t, run, []string{filepath.Join(dir, "twitter-2013train-A.txt")},
		stagetest.PrepareOptions{Seed: 3})
	m := s.TrainModel(t, run, p, stagetest.ModelOptions{Labels: labels})
	return p, m
}

// score is an independent computation of accuracy and macro recall of m
// on rows, from the model's own predictions.
type score struct {
	n                     int
	accuracy, macroRecall float64
	y                     []int
	proba                 [][]float32
}

func scoreRows(m *classifier.Model, cl *text.Cleaner, rows []dataset.Tweet) score {
	idx := map[string]int{}
	for i, l := range m.Labels() {
		idx[l] = i
	}
	k := len(m.Labels())
	hit, tot := make([]int, k), make([]int, k)
	var s score
	for _, tw := range rows {
		c, ok := idx[tw.Label]
		if !ok {
			continue
		}
		ct := tw.CleanText
		if ct == "" {
			ct = cl.Clean(tw.Text)
		}
		p := m.PredictText(ct)
		best := 0
		for j := range p {
			if p[j] > p[best] {
				best = j
			}
		}
		tot[c]++
		if best == c {
			hit[c]++
		}
		s.y = append(s.y, c)
		s.proba = append(s.proba, p)
	}
	h := 0
	for c := range k {
		h += hit[c]
		if tot[c] > 0 {
			s.macroRecall += float64(hit[c]) / float64(tot[c]) / float64(k)
		}
	}
	s.n = len(s.y)
	s.accuracy = float64(h) / float64(s.n)
	return s
}

type metricsFile struct {
	N           int     `json:"n"`
	Accuracy    float64 `json:"accuracy"`
	MacroRecall float64 `json:"macro_recall"`
	ROCAUC      float64 `json:"roc_auc"`
	PRAUC       float64 `json:"pr_auc"`
}

func readMetrics(t *testing.T, b []byte) metricsFile {
	t.Helper()
	var m metricsFile
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func resultFloat(t *testing.T, res map[string]string, name string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(res[name], 64)
	if err != nil {
		t.Fatalf("result %s = %q: %v", name, res[name], err)
	}
	return f
}

func TestGatePasses(t *testing.T) {
	s := stagetest.NewFS(t)
	p, m := setup(t, s, "run-gate-ok", nil)
	results := t.TempDir()
	r := s.MustRun(t, stages.EvaluateGate, runFn, "run-gate-ok", "--min-roc-auc", "0.6", "--min-pr-auc", "0.4", "--min-macro-recall", "0.4", "--results-dir", results)

	res := stagetest.ReadResults(t, results)
	if res["passed"] != "true" {
		t.Fatalf("passed = %q, want true", res["passed"])
	}
	mf := readMetrics(t, s.File(t, "run-gate-ok", "evaluate-gate", "metrics", MetricsFile))
	cl, _ := text.NewCleaner(text.WithOptions(p.Cleaner))
	want := scoreRows(m, cl, p.TestRows)
	if mf.N != want.n || mf.N != p.Test {
		t.Errorf("scored %d rows, the test set has %d", mf.N, p.Test)
	}
	if !near(mf.Accuracy, want.accuracy, 1e-9) || !near(mf.MacroRecall, want.macroRecall, 1e-9) {
		t.Errorf("accuracy %.6f macro recall %.6f, the model's predictions give %.6f and %.6f", mf.Accuracy, mf.MacroRecall, want.accuracy, want.macroRecall)
	}
	for name, v := range map[string]float64{"roc-auc": mf.ROCAUC, "pr-auc": mf.PRAUC, "macro-recall": mf.MacroRecall, "accuracy": mf.Accuracy} {
		if got := resultFloat(t, res, name); !near(got, v, 5e-5) {
			t.Errorf("result %s = %g, metrics.json has %g", name, got, v)
		}
	}
	if mf.ROCAUC < 0.6 || mf.ROCAUC > 1 {
		t.Errorf("roc_auc %g: the model should beat the 0.6 threshold", mf.ROCAUC)
	}
	html := string(s.File(t, "run-gate-ok", "evaluate-gate", "metrics", ReportFile))
	if !strings.Contains(html, "<html") || !strings.Contains(html, "run-gate-ok") || !strings.Contains(html, fmt.Sprintf("%.4f", mf.ROCAUC)[:5]) {
		t.Errorf("report.html lacks the model version or ROC-AUC")
	}
	if !strings.Contains(r.Stdout, "gate: passed") {
		t.Errorf("stdout:\n%s", r.Stdout)
	}
	if sum := s.Summary(t, "run-gate-ok", "evaluate-gate"); sum.Status != "succeeded" || sum.Results["passed"] != "true" {
		t.Errorf("summary status %q results %v", sum.Status, sum.Results)
	}
}

func TestGateFails(t *testing.T) {
	s := stagetest.NewFS(t)
	setup(t, s, "bad", nil)
	results := t.TempDir()
	r := s.Run(t, stages.EvaluateGate, runFn, "bad", "--min-roc-auc", "0.99", "--results-dir", results)
	if r.Code != 3 {
		t.Fatalf("exit %d, want 3\n%s", r.Code, r.Stderr)
	}
	res := stagetest.ReadResults(t, results)
	if res["passed"] != "false" {
		t.Errorf("passed = %q, want false", res["passed"])
	}
	mf := readMetrics(t, s.File(t, "bad", "evaluate-gate", "metrics", MetricsFile)) // committed despite the failure
	s.File(t, "bad", "evaluate-gate", "metrics", ReportFile)
	msg := fmt.Sprintf("roc_auc %.4f is below --min-roc-auc 0.9900", mf.ROCAUC)
	if !strings.Contains(r.Stderr, "error: evaluate-gate: quality gate failed: "+msg) {
		t.Errorf("stderr does not say %q:\n%s", msg, r.Stderr)
	}
	if strings.Contains(r.Stderr, "pr_auc") {
		t.Errorf("the error names pr_auc, which passed its default threshold:\n%s", r.Stderr)
	}
	if sum := s.Summary(t, "bad", "evaluate-gate"); sum.Status != "gate-failed" || sum.Outputs["metrics"].URI == "" {
		t.Errorf("summary status %q outputs %v, want gate-failed with metrics", sum.Status, sum.Outputs)
	}

	// Every failed threshold is named; macro recall only when enabled.
	r = s.Run(t, stages.EvaluateGate, runFn, "bad", "--min-roc-auc", "0", "--min-pr-auc", "0.99", "--min-macro-recall", "0.99")
	want := []string{fmt.Sprintf("pr_auc %.4f is below --min-pr-auc 0.9900", mf.PRAUC), fmt.Sprintf("macro_recall %.4f is below --min-macro-recall 0.9900", mf.MacroRecall)}
	if r.Code != 3 || !strings.Contains(r.Stderr, want[0]) || !strings.Contains(r.Stderr, want[1]) || strings.Contains(r.Stderr, "roc_auc") {
		t.Errorf("exit %d, want 3 naming %q:\n%s", r.Code, want, r.Stderr)
	}
}

// TestGateStandaloneRawSemEval scores a model on a raw SemEval file it
// has not seen: evaluate-gate ingests and cleans it with the model's cleaner.
func TestGateStandaloneRawSemEval(t *testing.T) {
	s := stagetest.NewFS(t)
	p, m := setup(t, s, "sa", nil)
	raw := filepath.Join(stagetest.DemoData(t), "semeval", "twitter-2014test-A.txt")
	results := t.TempDir()
	s.MustRun(t, stages.EvaluateGate, runFn, "", "--model", s.URI("sa", "train", "model"), "--data", raw,
		"--min-roc-auc", "0.5", "--min-pr-auc", "0.3", "--results-dir", results)
	cl, _ := text.NewCleaner(text.WithOptions(p.Cleaner))
	want := scoreRows(m, cl, stagetest.ReadRaw(t, raw))
	res := stagetest.ReadResults(t, results)
	if got := resultFloat(t, res, "accuracy"); !near(got, want.accuracy, 5e-5) || res["passed"] != "true" {
		t.Errorf("accuracy %g passed %s; the model's predictions on %d rows give %.4f", got, res["passed"], want.n, want.accuracy)
	}

	// A committed dataset given by its local folder is read as a dataset.
	folder := filepath.Join(s.Dir, "runs", "sa", "balance-split", "test")
	s.MustRun(t, stages.EvaluateGate, runFn, "", "--model", s.URI("sa", "train", "model"), "--data", folder,
		"--min-roc-auc", "0.5", "--min-pr-auc", "0.3", "--results-dir", results, "--out-metrics", s.URI("sa", "eval-folder", "metrics"))
	mf := readMetrics(t, s.File(t, "sa", "eval-folder", "metrics", MetricsFile))
	if want := scoreRows(m, cl, p.TestRows); mf.N != p.Test || !near(mf.Accuracy, want.accuracy, 1e-9) {
		t.Errorf("dataset folder: %d rows, accuracy %.6f; want %d rows, %.6f", mf.N, mf.Accuracy, p.Test, want.accuracy)
	}
}

// TestGateStandaloneSentiment140 scores a binary model on a Sentiment140
// CSV with a label map, and checks ROC-AUC and PR-AUC against sklearn.
func TestGateStandaloneSentiment140(t *testing.T) {
	shared := stagetest.SharedData(t)
	s := stagetest.NewFS(t)
	p, m := setup(t, s, "bin", []string{"negative", "positive"})
	csv := filepath.Join(shared, "sentiment140", "s140_subset10k_ArchanaBS-1233.csv")
	results := t.TempDir()
	out := s.URI("bin", "evaluate-s140", "metrics")
	s.MustRun(t, stages.EvaluateGate, runFn, "", "--model", s.URI("bin", "train", "model"), "--data", csv,
		"--label-map", "0->negative,4->positive", "--min-roc-auc", "0.5", "--min-pr-auc", "0.3", "--results-dir", results, "--out-metrics", out)
	mf := readMetrics(t, s.File(t, "bin", "evaluate-s140", "metrics", MetricsFile))
	cl, _ := text.NewCleaner(text.WithOptions(p.Cleaner))
	want := scoreRows(m, cl, stagetest.ReadRaw(t, csv))
	if mf.N != 10000 || want.n != 10000 {
		t.Fatalf("scored %d rows (independently %d), the file has 10000", mf.N, want.n)
	}
	if !near(mf.Accuracy, want.accuracy, 1e-9) {
		t.Errorf("accuracy %.6f, the model's predictions give %.6f", mf.Accuracy, want.accuracy)
	}
	if stagetest.ReadResults(t, results)["passed"] != "true" {
		t.Error("gate did not pass with low thresholds")
	}

	if err := exec.Command(debianPython, "-c", "import sklearn").Run(); err != nil {
		t.Skipf("sklearn not importable by %s: %v", debianPython, err)
	}
	var b strings.Builder
	for i, y := range want.y {
		fmt.Fprintf(&b, "%d %.9g\n", y, want.proba[i][1])
	}
	f := filepath.Join(t.TempDir(), "scores.txt")
	if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import sys
import numpy as np
from sklearn.metrics import roc_auc_score, average_precision_score
d = np.loadtxt(sys.argv[1])
print(repr(roc_auc_score(d[:, 0], d[:, 1])), repr(average_precision_score(d[:, 0], d[:, 1])))
`
	o, err := exec.Command(debianPython, "-c", script, f).CombinedOutput()
	if err != nil {
		t.Fatalf("sklearn: %v\n%s", err, o)
	}
	fs := strings.Fields(string(o))
	roc, _ := strconv.ParseFloat(fs[len(fs)-2], 64)
	ap, _ := strconv.ParseFloat(fs[len(fs)-1], 64)
	if !near(mf.ROCAUC, roc, 1e-6) || !near(mf.PRAUC, ap, 1e-6) {
		t.Errorf("roc_auc %.8f pr_auc %.8f, sklearn gives %.8f and %.8f", mf.ROCAUC, mf.PRAUC, roc, ap)
	}
}

// TestGateRawDataOnS3 reads a raw SemEval file from MinIO.
func TestGateRawDataOnS3(t *testing.T) {
	srv := miniotest.Start(t)
	s := stagetest.NewFS(t)
	s.Flags = stagetest.S3Flags(srv)
	p, m := setup(t, s, "s3", nil)
	raw := filepath.Join(stagetest.DemoData(t), "semeval", "twitter-2014test-A.txt")
	if _, err := srv.Client.FPutObject(context.Background(), srv.Bucket, "raw/2014test.txt", raw, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	results := t.TempDir()
	s.MustRun(t, stages.EvaluateGate, runFn, "s3", "--data", "s3://"+srv.Bucket+"/raw/2014test.txt", "--format", "semeval",
		"--min-roc-auc", "0.5", "--min-pr-auc", "0.3", "--results-dir", results)
	cl, _ := text.NewCleaner(text.WithOptions(p.Cleaner))
	want := scoreRows(m, cl, stagetest.ReadRaw(t, raw))
	mf := readMetrics(t, s.File(t, "s3", "evaluate-gate", "metrics", MetricsFile))
	if mf.N != want.n || !near(mf.Accuracy, want.accuracy, 1e-9) {
		t.Errorf("S3 raw data: %d rows, accuracy %.6f; want %d rows, %.6f", mf.N, mf.Accuracy, want.n, want.accuracy)
	}
}

func TestGateUsageErrors(t *testing.T) {
	s := stagetest.NewFS(t)
	if r := s.Run(t, stages.EvaluateGate, runFn, "", "--data", "x.txt"); r.Code != 2 || !strings.Contains(r.Stderr, "--model") {
		t.Errorf("missing --model: exit %d\n%s", r.Code, r.Stderr)
	}
	if r := s.Run(t, stages.EvaluateGate, runFn, "u", "--min-roc-auc", "1.5"); r.Code != 2 || !strings.Contains(r.Stderr, "min-roc-auc") {
		t.Errorf("--min-roc-auc 1.5: exit %d\n%s", r.Code, r.Stderr)
	}
}

// commitSynthModel trains a small model on rows with the classifier
// library and commits it as runs/<run>/train/model with positive as the
// recorded positive label; the rest of rows is committed as the
// balance-split test set.
func commitSynthModel(t *testing.T, s *stagetest.Store, run string, labels []string, positive string, train, test []dataset.Tweet) *classifier.Model {
	t.Helper()
	ctx := context.Background()
	b, err := featurize.NewBuilder(featurize.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	ds := &classifier.Dataset{}
	for _, tw := range train {
		b.Add(tw.CleanText)
		ds.Labels = append(ds.Labels, int32(slices.Index(labels, tw.Label)))
	}
	feat, corpus, err := b.BuildCorpus()
	if err != nil {
		t.Fatal(err)
	}
	ds.Corpus = corpus
	m, res, err := classifier.Train(ctx, feat, labels, ds, &classifier.Dataset{}, classifier.WithDim(16), classifier.WithEpochs(5), classifier.WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	l := s.Loc(run, "train", "model")
	out := artifact.NewOutput(l.Store, l.Key)
	md := &classifier.Metadata{ModelVersion: run, Training: res, Params: res.Params, PositiveLabel: positive}
	if err := classifier.Save(m, md, func(name string) (io.WriteCloser, error) { return out.Create(ctx, name) }); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	s.WriteTweets(t, run, "balance-split", "test", test)
	return m
}

type gateMetrics struct {
	metricsFile
	Labels        []string `json:"labels"`
	AUCAverage    string   `json:"auc_average"`
	PositiveLabel string   `json:"positive_label"`
	PerClass      map[string]struct {
		Recall float64 `json:"recall"`
		ROCAUC float64 `json:"roc_auc"`
		PRAUC  float64 `json:"pr_auc"`
	} `json:"per_class"`
	Confusion [][]int `json:"confusion_matrix"`
}

// TestGatePositiveLabel: a two-class AI/OTHER model's ROC and PR are of
// its recorded positive class, or of --positive-label.
func TestGatePositiveLabel(t *testing.T) {
	s := stagetest.NewFS(t)
	rows := synthcorpus.Generate(4, 1200, []string{"AI", "OTHER"}, synthcorpus.Options{Weights: []float64{1, 3}, Noise: 0.3})
	commitSynthModel(t, s, "ai", []string{"AI", "OTHER"}, "AI", rows[:900], rows[900:])
	for _, tc := range []struct {
		args     []string
		positive string
	}{{nil, "AI"}, {[]string{"--positive-label", "OTHER"}, "OTHER"}} {
		results := t.TempDir()
		r := s.MustRun(t, stages.EvaluateGate, runFn, "ai", append(tc.args, "--min-roc-auc", "0.5", "--min-pr-auc", "0.3", "--results-dir", results)...)
		var gm gateMetrics
		if err := json.Unmarshal(s.File(t, "ai", "evaluate-gate", "metrics", MetricsFile), &gm); err != nil {
			t.Fatal(err)
		}
		pc := gm.PerClass[tc.positive]
		if gm.PositiveLabel != tc.positive || gm.AUCAverage != "binary" || gm.PRAUC != pc.PRAUC || gm.ROCAUC != pc.ROCAUC || gm.N != 300 {
			t.Errorf("%q: positive %q (%s), pr_auc %g roc_auc %g; want %q's %g and %g", tc.args, gm.PositiveLabel, gm.AUCAverage, gm.PRAUC, gm.ROCAUC, tc.positive, pc.PRAUC, pc.ROCAUC)
		}
		if got := resultFloat(t, stagetest.ReadResults(t, results), "pr-auc"); !near(got, pc.PRAUC, 5e-5) {
			t.Errorf("%q: result pr-auc %g, want %g", tc.args, got, pc.PRAUC)
		}
		html := string(s.File(t, "ai", "evaluate-gate", "metrics", ReportFile))
		if !strings.Contains(html, "class “"+tc.positive+"”") || !strings.Contains(r.Stdout, "positive class "+tc.positive) {
			t.Errorf("%q: the report does not name the positive class %s:\n%s", tc.args, tc.positive, r.Stdout)
		}
	}
	// The two PR-AUCs differ (the classes are imbalanced): the flag mattered.
	var gm gateMetrics
	json.Unmarshal(s.File(t, "ai", "evaluate-gate", "metrics", MetricsFile), &gm)
	if gm.PerClass["AI"].PRAUC == gm.PerClass["OTHER"].PRAUC {
		t.Error("AI and OTHER have the same PR-AUC")
	}
	for _, bad := range []string{"ai", "MAYBE"} {
		r := s.Run(t, stages.EvaluateGate, runFn, "ai", "--positive-label", bad)
		if r.Code != 2 || !strings.Contains(r.Stderr, "--positive-label") || !strings.Contains(r.Stderr, `not one of the labels ["AI" "OTHER"]`) {
			t.Errorf("--positive-label %s: exit %d\n%s", bad, r.Code, r.Stderr)
		}
	}
}

// TestGateFourClasses: an emotion-like 4-class model is scored with macro
// one-vs-rest AUCs; the report names every class.
func TestGateFourClasses(t *testing.T) {
	s := stagetest.NewFS(t)
	labels := []string{"sadness", "anger", "joy", "optimism"}
	rows := synthcorpus.Generate(5, 1600, synthcorpus.Emotions, synthcorpus.Options{})
	m := commitSynthModel(t, s, "emo", labels, "", rows[:1200], rows[1200:])
	results := t.TempDir()
	s.MustRun(t, stages.EvaluateGate, runFn, "emo", "--min-roc-auc", "0.9", "--min-macro-recall", "0.7", "--results-dir", results)
	var gm gateMetrics
	if err := json.Unmarshal(s.File(t, "emo", "evaluate-gate", "metrics", MetricsFile), &gm); err != nil {
		t.Fatal(err)
	}
	want := scoreRows(m, nil, rows[1200:])
	if !slices.Equal(gm.Labels, labels) || gm.AUCAverage != "macro_ovr" || gm.PositiveLabel != "" || len(gm.Confusion) != 4 || !near(gm.MacroRecall, want.macroRecall, 1e-9) {
		t.Errorf("labels %v, auc %s, positive %q, %d confusion rows, macro recall %g (want %g)", gm.Labels, gm.AUCAverage, gm.PositiveLabel, len(gm.Confusion), gm.MacroRecall, want.macroRecall)
	}
	html := string(s.File(t, "emo", "evaluate-gate", "metrics", ReportFile))
	for _, l := range labels {
		if !strings.Contains(html, l) {
			t.Errorf("report.html does not name class %s", l)
		}
	}
	if r := s.Run(t, stages.EvaluateGate, runFn, "emo", "--positive-label", "joy"); r.Code != 2 || !strings.Contains(r.Stderr, "only a two-class model") {
		t.Errorf("--positive-label on 4 classes: exit %d\n%s", r.Code, r.Stderr)
	}
}
