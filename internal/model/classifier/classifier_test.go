package classifier

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/text"
)

var threeLabels = []string{"negative", "neutral", "positive"}

// synthetic makes n texts of a separable three-class problem: each text has
// two words of its class among three noise words. Class c is drawn with
// probability props[c].
func synthetic(n int, seed uint64, props []float64) (texts []string, labels []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	prefix := []string{"bad", "meh", "good"}
	for i := 0; i < n; i++ {
		u, c := rng.Float64(), 0
		for c < len(props)-1 && u > props[c] {
			u -= props[c]
			c++
		}
		words := []string{
			fmt.Sprintf("%s%d", prefix[c], rng.IntN(8)),
			fmt.Sprintf("%s%d", prefix[c], rng.IntN(8)),
		}
		for k := 0; k < 3; k++ {
			words = append(words, fmt.Sprintf("noise%d", rng.IntN(40)))
		}
		rng.Shuffle(len(words), func(a, b int) { words[a], words[b] = words[b], words[a] })
		texts = append(texts, strings.Join(words, " "))
		labels = append(labels, c)
	}
	return texts, labels
}

func smallSettings() featurize.Settings {
	s := featurize.DefaultSettings()
	s.Buckets = 2000
	return s
}

// build featurizes training and validation texts.
func build(t testing.TB, s featurize.Settings, trainTexts []string, trainLabels []int, validTexts []string, validLabels []int) (*featurize.Featurizer, *Dataset, *Dataset) {
	t.Helper()
	b, err := featurize.NewBuilder(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, txt := range trainTexts {
		b.Add(txt)
	}
	f, docs, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	train := &Dataset{Docs: *docs}
	for _, y := range trainLabels {
		train.Labels = append(train.Labels, int32(y))
	}
	valid := &Dataset{}
	for i, txt := range validTexts {
		valid.Add(f.AppendIDs(nil, txt), validLabels[i])
	}
	return f, train, valid
}

func syntheticSetup(t testing.TB) (*featurize.Featurizer, *Dataset, *Dataset) {
	tx, ty := synthetic(1500, 1, []float64{0.2, 0.5, 0.3})
	vx, vy := synthetic(300, 2, []float64{0.2, 0.5, 0.3})
	return build(t, smallSettings(), tx, ty, vx, vy)
}

func TestLearnsSeparableData(t *testing.T) {
	for _, hidden := range []int{0, 16} {
		t.Run(fmt.Sprintf("hidden=%d", hidden), func(t *testing.T) {
			f, train, valid := syntheticSetup(t)
			m, res, err := Train(context.Background(), f, threeLabels, train, valid,
				WithDim(16), WithHidden(hidden), WithEpochs(10), WithThreads(1), WithPatience(10))
			if err != nil {
				t.Fatal(err)
			}
			ev := Evaluate(m, valid, 1)
			if ev.Accuracy < 0.99 {
				t.Errorf("validation accuracy %.3f, want >= 0.99 (epochs %+v)", ev.Accuracy, res.Epochs)
			}
			if res.Epochs[len(res.Epochs)-1].TrainLoss >= res.Epochs[0].TrainLoss {
				t.Errorf("training loss did not decrease: %+v", res.Epochs)
			}
			// Unseen text made of known class words is classified right.
			if got, _ := m.Predict("good3 noise1 good5"); got != "positive" {
				t.Errorf("Predict(good words) = %q", got)
			}
		})
	}
}

func TestDeterministicWithOneThread(t *testing.T) {
	f, train, valid := syntheticSetup(t)
	run := func() *Model {
		m, _, err := Train(context.Background(), f, threeLabels, train, valid,
			WithDim(8), WithHidden(4), WithEpochs(3), WithThreads(1), WithSeed(7), WithDropout(0.2))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := run(), run()
	for i, pa := range a.parts() {
		if !slices.Equal(pa, b.parts()[i]) {
			t.Fatalf("weights part %d differ between two seeded single-thread runs", i)
		}
	}
	other, _, err := Train(context.Background(), f, threeLabels, train, valid,
		WithDim(8), WithHidden(4), WithEpochs(3), WithThreads(1), WithSeed(8), WithDropout(0.2))
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(a.emb, other.emb) {
		t.Error("different seeds gave identical embeddings")
	}
}

func TestHogwildThreads(t *testing.T) {
	f, train, valid := syntheticSetup(t)
	m, _, err := Train(context.Background(), f, threeLabels, train, valid,
		WithDim(16), WithEpochs(5), WithThreads(2))
	if err != nil {
		t.Fatal(err)
	}
	if ev := Evaluate(m, valid, 2); ev.Accuracy < 0.95 {
		t.Errorf("accuracy with 2 threads %.3f", ev.Accuracy)
	}
}

func TestClassWeights(t *testing.T) {
	labels := []int32{0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 2}
	counts, w := classWeights(labels, 4, WeightsBalanced)
	if !slices.Equal(counts, []int{6, 2, 4, 0}) {
		t.Errorf("counts = %v", counts)
	}
	// n / (C * n_c) = 12 / (4 * n_c); an absent class weighs 0.
	want := []float64{0.5, 1.5, 0.75, 0}
	for i := range want {
		if math.Abs(w[i]-want[i]) > 1e-12 {
			t.Errorf("balanced weight[%d] = %v, want %v", i, w[i], want[i])
		}
	}
	_, w = classWeights(labels, 4, WeightsNone)
	if !slices.Equal(w, []float64{1, 1, 1, 1}) {
		t.Errorf("none weights = %v", w)
	}
}

func TestBalancedWeightsRaiseMinorityRecall(t *testing.T) {
	// Overlapping classes with a rare negative class: weighting must raise
	// its recall.
	tx, ty := synthetic(2000, 3, []float64{0.05, 0.6, 0.35})
	for i := range tx {
		if i%3 == 0 { // blur: a third of the texts get a neutral word
			tx[i] += " meh1"
		}
	}
	vx, vy := synthetic(600, 4, []float64{0.05, 0.6, 0.35})
	f, train, valid := build(t, smallSettings(), tx, ty, vx, vy)
	recall := func(w string) float64 {
		m, _, err := Train(context.Background(), f, threeLabels, train, nil,
			WithDim(8), WithEpochs(1), WithLearningRate(0.05), WithThreads(1), WithClassWeights(w))
		if err != nil {
			t.Fatal(err)
		}
		return Evaluate(m, valid, 1).Recall[0]
	}
	none, bal := recall(WeightsNone), recall(WeightsBalanced)
	if !(bal > none) {
		t.Errorf("negative recall balanced %.3f, none %.3f: weighting should raise it", bal, none)
	}
}

func TestEarlyStoppingKeepsBestEpoch(t *testing.T) {
	f, train, _ := syntheticSetup(t)
	// A validation set labelled against the training data: it gets worse as
	// the model learns, so the first epoch stays the best.
	vx, vy := synthetic(300, 5, []float64{0.2, 0.5, 0.3})
	bad := &Dataset{}
	for i, txt := range vx {
		bad.Add(f.AppendIDs(nil, txt), (vy[i]+1)%3)
	}
	var seen []int
	m, res, err := Train(context.Background(), f, threeLabels, train, bad,
		WithDim(8), WithEpochs(20), WithPatience(2), WithThreads(1), WithStopOn(StopOnLoss),
		WithOnEpoch(func(e EpochStats) { seen = append(seen, e.Epoch) }))
	if err != nil {
		t.Fatal(err)
	}
	if !res.StoppedEarly || len(res.Epochs) >= 20 {
		t.Fatalf("did not stop early: %d epochs", len(res.Epochs))
	}
	if !slices.Equal(seen, []int{1, 2, 3}) || res.BestEpoch != 1 {
		t.Errorf("callback epochs %v, best %d; want [1 2 3], best 1", seen, res.BestEpoch)
	}
	// The model returned has the best epoch's weights.
	ev := Evaluate(m, bad, 1)
	if math.Abs(ev.Loss-res.Epochs[0].ValidationLoss) > 1e-9 {
		t.Errorf("returned model loss %.6f, best epoch recorded %.6f", ev.Loss, res.Epochs[0].ValidationLoss)
	}
	if last := res.Epochs[len(res.Epochs)-1]; !(last.ValidationLoss > res.Epochs[0].ValidationLoss) {
		t.Errorf("last epoch loss %.4f not worse than first %.4f", last.ValidationLoss, res.Epochs[0].ValidationLoss)
	}
}

// TestPatienceZeroKeepsLastEpoch: patience 0 runs every epoch on the same
// worsening validation set and returns the last epoch's weights, with the
// validation still reported per epoch.
func TestPatienceZeroKeepsLastEpoch(t *testing.T) {
	f, train, _ := syntheticSetup(t)
	vx, vy := synthetic(300, 5, []float64{0.2, 0.5, 0.3})
	bad := &Dataset{}
	for i, txt := range vx {
		bad.Add(f.AppendIDs(nil, txt), (vy[i]+1)%3)
	}
	m, res, err := Train(context.Background(), f, threeLabels, train, bad,
		WithDim(8), WithEpochs(6), WithPatience(0), WithThreads(1), WithStopOn(StopOnLoss))
	if err != nil {
		t.Fatal(err)
	}
	if res.StoppedEarly || len(res.Epochs) != 6 || res.BestEpoch != 6 {
		t.Fatalf("stopped early %v, %d epochs, best %d; want 6 epochs, best 6", res.StoppedEarly, len(res.Epochs), res.BestEpoch)
	}
	last := res.Epochs[5]
	if !(last.ValidationLoss > res.Epochs[0].ValidationLoss) {
		t.Fatalf("validation loss %.4f at the end not worse than %.4f at the start: the test set-up does not hold", last.ValidationLoss, res.Epochs[0].ValidationLoss)
	}
	if ev := Evaluate(m, bad, 1); math.Abs(ev.Loss-last.ValidationLoss) > 1e-9 {
		t.Errorf("returned model loss %.6f, last epoch recorded %.6f", ev.Loss, last.ValidationLoss)
	}
	if _, _, err := Train(context.Background(), f, threeLabels, train, bad, WithPatience(-1)); err == nil {
		t.Error("patience -1 accepted")
	}
}

func TestTrainErrors(t *testing.T) {
	f, train, valid := syntheticSetup(t)
	ctx := context.Background()
	if _, _, err := Train(ctx, f, threeLabels, &Dataset{}, valid); !errors.Is(err, ErrNoTrainingData) {
		t.Errorf("empty training set: %v", err)
	}
	if _, _, err := Train(ctx, f, []string{"only"}, train, valid); err == nil {
		t.Error("one label accepted")
	}
	if _, _, err := Train(ctx, f, threeLabels[:2], train, valid); err == nil {
		t.Error("label index 2 accepted with two labels")
	}
	if _, _, err := Train(ctx, f, threeLabels, train, valid, WithClassWeights("x")); err == nil {
		t.Error("unknown class weighting accepted")
	}
	if _, _, err := Train(ctx, f, threeLabels, train, valid, WithDropout(1)); err == nil {
		t.Error("dropout 1 accepted")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := Train(cancelled, f, threeLabels, train, valid); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	bad := func(string) []float32 { return []float32{1, 2} }
	if _, _, err := Train(ctx, f, threeLabels, train, valid, WithDim(8), WithPretrained(bad)); err == nil {
		t.Error("pre-trained vectors of the wrong dimension accepted")
	}
}

func TestPretrainedInit(t *testing.T) {
	f, err := featurize.New(smallSettings(), []string{"good", "good_NEG", "bad"})
	if err != nil {
		t.Fatal(err)
	}
	vec := map[string][]float32{"good": {1, 2, 3, 4}}
	m := newModel(f, threeLabels, 4, 0)
	c := config{Params: DefaultParams(), pretrained: func(w string) []float32 { return vec[w] }}
	c.InitScale = 0.5
	if err := initWeights(m, c); err != nil {
		t.Fatal(err)
	}
	want := []float32{0.5, 1, 1.5, 2}
	if !slices.Equal(m.emb[4:8], want) || !slices.Equal(m.emb[8:12], want) {
		t.Errorf("rows of good and good_NEG = %v %v, want %v", m.emb[4:8], m.emb[8:12], want)
	}
	if slices.Equal(m.emb[12:16], want) || !slices.Equal(m.emb[:4], make([]float32, 4)) {
		t.Errorf("bad row %v or padding row %v wrong", m.emb[12:16], m.emb[:4])
	}
}

// forward is an independent float64 forward pass over Weights.
func forward(w Weights, ids []int64) []float64 {
	x := make([]float64, w.Dim)
	n := 0
	for _, id := range ids {
		for k := range x {
			x[k] += float64(w.Embedding[int(id)*w.Dim+k])
		}
		if id != 0 {
			n++
		}
	}
	for k := range x {
		x[k] /= float64(max(n, 1))
	}
	layer := func(d Dense, x []float64, relu bool) []float64 {
		y := make([]float64, d.Out)
		for j := range y {
			y[j] = float64(d.B[j])
			for i := range x {
				y[j] += x[i] * float64(d.W[i*d.Out+j])
			}
			if relu {
				y[j] = math.Max(y[j], 0)
			}
		}
		return y
	}
	if w.Hidden != nil {
		x = layer(*w.Hidden, x, true)
	}
	y := layer(w.Output, x, false)
	var sum float64
	for j := range y {
		y[j] = math.Exp(y[j])
		sum += y[j]
	}
	for j := range y {
		y[j] /= sum
	}
	return y
}

func TestWeightsLayoutMatchesPredict(t *testing.T) {
	f, train, valid := syntheticSetup(t)
	for _, hidden := range []int{0, 5} {
		m, _, err := Train(context.Background(), f, threeLabels, train, valid,
			WithDim(6), WithHidden(hidden), WithEpochs(2), WithThreads(1))
		if err != nil {
			t.Fatal(err)
		}
		w := m.Weights()
		if w.Rows != f.Rows() || len(w.Embedding) != w.Rows*w.Dim || (hidden > 0) != (w.Hidden != nil) {
			t.Fatalf("weights shapes: rows %d dim %d hidden %v", w.Rows, w.Dim, w.Hidden)
		}
		for _, txt := range []string{"good1 meh2 noise3", "bad4 bad5", "", "unseen words only"} {
			ids := f.IDs(txt)
			got := m.PredictProba(ids)
			if !slices.Equal(got, m.PredictText(txt)) {
				t.Errorf("PredictText(%q) != PredictProba(IDs)", txt)
			}
			want := forward(w, ids)
			for j := range want {
				if math.Abs(float64(got[j])-want[j]) > 1e-5 {
					t.Errorf("hidden %d, %q: PredictProba %v, float64 forward over Weights %v", hidden, txt, got, want)
					break
				}
			}
		}
		// PredictDataset rows are PredictProba.
		p := PredictDataset(m, &valid.Docs, 2)
		for i := 0; i < valid.Len(); i++ {
			ids := make([]int64, 0)
			for _, id := range valid.Doc(i) {
				ids = append(ids, int64(id))
			}
			if !slices.Equal(p[3*i:3*i+3], m.PredictProba(ids)) {
				t.Fatalf("PredictDataset row %d differs from PredictProba", i)
			}
		}
	}
}

// memFS collects the files Save writes.
type memFS map[string]*bytes.Buffer

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

func (m memFS) create(name string) (io.WriteCloser, error) {
	b := &bytes.Buffer{}
	m[name] = b
	return nopCloser{b}, nil
}

func (m memFS) fs() fstest.MapFS {
	out := fstest.MapFS{}
	for k, v := range m {
		out[k] = &fstest.MapFile{Data: v.Bytes()}
	}
	return out
}

func TestSaveLoadRoundTrip(t *testing.T) {
	f, train, valid := syntheticSetup(t)
	for _, hidden := range []int{0, 3} {
		m, res, err := Train(context.Background(), f, threeLabels, train, valid,
			WithDim(6), WithHidden(hidden), WithEpochs(2), WithThreads(1))
		if err != nil {
			t.Fatal(err)
		}
		created := time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)
		clean := text.DefaultOptions()
		md := &Metadata{ModelVersion: "run-123", CreatedAt: created, Params: res.Params, Training: res, Cleaning: &clean,
			Data:    []DataDigest{{Name: "train", URI: "file:///x", Digest: "sha256:ab", Rows: train.Len()}},
			Metrics: map[string]float64{"validation_macro_recall": 0.5}}
		files := memFS{}
		if err := Save(m, md, files.create); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{WeightsFile, FeaturizerFile, VocabFile, MetadataFile} {
			if files[name] == nil {
				t.Fatalf("Save did not write %s", name)
			}
		}
		// weights.bin size: 8-byte magic + 6 uint32 + floats + CRC.
		nf := 0
		for _, p := range m.parts() {
			nf += len(p)
		}
		if got, want := files[WeightsFile].Len(), 8+24+4*nf+4; got != want {
			t.Errorf("weights.bin has %d bytes, want %d", got, want)
		}
		m2, md2, err := LoadFS(files.fs())
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range m.parts() {
			if !slices.Equal(p, m2.parts()[i]) {
				t.Errorf("hidden %d: weights part %d changed by the round trip", hidden, i)
			}
		}
		if md2.ModelVersion != "run-123" || !md2.CreatedAt.Equal(created) || !slices.Equal(md2.Labels, threeLabels) ||
			md2.Dim != 6 || md2.Hidden != hidden || md2.Rows != f.Rows() || md2.Training.BestEpoch != res.BestEpoch ||
			md2.Data[0].Rows != train.Len() || !reflect.DeepEqual(md2.Featurizer, f.Settings()) || md2.Cleaning == nil || *md2.Cleaning != clean {
			t.Errorf("metadata after round trip: %+v", md2)
		}
		txt := "good1 bad2 noise9"
		if !slices.Equal(m.PredictText(txt), m2.PredictText(txt)) {
			t.Error("predictions differ after the round trip")
		}

		// A flipped bit in the weights is detected.
		corrupt := files.fs()
		data := bytes.Clone(corrupt[WeightsFile].Data)
		data[40] ^= 1
		corrupt[WeightsFile] = &fstest.MapFile{Data: data}
		if _, _, err := LoadFS(corrupt); err == nil || !strings.Contains(err.Error(), "checksum") {
			t.Errorf("corrupted weights: err = %v", err)
		}
		// A missing file is reported with its name.
		missing := files.fs()
		delete(missing, VocabFile)
		if _, _, err := LoadFS(missing); err == nil || !strings.Contains(err.Error(), VocabFile) {
			t.Errorf("missing vocab: err = %v", err)
		}
	}
}

func TestSaveToDirectory(t *testing.T) {
	f, train, valid := syntheticSetup(t)
	m, _, err := Train(context.Background(), f, threeLabels, train, valid, WithDim(4), WithEpochs(1), WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	err = Save(m, nil, func(name string) (io.WriteCloser, error) { return os.Create(dir + "/" + name) })
	if err != nil {
		t.Fatal(err)
	}
	m2, _, err := LoadFS(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.emb, m2.emb) {
		t.Error("embedding changed through a directory")
	}
}

func TestEvaluateHandComputed(t *testing.T) {
	s := featurize.DefaultSettings()
	s.WordNgrams, s.CharMin, s.CharMax, s.Buckets, s.Lexicon = 1, 0, 0, 0, ""
	f, err := featurize.New(s, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	// Word i+1 votes for class i: pooled = one-hot row, W2 = identity.
	m := newModel(f, threeLabels, 3, 0)
	for i := 0; i < 3; i++ {
		m.emb[(i+1)*3+i] = 1
		m.w2[i*3+i] = 5
	}
	d := &Dataset{}
	// true 0: predicted 0, 0, 1; true 1: predicted 1; true 2: predicted 0, 2.
	for _, c := range []struct {
		text string
		y    int
	}{{"a", 0}, {"a", 0}, {"b", 0}, {"b", 1}, {"a", 2}, {"c", 2}} {
		d.Add(f.AppendIDs(nil, c.text), c.y)
	}
	ev := Evaluate(m, d, 1)
	wantRecall := []float64{2.0 / 3, 1, 0.5}
	for i, w := range wantRecall {
		if math.Abs(ev.Recall[i]-w) > 1e-12 {
			t.Errorf("recall[%d] = %v, want %v", i, ev.Recall[i], w)
		}
	}
	if math.Abs(ev.MacroRecall-(2.0/3+1+0.5)/3) > 1e-12 || math.Abs(ev.Accuracy-4.0/6) > 1e-12 {
		t.Errorf("macro recall %v accuracy %v", ev.MacroRecall, ev.Accuracy)
	}
	want := [][]int{{2, 1, 0}, {0, 1, 0}, {1, 0, 1}}
	for i := range want {
		if !slices.Equal(ev.Confusion[i], want[i]) {
			t.Errorf("confusion = %v, want %v", ev.Confusion, want)
			break
		}
	}
	// Loss: mean of -log p[y] with p = softmax of 5 * one-hot.
	pHit := math.Exp(5) / (math.Exp(5) + 2)
	pMiss := 1 / (math.Exp(5) + 2)
	wantLoss := -(4*math.Log(pHit) + 2*math.Log(pMiss)) / 6
	if math.Abs(ev.Loss-wantLoss) > 1e-5 {
		t.Errorf("loss = %v, want %v", ev.Loss, wantLoss)
	}
}
