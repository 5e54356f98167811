package classifier

import (
	"context"
	"math"
	"testing"
)

// oneHot returns soft targets equal to the hard labels.
func oneHot(labels []int32, classes int) []float32 {
	out := make([]float32, len(labels)*classes)
	for i, y := range labels {
		out[i*classes+int(y)] = 1
	}
	return out
}

// One-hot soft targets train the same model as hard labels (up to float
// rounding of the gradient p-1 vs p-1 computed in two steps).
func TestSoftOneHotMatchesHard(t *testing.T) {
	f, train, valid := syntheticSetup(t)
	hard, _, err := Train(context.Background(), f, threeLabels, train, valid, WithDim(8), WithEpochs(2), WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	soft := *train
	soft.Soft = oneHot(train.Labels, 3)
	sm, _, err := Train(context.Background(), f, threeLabels, &soft, valid, WithDim(8), WithEpochs(2), WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range hard.parts() {
		b := sm.parts()[i]
		for j := range a {
			if math.Abs(float64(a[j]-b[j])) > 1e-4 {
				t.Fatalf("part %d weight %d: hard %g, one-hot soft %g", i, j, a[j], b[j])
			}
		}
	}
}

// Cross-entropy against soft targets is minimised by predicting them: a
// model trained on documents of one word with target (0.7, 0.2, 0.1)
// predicts about that, where hard labels would push towards (1, 0, 0).
func TestSoftTargetsAreLearned(t *testing.T) {
	f, train, _ := syntheticSetup(t)
	d := &Dataset{}
	ids := train.Doc(0)
	target := []float32{0.7, 0.2, 0.1}
	for range 300 {
		d.Add(ids, 0)
		d.Soft = append(d.Soft, target...)
	}
	m, _, err := Train(context.Background(), f, threeLabels, d, nil, WithDim(8), WithEpochs(20), WithThreads(1), WithClassWeights(WeightsNone), WithLearningRate(0.05))
	if err != nil {
		t.Fatal(err)
	}
	p := m.predict32(ids, make([]float32, 8))
	for c, want := range target {
		if math.Abs(float64(p[c]-want)) > 0.03 {
			t.Errorf("class %d: predicted %.3f, soft target %.3f (all %v)", c, p[c], want, p)
		}
	}
}

func TestSoftTargetErrors(t *testing.T) {
	f, train, _ := syntheticSetup(t)
	for name, soft := range map[string][]float32{
		"short":   make([]float32, 5),
		"range":   append([]float32{1.5, -0.5, 0}, oneHot(train.Labels[1:], 3)...),
		"not sum": append([]float32{0.2, 0.2, 0.2}, oneHot(train.Labels[1:], 3)...),
	} {
		d := *train
		d.Soft = soft
		if _, _, err := Train(context.Background(), f, threeLabels, &d, nil, WithDim(4), WithEpochs(1)); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}
