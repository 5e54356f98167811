package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/labelset"
	"github.com/tweetflow/tweetflow/internal/onnx/runtime"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/testutil/miniotest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

// EnvBin names a folder of prebuilt component binaries.
const EnvBin = "TWEETFLOW_E2E_BIN"

var components = []string{"ingest", "clean", "balance-split", "label", "embed", "train", "evaluate-gate", "export-onnx", "build-serving-image", "serve"}

var build struct {
	once sync.Once
	dir  string
	tmp  bool
	err  error
	out  []byte
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.tmp {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// binaries returns the folder of the component binaries, building them
// once per test process.
func binaries(t *testing.T) string {
	t.Helper()
	build.once.Do(func() {
		if d := os.Getenv(EnvBin); d != "" {
			build.dir = d
			return
		}
		gobin, err := exec.LookPath("go")
		if err != nil {
			build.err = err
			return
		}
		build.dir, build.err = os.MkdirTemp("", "tweetflow-e2e-bin-")
		if build.err != nil {
			return
		}
		build.tmp = true
		args := []string{"build", "-o", build.dir + string(filepath.Separator)}
		for _, c := range components {
			args = append(args, "./components/"+c)
		}
		cmd := exec.Command(gobin, args...)
		cmd.Dir = stagetest.RepoRoot(t)
		// Static, as make build: build-serving-image packages serve and refuses a dynamically linked one.
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.out, build.err = cmd.CombinedOutput()
	})
	if build.err != nil {
		t.Fatalf("building the components: %v\n%s", build.err, build.out)
	}
	return build.dir
}

// pipeline runs component binaries against one store and run.
type pipeline struct {
	t     *testing.T
	bin   string
	store *stagetest.Store
	run   string
}

// step runs a component; it fails the test unless the exit code is want.
func (p *pipeline) step(name string, want int, args ...string) stagetest.Result {
	p.t.Helper()
	a := append(p.store.Args(name, p.run)[1:], args...)
	cmd := exec.Command(filepath.Join(p.bin, name), a...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatalf("running %s: %v", name, err)
	}
	r := stagetest.Result{Code: code, Stdout: out.String(), Stderr: errb.String()}
	if code != want {
		p.t.Fatalf("%s %s: exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), code, want, r.Stdout, r.Stderr)
	}
	p.t.Logf("%-14s %5.1fs  %s", name, time.Since(start).Seconds(), lastLine(r.Stdout))
	return r
}

func lastLine(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return l[len(l)-1]
}

// semevalFiles returns the shared SemEval files except the development
// set twitter-2016test-A.txt, and that file.
func semevalFiles(t *testing.T) (train []string, dev string) {
	t.Helper()
	dir := filepath.Join(stagetest.SharedData(t), "semeval2017-task4a")
	files, err := filepath.Glob(filepath.Join(dir, "twitter-*-A.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dev = filepath.Join(dir, "twitter-2016test-A.txt")
	train = slices.DeleteFunc(files, func(f string) bool { return f == dev })
	if len(train) != 10 {
		t.Fatalf("found %d SemEval training files, want 10: %v", len(train), train)
	}
	return train, dev
}

func countLines(t *testing.T, files []string) int64 {
	t.Helper()
	var n int64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(l) != "" {
				n++
			}
		}
	}
	return n
}

// TestPipelineOnRealData runs the whole training pipeline on the real
// SemEval data against a local store and checks what each stage hands on.
func TestPipelineOnRealData(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	files, dev := semevalFiles(t)
	p := &pipeline{t: t, bin: binaries(t), store: stagetest.NewFS(t), run: "e2e-fs"}
	s := p.store

	p.step("ingest", 0, "--sources", strings.Join(files, ","), "--max-bad-rows", "0")
	p.step("clean", 0)
	p.step("balance-split", 0)
	p.step("embed", 0, "--dim", "16", "--epochs", "1", "--min-count", "3")
	p.step("train", 0, "--dim", "16", "--buckets", "20000", "--epochs", "6", "--learning-rate", "0.5")
	results := t.TempDir()
	p.step("evaluate-gate", 0, "--results-dir", results) // default thresholds: ROC-AUC 0.75, PR-AUC 0.6
	p.step("export-onnx", 0)

	// Rows flow from stage to stage.
	lines := countLines(t, files)
	ing, cl, bs := s.Summary(t, p.run, "ingest"), s.Summary(t, p.run, "clean"), s.Summary(t, p.run, "balance-split")
	if ing.RowsOut != lines || cl.RowsIn != ing.RowsOut || bs.RowsIn != cl.RowsOut || cl.RowsOut >= cl.RowsIn {
		t.Errorf("rows: %d lines, ingest out %d, clean %d->%d, balance-split in %d", lines, ing.RowsOut, cl.RowsIn, cl.RowsOut, bs.RowsIn)
	}
	train, valid, test := s.Tweets(t, p.run, "balance-split", "train"), s.Tweets(t, p.run, "balance-split", "validation"), s.Tweets(t, p.run, "balance-split", "test")
	if n := int64(len(train) + len(valid) + len(test)); n != cl.RowsOut {
		t.Errorf("split into %d rows, clean kept %d", n, cl.RowsOut)
	}

	// The model records its run and data; the gate passed on the test set.
	lm, err := stageio.LoadModel(context.Background(), s.Loc(p.run, "train", "model"))
	if err != nil {
		t.Fatal(err)
	}
	if lm.Meta.ModelVersion != p.run || !slices.Equal(lm.Meta.Labels, labelset.ThreeClassLabels) || lm.Model.Dim() != 16 {
		t.Errorf("model version %q labels %v dim %d", lm.Meta.ModelVersion, lm.Meta.Labels, lm.Model.Dim())
	}
	digests := map[string]string{}
	for _, d := range lm.Meta.Data {
		digests[d.Name] = d.Digest
	}
	for name, step := range map[string]string{"train": "balance-split", "validation": "balance-split", "vectors": "embed"} {
		if want := s.MustManifest(t, p.run, step, name).Digest(); digests[name] != want {
			t.Errorf("model data %s digest %q, want %q", name, digests[name], want)
		}
	}
	res := stagetest.ReadResults(t, results)
	if res["passed"] != "true" {
		t.Errorf("gate results %v", res)
	}
	var metrics struct {
		N int `json:"n"`
	}
	if err := json.Unmarshal(s.File(t, p.run, "evaluate-gate", "metrics", "metrics.json"), &metrics); err != nil || metrics.N != len(test) {
		t.Errorf("metrics over %d rows (%v), the test set has %d", metrics.N, err, len(test))
	}
	t.Logf("test set: ROC-AUC %s, PR-AUC %s, macro recall %s, accuracy %s", res["roc-auc"], res["pr-auc"], res["macro-recall"], res["accuracy"])

	// The exported graph scores like the model.
	rt, err := runtime.LoadBytes(s.File(t, p.run, "export-onnx", "onnx", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := rt.Metadata("model_version"); v != p.run {
		t.Errorf("ONNX model_version %q, want %q", v, p.run)
	}
	worst := goRuntimeParity(t, rt, lm, test[:min(300, len(test))], nil)
	if worst >= 1e-5 {
		t.Errorf("exported graph differs from the model by %g", worst)
	}

	// Standalone gate on the development set the pipeline never saw.
	p.run = "e2e-dev"
	devResults := t.TempDir()
	p.step("evaluate-gate", 0, "--model", s.URI("e2e-fs", "train", "model"), "--data", dev,
		"--min-roc-auc", "0.6", "--min-pr-auc", "0.4", "--results-dir", devResults)
	dres := stagetest.ReadResults(t, devResults)
	if roc, err := strconv.ParseFloat(dres["roc-auc"], 64); err != nil || roc < 0.6 || dres["passed"] != "true" {
		t.Errorf("development set: ROC-AUC %q passed %q, want >= 0.6", dres["roc-auc"], dres["passed"])
	}
	t.Logf("development set (twitter-2016test-A.txt): ROC-AUC %s, PR-AUC %s, macro recall %s, accuracy %s",
		dres["roc-auc"], dres["pr-auc"], dres["macro-recall"], dres["accuracy"])
}

// TestFirstStagesOnS3 runs ingest, clean and balance-split against a
// MinIO store (s3:// root) and against a local store: the committed
// datasets have the same content digests.
func TestFirstStagesOnS3(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	files, _ := semevalFiles(t)
	srv := miniotest.Start(t)
	bin := binaries(t)
	s3 := &pipeline{t: t, bin: bin, store: stagetest.NewS3(t, srv, "tweetflow/e2e"), run: "e2e-s3"}
	fs := &pipeline{t: t, bin: bin, store: stagetest.NewFS(t), run: "e2e-s3"}
	for _, p := range []*pipeline{s3, fs} {
		p.step("ingest", 0, "--sources", strings.Join(files, ","))
		p.step("clean", 0)
		p.step("balance-split", 0)
	}
	if !strings.HasPrefix(s3.store.URI(s3.run, "clean", "tweets"), "s3://"+srv.Bucket+"/tweetflow/e2e/runs/e2e-s3/") {
		t.Fatalf("S3 output URI %s", s3.store.URI(s3.run, "clean", "tweets"))
	}
	for _, o := range []struct{ step, out string }{
		{"ingest", "tweets"}, {"clean", "tweets"},
		{"balance-split", "train"}, {"balance-split", "validation"}, {"balance-split", "validation-balanced"}, {"balance-split", "test"},
	} {
		a := s3.store.MustManifest(t, s3.run, o.step, o.out)
		b := fs.store.MustManifest(t, fs.run, o.step, o.out)
		if a.Digest() != b.Digest() {
			t.Errorf("%s/%s: S3 digest %s, local %s", o.step, o.out, a.Digest(), b.Digest())
		}
	}
	if n := len(s3.store.Tweets(t, s3.run, "balance-split", "train")); n == 0 {
		t.Error("no training rows on S3")
	}
	sum := s3.store.Summary(t, s3.run, "balance-split")
	if sum.Status != "succeeded" || !strings.HasPrefix(sum.Outputs["train"].URI, "s3://") {
		t.Errorf("S3 summary status %q outputs %v", sum.Status, sum.Outputs)
	}
}
