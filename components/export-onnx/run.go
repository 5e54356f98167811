package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/model/classifier"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/onnx"
	"github.com/tweetflow/tweetflow/internal/onnx/runtime"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/text"
	"github.com/tweetflow/tweetflow/internal/version"
)

// positiveKey is the metadata key of the positive label (serving.PositiveKey;
// the server package is not imported here to keep this binary small).
const positiveKey = "positive_label"

// maxVerifyDiff is the largest difference allowed between the model's own
// probabilities and the exported graph's.
const maxVerifyDiff = 1e-5

func run(ctx context.Context, env *component.Env, p stages.ExportONNXParams) error {
	in, _ := env.Input("model")
	lm, err := stageio.LoadModel(ctx, in)
	if err != nil {
		return err
	}
	b, err := Export(lm)
	if err != nil {
		return fmt.Errorf("exporting model %q: %w", in.URI(), err)
	}
	if p.Verify {
		diff, n, err := Verify(lm, b)
		if err != nil {
			return fmt.Errorf("verifying the exported graph: %w", err)
		}
		env.Log.Info("verified ONNX graph against the model", "texts", n, "max_abs_diff", diff)
		env.SetExtra("verify_max_abs_diff", diff)
	}
	out := env.Output("onnx")
	if err := out.WriteFile(ctx, "model.onnx", bytes.NewReader(b)); err != nil {
		return err
	}
	files := []string{classifier.FeaturizerFile, classifier.VocabFile, classifier.MetadataFile}
	if lm.Model.Featurizer().HasRules() {
		files = append(files, featurize.RulesFile) // the rule features' rules, which serve applies
	}
	for _, f := range files {
		if err := stageio.CopyFile(ctx, in, f, out, false); err != nil {
			return err
		}
	}
	if err := stageio.WriteCleaner(ctx, out, lm.Cleaner); err != nil {
		return err
	}
	env.AddRows(0, 1)
	fmt.Fprintf(env.Stdout, "export-onnx: %s (%d bytes, opset %d, labels %v)\n", out.URI()+"/model.onnx", len(b), onnx.Opset, lm.Model.Labels())
	return nil
}

// Export converts a trained model to ONNX bytes with its serving metadata.
func Export(lm *stageio.LoadedModel) ([]byte, error) {
	w := lm.Model.Weights()
	c := &onnx.Classifier{Embedding: w.Embedding, Rows: w.Rows, Dim: w.Dim, Labels: w.Labels,
		Output: onnx.Dense{W: w.Output.W, B: w.Output.B, In: w.Output.In, Out: w.Output.Out}}
	if w.Hidden != nil {
		c.Hidden = &onnx.Dense{W: w.Hidden.W, B: w.Hidden.B, In: w.Hidden.In, Out: w.Hidden.Out}
	}
	feat, err := json.Marshal(lm.Model.Featurizer().Settings())
	if err != nil {
		return nil, err
	}
	clean, err := json.Marshal(lm.Cleaner)
	if err != nil {
		return nil, err
	}
	meta := map[string]string{"featurizer": string(feat), "text_options": string(clean)}
	if lm.Meta != nil {
		meta["model_version"] = lm.Meta.ModelVersion
		if lm.Meta.PositiveLabel != "" {
			meta[positiveKey] = lm.Meta.PositiveLabel
		}
		if !lm.Meta.CreatedAt.IsZero() {
			meta["created_at"] = lm.Meta.CreatedAt.UTC().Format("2006-01-02T15:04:05Z07:00")
		}
	}
	return onnx.Export(c,
		onnx.WithProducer("tweetflow", version.Version),
		onnx.WithDocString("tweetflow tweet classifier: mean of word, word n-gram and character n-gram embeddings, then a softmax head. "+
			"Input token_ids come from the featurizer in featurizer.json/vocab.txt applied to text cleaned with text_options."),
		onnx.WithMetadataMap(meta))
}

// Verify runs the exported graph in the pure-Go runtime on texts made from
// the model's vocabulary and returns the largest absolute difference from
// the model's own probabilities.
func Verify(lm *stageio.LoadedModel, onnxBytes []byte) (float64, int, error) {
	rt, err := runtime.LoadBytes(onnxBytes)
	if err != nil {
		return 0, 0, err
	}
	cl, err := text.NewCleaner(text.WithOptions(lm.Cleaner))
	if err != nil {
		return 0, 0, err
	}
	f := lm.Model.Featurizer()
	vocab := f.Vocab()
	var worst float64
	n := 0
	for i := 0; i < 256; i++ {
		// Deterministic pseudo-texts over the vocabulary, plus an empty one.
		var words []string
		for j := 0; j < i%23; j++ {
			if len(vocab) > 0 {
				words = append(words, vocab[(i*131+j*977)%len(vocab)])
			}
		}
		raw := joinWords(words)
		ids := f.TweetIDs(raw, cl.Clean(raw))
		want := lm.Model.PredictProba(ids)
		if len(ids) == 0 {
			ids = []int64{0}
		}
		tin, err := runtime.NewInt64([]int{1, len(ids)}, ids)
		if err != nil {
			return 0, 0, err
		}
		outs, err := rt.Run(map[string]*runtime.Tensor{onnx.InputName: tin})
		if err != nil {
			return 0, 0, err
		}
		got := outs[onnx.OutputName].Float32
		if len(got) != len(want) {
			return 0, 0, fmt.Errorf("graph gives %d probabilities, model %d", len(got), len(want))
		}
		for k := range got {
			worst = math.Max(worst, math.Abs(float64(got[k])-float64(want[k])))
		}
		n++
	}
	if worst > maxVerifyDiff {
		return worst, n, fmt.Errorf("exported graph differs from the model by %g (limit %g)", worst, maxVerifyDiff)
	}
	return worst, n, nil
}

func joinWords(w []string) string {
	var b bytes.Buffer
	for i, s := range w {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return b.String()
}
