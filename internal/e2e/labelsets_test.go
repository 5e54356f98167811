package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/onnx"
	"github.com/tweetflow/tweetflow/internal/onnx/ortcheck"
	"github.com/tweetflow/tweetflow/internal/onnx/runtime"
	"github.com/tweetflow/tweetflow/internal/serving"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
	"github.com/tweetflow/tweetflow/internal/testutil/synthcorpus"
	"github.com/tweetflow/tweetflow/internal/text"
)

// labelRun describes one run of the whole pipeline on a label set.
type labelRun struct {
	run      string
	source   string   // a JSONL file with "label" strings
	labels   string   // the labels parameter
	want     []string // the model's classes, in order
	positive string   // the recorded positive label
	gate     []string // evaluate-gate thresholds
	train    []string // extra train flags
}

// TestPipelineEmotionLabels runs a 4-class emotion-like label set (a
// seeded synthetic corpus with a fifth class the label set leaves out)
// through every component, ONNX Runtime and the server.
func TestPipelineEmotionLabels(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	rows := synthcorpus.Generate(21, 3000, append(slices.Clone(synthcorpus.Emotions), "fear"), synthcorpus.Options{Weights: []float64{3, 2, 2, 1.5, 1}})
	src := filepath.Join(t.TempDir(), "emotions.jsonl")
	var b bytes.Buffer
	if err := synthcorpus.WriteJSONL(&b, rows); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	order := []string{"sadness", "anger", "joy", "optimism"}
	res, tweets := runLabelPipeline(t, labelRun{run: "emotion", source: src, labels: strings.Join(order, ","), want: order,
		gate: []string{"--min-roc-auc", "0.9", "--min-pr-auc", "0.7", "--min-macro-recall", "0.75"}})
	for _, tw := range tweets {
		if tw.Label == "fear" {
			t.Fatalf("the split kept a fear row: %+v", tw)
		}
	}
	if res["passed"] != "true" {
		t.Errorf("gate: %v", res)
	}
}

// TestPipelineAIOther runs the seed's AI/OTHER task on its 500 hand-labeled
// tweets (UNSURE dropped by the label set) through every component, ONNX
// Runtime and the server.
func TestPipelineAIOther(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	src := filepath.Join(stagetest.SharedData(t), "ssp-ai-tweets", "dev_hand_labelled_500.jsonl")
	res, tweets := runLabelPipeline(t, labelRun{run: "ai-other", source: src, labels: "AI,OTHER", want: []string{"AI", "OTHER"}, positive: "AI",
		gate:  []string{"--min-roc-auc", "0.7", "--min-pr-auc", "0.4"},
		train: []string{"--epochs", "10", "--min-count", "1"}})
	for _, tw := range tweets {
		if tw.Label == "UNSURE" {
			t.Fatalf("the split kept an UNSURE row: %+v", tw)
		}
	}
	if res["passed"] != "true" {
		t.Errorf("gate: %v", res)
	}
}

// TestPipelineRuleFeatures runs the AI/OTHER task with the example rules
// as features of the model (train --rules --rule-features): the rules file
// travels with the model through export-onnx into serve, and the exported
// graph, ONNX Runtime and /predict score tweets (raw text through the
// rules, clean text through the words) like the trained model.
func TestPipelineRuleFeatures(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	// The committed copy of the seed's hand-labeled dev set, so that this
	// runs without the shared data too.
	root := stagetest.RepoRoot(t)
	src := filepath.Join(root, "testdata", "demo", "ai-tweets", "golden", "dev_hand_labelled_500.jsonl")
	rules := filepath.Join(root, "examples", "labeling", "ai-tweets.rules.yaml")
	res, _ := runLabelPipeline(t, labelRun{run: "rule-features", source: src, labels: "AI,OTHER", want: []string{"AI", "OTHER"}, positive: "AI",
		gate:  []string{"--min-roc-auc", "0.8", "--min-pr-auc", "0.6"},
		train: []string{"--epochs", "10", "--min-count", "1", "--rules", rules, "--rule-features", "--class-weights", "none"}})
	if res["passed"] != "true" {
		t.Errorf("gate: %v", res)
	}
}

// runLabelPipeline runs ingest -> clean -> balance-split -> embed -> train
// -> evaluate-gate -> export-onnx with a label set, checks each stage's
// labels, the exported graph in the pure-Go runtime and ONNX Runtime, and
// /predict of the serve binary. It returns the gate's results and the
// split's train, validation and test rows.
func runLabelPipeline(t *testing.T, lr labelRun) (map[string]string, []dataset.Tweet) {
	t.Helper()
	p := &pipeline{t: t, bin: binaries(t), store: stagetest.NewFS(t), run: lr.run}
	s := p.store
	p.step("ingest", 0, "--sources", lr.source, "--label-map", "*", "--max-bad-rows", "0")
	p.step("clean", 0)
	p.step("balance-split", 0, "--labels", lr.labels)
	p.step("embed", 0, "--dim", "16", "--epochs", "2", "--min-count", "1")
	p.step("train", 0, append([]string{"--labels", lr.labels, "--dim", "16", "--buckets", "20000", "--learning-rate", "0.5", "--threads", "1"}, lr.train...)...)
	results := t.TempDir()
	p.step("evaluate-gate", 0, append([]string{"--results-dir", results}, lr.gate...)...)
	p.step("export-onnx", 0)

	var split []dataset.Tweet
	for _, o := range []string{"train", "validation", "test"} {
		rows := s.Tweets(t, p.run, "balance-split", o)
		if len(rows) == 0 {
			t.Fatalf("balance-split %s is empty", o)
		}
		split = append(split, rows...)
	}
	test := s.Tweets(t, p.run, "balance-split", "test")

	// The model, its metrics and the ONNX graph carry the label set.
	lm, err := stageio.LoadModel(context.Background(), s.Loc(p.run, "train", "model"))
	if err != nil {
		t.Fatal(err)
	}
	if feat := lm.Model.Featurizer(); feat.HasRules() {
		// Rule features: the rules file goes with the model to serving, and
		// the rules fire on the test tweets.
		rules := s.File(t, p.run, "export-onnx", "onnx", featurize.RulesFile)
		if !bytes.Equal(rules, feat.Rules().Source()) {
			t.Errorf("export-onnx's %s differs from the model's rules", featurize.RulesFile)
		}
		cl, err := text.NewCleaner(text.WithOptions(lm.Cleaner))
		if err != nil {
			t.Fatal(err)
		}
		fired := 0
		for _, tw := range test {
			if len(feat.TweetIDs(tw.Text, cl.Clean(tw.Text))) > len(feat.IDs(cl.Clean(tw.Text))) {
				fired++
			}
		}
		if fired < len(test)/2 {
			t.Errorf("rules fired on %d of %d test tweets", fired, len(test))
		}
		// A served folder without the rules file is refused, naming it.
		files := map[string][]byte{}
		for _, n := range []string{serving.ONNXFile, serving.FeaturizerFile, serving.VocabFile, serving.MetadataFile} {
			files[n] = s.File(t, p.run, "export-onnx", "onnx", n)
		}
		if _, err := serving.LoadFiles(files, "no-rules"); err == nil || !strings.Contains(err.Error(), featurize.RulesFile) {
			t.Errorf("model without %s: %v", featurize.RulesFile, err)
		}
	}
	if !slices.Equal(lm.Model.Labels(), lr.want) || lm.Meta.PositiveLabel != lr.positive {
		t.Fatalf("model labels %q positive %q, want %q %q", lm.Model.Labels(), lm.Meta.PositiveLabel, lr.want, lr.positive)
	}
	var mf struct {
		N             int      `json:"n"`
		Labels        []string `json:"labels"`
		PositiveLabel string   `json:"positive_label"`
		MacroRecall   float64  `json:"macro_recall"`
		Confusion     [][]int  `json:"confusion_matrix"`
	}
	if err := json.Unmarshal(s.File(t, p.run, "evaluate-gate", "metrics", "metrics.json"), &mf); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(mf.Labels, lr.want) || mf.PositiveLabel != lr.positive || mf.N != len(test) || len(mf.Confusion) != len(lr.want) {
		t.Errorf("metrics: labels %q positive %q n %d (test set %d) confusion %v", mf.Labels, mf.PositiveLabel, mf.N, len(test), mf.Confusion)
	}
	html := string(s.File(t, p.run, "evaluate-gate", "metrics", "report.html"))
	for _, l := range lr.want {
		if !strings.Contains(html, l) {
			t.Errorf("report.html does not name class %q", l)
		}
	}
	res := stagetest.ReadResults(t, results)
	t.Logf("%s: test set of %d rows: ROC-AUC %s, PR-AUC %s, macro recall %s, accuracy %s", lr.run, len(test), res["roc-auc"], res["pr-auc"], res["macro-recall"], res["accuracy"])

	model := s.File(t, p.run, "export-onnx", "onnx", "model.onnx")
	rt, err := runtime.LoadBytes(model)
	if err != nil {
		t.Fatal(err)
	}
	var onnxLabels []string
	if v, _ := rt.Metadata(onnx.LabelsKey); json.Unmarshal([]byte(v), &onnxLabels) != nil || !slices.Equal(onnxLabels, lr.want) {
		t.Errorf("ONNX labels %q, want %q", v, lr.want)
	}
	if v, _ := rt.Metadata("positive_label"); v != lr.positive {
		t.Errorf("ONNX positive_label %q, want %q", v, lr.positive)
	}

	// Parity: the pure-Go runtime and ONNX Runtime score like the model.
	cleaner, err := text.NewCleaner(text.WithOptions(lm.Cleaner))
	if err != nil {
		t.Fatal(err)
	}
	lib, ortErr := ortLibrary()
	var worstORT float64
	worstGo := goRuntimeParity(t, rt, lm, test, func(ids []int64, want []float32) {
		if ortErr != nil {
			return
		}
		got, err := ortcheck.Run(lib, model, [][]int64{ids})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range got[0] {
			worstORT = math.Max(worstORT, math.Abs(float64(v)-float64(want[k])))
		}
	})
	if worstGo >= 1e-5 || worstORT >= 1e-5 {
		t.Errorf("exported graph differs from the model: pure-Go runtime %g, ONNX Runtime %g", worstGo, worstORT)
	}
	if ortErr != nil {
		if os.Getenv(ortcheck.RequireEnv) == "1" {
			t.Errorf("ONNX Runtime parity: %v", ortErr)
		} else {
			t.Logf("ONNX Runtime parity skipped: %v", ortErr)
		}
	} else {
		t.Logf("max abs diff on %d test tweets: pure-Go runtime %.3g, ONNX Runtime %.3g", len(test), worstGo, worstORT)
	}

	// serve answers /predict with the model's label names.
	base := startServe(t, s.URI(p.run, "export-onnx", "onnx"))
	for _, tw := range test[:min(20, len(test))] {
		body, _ := json.Marshal(map[string]string{"text": tw.Text})
		resp, err := http.Post(base+"/predict", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var pr struct {
			Label         string             `json:"label"`
			Probabilities map[string]float64 `json:"probabilities"`
		}
		err = json.NewDecoder(resp.Body).Decode(&pr)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("/predict: status %d, %v", resp.StatusCode, err)
		}
		want := lm.Model.PredictTweet(tw.Text, cleaner.Clean(tw.Text))
		best := 0
		for k, l := range lr.want {
			if got, ok := pr.Probabilities[l]; !ok || math.Abs(got-float64(want[k])) > 1e-5 {
				t.Errorf("/predict %q: p(%s) = %v (present %v), want %v", tw.Text, l, got, ok, want[k])
			}
			if want[k] > want[best] {
				best = k
			}
		}
		if pr.Label != lr.want[best] || len(pr.Probabilities) != len(lr.want) {
			t.Errorf("/predict %q: label %q of %v, want %q", tw.Text, pr.Label, pr.Probabilities, lr.want[best])
		}
	}
	return res, split
}

// ortLibrary returns the ONNX Runtime library, or why it cannot be used.
func ortLibrary() (string, error) {
	p := ortcheck.LibPath(os.Getenv)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("library not found at %s: run %s or set %s", p, ortcheck.InstallScript, ortcheck.LibEnv)
	}
	if _, err := ortcheck.Version(p); errors.Is(err, ortcheck.ErrNoCgo) {
		return "", err
	}
	return p, nil
}

// startServe starts the serve binary on the model folder and returns its
// base URL once /readyz answers; the process is stopped at cleanup.
func startServe(t *testing.T, model string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var logs bytes.Buffer
	cmd := exec.Command(filepath.Join(binaries(t), "serve"), "--model", model, "--addr", addr, "--reload-interval", "0", "--store", t.TempDir())
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not get ready on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
