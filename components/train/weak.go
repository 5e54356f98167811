package main

import (
	"fmt"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/stages"
)

// weakLabels applies --weak-labels and --min-label-confidence to the
// training rows: it drops rows below the confidence and, in soft mode,
// collects each row's label_probs in the model's class order.
type weakLabels struct {
	mode    string
	minConf float64
	labels  []string
	soft    []float32
	dropped int64
}

func newWeakLabels(p stages.TrainParams, labels []string) *weakLabels {
	return &weakLabels{mode: p.WeakLabels, minConf: p.MinLabelConfidence, labels: labels}
}

// add reports whether to train on t (whose label is one of the classes).
func (w *weakLabels) add(t *dataset.Tweet) (bool, error) {
	if w.mode == "none" || w.mode == "" {
		return true, nil
	}
	if t.LabelProbs == nil {
		return false, fmt.Errorf("row %q has no label_probs: --weak-labels %s trains on the label stage's output (run label first, or use --weak-labels none)", t.ID, w.mode)
	}
	if t.LabelConfidence < w.minConf {
		w.dropped++
		return false, nil
	}
	if w.mode == "soft" {
		var sum float64
		for _, l := range w.labels {
			sum += t.LabelProbs[l]
		}
		if !(sum > 0) {
			return false, fmt.Errorf("row %q: label_probs %v give no probability to the classes %v", t.ID, t.LabelProbs, w.labels)
		}
		for _, l := range w.labels {
			w.soft = append(w.soft, float32(t.LabelProbs[l]/sum))
		}
	}
	return true, nil
}

func (w *weakLabels) log(env *component.Env, loc artifact.Location) {
	if w.mode == "none" || w.mode == "" {
		return
	}
	env.Log.Info("training on weak labels", "mode", w.mode, "min_label_confidence", w.minConf, "dropped_below_confidence", w.dropped, "train", loc.URI())
	env.SetExtra("weak_labels_dropped_below_confidence", w.dropped)
}
