package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/model/classifier"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/onnx"
	"github.com/tweetflow/tweetflow/internal/onnx/ortcheck"
	"github.com/tweetflow/tweetflow/internal/onnx/runtime"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
	"github.com/tweetflow/tweetflow/internal/text"
)

var runFn = component.Typed(run)

const debianPython = "/usr/bin/python3" // has the onnx package (python3-onnx)

// parityTweets is how many real tweets the parity tests score.
const parityTweets = 1500

// ortLib returns the ONNX Runtime library or skips (fails with
// TWEETFLOW_REQUIRE_ORT=1) when it is not installed or cgo is off.
func ortLib(t *testing.T) string {
	t.Helper()
	p := ortcheck.LibPath(os.Getenv)
	fail := t.Skip
	if os.Getenv(ortcheck.RequireEnv) == "1" {
		fail = t.Fatal
	}
	if _, err := os.Stat(p); err != nil {
		fail("ONNX Runtime library not found at " + p + ": run " + ortcheck.InstallScript + " or set " + ortcheck.LibEnv)
	}
	if _, err := ortcheck.Version(p); errors.Is(err, ortcheck.ErrNoCgo) {
		fail(err)
	}
	return p
}

// exported trains a small model on the demo data, runs export-onnx on it
// and returns the store and the trained model.
func exported(t *testing.T, run string, hidden int) (*stagetest.Store, *classifier.Model) {
	t.Helper()
	s := stagetest.NewFS(t)
	dir := filepath.Join(stagetest.DemoData(t), "semeval")
	p := s.Prepare(t, run, []string{filepath.Join(dir, "twitter-2013train-A.txt")},
		stagetest.PrepareOptions{Seed: 5})
	m := s.TrainModel(t, run, p, stagetest.ModelOptions{Hidden: hidden, Epochs: 4})
	s.MustRun(t, stages.ExportONNX, runFn, run)
	return s, m
}

// realIDs cleans the first n tweets of the SemEval 2016 test file (the
// development set, not in the demo training data) with the exported
// cleaner.json and featurizes them with the exported featurizer.json and
// vocab.txt, as the server does.
func realIDs(t *testing.T, s *stagetest.Store, run string, n int) [][]int64 {
	t.Helper()
	raw := stagetest.ReadRaw(t, filepath.Join(stagetest.SharedData(t), "semeval2017-task4a", "twitter-2016test-A.txt"))
	if len(raw) < n {
		t.Fatalf("only %d tweets", len(raw))
	}
	var opts text.Options
	if err := json.Unmarshal(s.File(t, run, "export-onnx", "onnx", stageio.CleanerFile), &opts); err != nil {
		t.Fatal(err)
	}
	cl, err := text.NewCleaner(text.WithOptions(opts))
	if err != nil {
		t.Fatal(err)
	}
	f, err := featurize.Load(bytes.NewReader(s.File(t, run, "export-onnx", "onnx", classifier.FeaturizerFile)),
		bytes.NewReader(s.File(t, run, "export-onnx", "onnx", classifier.VocabFile)))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([][]int64, n)
	empty := 0
	for i := range ids {
		ids[i] = f.IDs(cl.Clean(raw[i].Text))
		if len(ids[i]) == 0 {
			empty++
		}
	}
	if empty > n/10 {
		t.Fatalf("%d of %d tweets have no features", empty, n)
	}
	return ids
}

// batches pads rows of ids with 0 (padding) to rectangular batches.
func batches(ids [][]int64, size int) [][][]int64 {
	var out [][][]int64
	for lo := 0; lo < len(ids); lo += size {
		hi := min(lo+size, len(ids))
		width := 1
		for _, r := range ids[lo:hi] {
			width = max(width, len(r))
		}
		b := make([][]int64, 0, hi-lo)
		for _, r := range ids[lo:hi] {
			p := make([]int64, width)
			copy(p, r)
			b = append(b, p)
		}
		out = append(out, b)
	}
	return out
}

// maxDiff returns the largest difference between got and the Go model's
// own probabilities of the unpadded ids.
func maxDiff(t *testing.T, m *classifier.Model, ids [][]int64, got [][]float32) float64 {
	t.Helper()
	if len(got) != len(ids) {
		t.Fatalf("%d rows of probabilities for %d tweets", len(got), len(ids))
	}
	var worst float64
	for i := range ids {
		want := m.PredictProba(ids[i])
		if len(got[i]) != len(want) {
			t.Fatalf("row %d: %d probabilities, want %d", i, len(got[i]), len(want))
		}
		for k := range want {
			d := math.Abs(float64(got[i][k]) - float64(want[k]))
			if math.IsNaN(d) {
				t.Fatalf("row %d: NaN", i)
			}
			worst = max(worst, d)
		}
	}
	return worst
}

func goRuntime(t *testing.T, model []byte, batch [][]int64) [][]float32 {
	t.Helper()
	rt, err := runtime.LoadBytes(model)
	if err != nil {
		t.Fatal(err)
	}
	var flat []int64
	for _, r := range batch {
		flat = append(flat, r...)
	}
	in, err := runtime.NewInt64([]int{len(batch), len(batch[0])}, flat)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := rt.Run(map[string]*runtime.Tensor{onnx.InputName: in})
	if err != nil {
		t.Fatal(err)
	}
	p := outs[onnx.OutputName]
	k := p.Shape[1]
	res := make([][]float32, len(batch))
	for i := range res {
		res[i] = p.Float32[i*k : (i+1)*k]
	}
	return res
}

// TestExportParityOnRealTweets scores 1,500 real tweets with the exported
// graph in ONNX Runtime and in the pure-Go runtime, batched and padded,
// and compares with the trained model: linear head and hidden layer.
func TestExportParityOnRealTweets(t *testing.T) {
	for _, hidden := range []int{0, 8} {
		t.Run(fmt.Sprintf("hidden=%d", hidden), func(t *testing.T) {
			run := fmt.Sprintf("parity-h%d", hidden)
			s, m := exported(t, run, hidden)
			model := s.File(t, run, "export-onnx", "onnx", "model.onnx")
			ids := realIDs(t, s, run, parityTweets)
			var fromGo [][]float32
			for _, b := range batches(ids, 64) {
				fromGo = append(fromGo, goRuntime(t, model, b)...)
			}
			if d := maxDiff(t, m, ids, fromGo); d >= 1e-5 {
				t.Errorf("pure-Go runtime differs from the model by %g on %d tweets", d, len(ids))
			}
			lib := ortLib(t)
			var fromORT [][]float32
			for _, b := range batches(ids, 64) {
				p, err := ortcheck.Run(lib, model, b)
				if err != nil {
					t.Fatal(err)
				}
				fromORT = append(fromORT, p...)
			}
			d := maxDiff(t, m, ids, fromORT)
			if d >= 1e-5 {
				t.Errorf("ONNX Runtime differs from the model by %g on %d tweets", d, len(ids))
			}
			t.Logf("max abs diff on %d real tweets: ONNX Runtime %.3g", len(ids), d)
		})
	}
}

func TestExportFilesAndMetadata(t *testing.T) {
	s, m := exported(t, "meta-run", 0)
	mf := s.MustManifest(t, "meta-run", "export-onnx", "onnx")
	var names []string
	for _, f := range mf.Files {
		names = append(names, f.Name)
	}
	if want := []string{"cleaner.json", "featurizer.json", "metadata.json", "model.onnx", "vocab.txt"}; !slices.Equal(names, want) {
		t.Fatalf("onnx output has %v, want %v", names, want)
	}
	for _, f := range []string{classifier.FeaturizerFile, classifier.VocabFile, classifier.MetadataFile, stageio.CleanerFile} {
		if !bytes.Equal(s.File(t, "meta-run", "export-onnx", "onnx", f), s.File(t, "meta-run", "train", "model", f)) {
			t.Errorf("%s differs from the model's", f)
		}
	}
	rt, err := runtime.LoadBytes(s.File(t, "meta-run", "export-onnx", "onnx", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	meta := func(k string) string {
		v, ok := rt.Metadata(k)
		if !ok {
			t.Errorf("metadata prop %q missing", k)
		}
		return v
	}
	var labels []string
	if err := json.Unmarshal([]byte(meta(onnx.LabelsKey)), &labels); err != nil || !slices.Equal(labels, m.Labels()) {
		t.Errorf("labels prop %q, want %v", meta(onnx.LabelsKey), m.Labels())
	}
	if v := meta("model_version"); v != "meta-run" {
		t.Errorf("model_version prop %q, want the run ID meta-run", v)
	}
	var opts text.Options
	if err := json.Unmarshal([]byte(meta("text_options")), &opts); err != nil || opts != text.DefaultOptions() {
		t.Errorf("text_options prop %q (%v), want the cleaner options %+v", meta("text_options"), err, text.DefaultOptions())
	}
	var fs featurize.Settings
	if err := json.Unmarshal([]byte(meta("featurizer")), &fs); err != nil || !reflect.DeepEqual(fs, m.Featurizer().Settings()) {
		t.Errorf("featurizer prop %q (%v), want %+v", meta("featurizer"), err, m.Featurizer().Settings())
	}
	info := rt.Info()
	if info.Opsets[""] != onnx.Opset {
		t.Errorf("opsets %v, want ai.onnx %d", info.Opsets, onnx.Opset)
	}
	sum := s.Summary(t, "meta-run", "export-onnx")
	if d, ok := sum.Extra["verify_max_abs_diff"].(float64); !ok || d >= maxVerifyDiff {
		t.Errorf("summary verify_max_abs_diff = %v, want a number below %g", sum.Extra["verify_max_abs_diff"], maxVerifyDiff)
	}
}

// TestExportPassesONNXChecker runs the onnx package's full checker (shape
// inference included) on the exported model.
func TestExportPassesONNXChecker(t *testing.T) {
	if err := exec.Command(debianPython, "-c", "import onnx").Run(); err != nil {
		t.Skipf("python onnx not importable by %s: %v", debianPython, err)
	}
	s, _ := exported(t, "checker", 8)
	p := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(p, s.File(t, "checker", "export-onnx", "onnx", "model.onnx"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(debianPython, "-c", "import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print('ok', m.opset_import[0].version)", p).CombinedOutput()
	if err != nil || !strings.Contains(string(out), fmt.Sprintf("ok %d", onnx.Opset)) {
		t.Fatalf("onnx.checker: %v\n%s", err, out)
	}
}

func TestExportNeedsACommittedModel(t *testing.T) {
	s := stagetest.NewFS(t)
	r := s.Run(t, stages.ExportONNX, runFn, "none")
	if r.Code != 1 || !strings.Contains(r.Stderr, "train/model") {
		t.Errorf("exit %d, want 1 naming the missing model:\n%s", r.Code, r.Stderr)
	}
	if _, ok := s.Manifest(t, "none", "export-onnx", "onnx"); ok {
		t.Error("export without a model committed output")
	}
}
