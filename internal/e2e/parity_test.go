package e2e

import (
	"math"
	"testing"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/onnx"
	"github.com/tweetflow/tweetflow/internal/onnx/runtime"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/text"
)

// goRuntimeParity runs the exported graph in the pure-Go runtime on each
// tweet, cleaned and featurized as the model's training text was, and
// returns the largest difference from the model's own probabilities. each
// (optional) gets every tweet's ids and the model's probabilities, for a
// second runtime to compare with.
func goRuntimeParity(t *testing.T, rt *runtime.Model, lm *stageio.LoadedModel, tweets []dataset.Tweet, each func(ids []int64, want []float32)) float64 {
	t.Helper()
	cleaner, err := text.NewCleaner(text.WithOptions(lm.Cleaner))
	if err != nil {
		t.Fatal(err)
	}
	var worst float64
	for _, tw := range tweets {
		ids := lm.Model.Featurizer().TweetIDs(tw.Text, cleaner.Clean(tw.Text))
		want := lm.Model.PredictProba(ids)
		if len(ids) == 0 {
			ids = []int64{0}
		}
		in, err := runtime.NewInt64([]int{1, len(ids)}, ids)
		if err != nil {
			t.Fatal(err)
		}
		outs, err := rt.Run(map[string]*runtime.Tensor{onnx.InputName: in})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range outs[onnx.OutputName].Float32 {
			worst = math.Max(worst, math.Abs(float64(v)-float64(want[k])))
		}
		if each != nil {
			each(ids, want)
		}
	}
	return worst
}
