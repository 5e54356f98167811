package main

import (
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

// weakSet makes a weakly labeled binary set: the label model's argmax and
// probabilities as the label stage writes them; every third row has a low
// confidence.
func weakSet(n int, seed uint64) []dataset.Tweet {
	rows := dataset.Generate(seed, n, dataset.GenerateOptions{Labels: []string{"negative", "positive"}, Cleaned: true})
	for i := range rows {
		conf := 0.95
		if i%3 == 0 {
			conf = 0.55
		}
		other := "negative"
		if rows[i].Label == "negative" {
			other = "positive"
		}
		rows[i].LabelConfidence = conf
		rows[i].LabelProbs = map[string]float64{rows[i].Label: conf, other: 1 - conf}
	}
	return rows
}

func TestTrainOnWeakLabels(t *testing.T) {
	s := stagetest.NewFS(t)
	s.WriteTweets(t, "r1", "balance-split", "train", weakSet(600, 1))
	s.WriteTweets(t, "r1", "balance-split", "validation", weakSet(100, 2))
	for _, mode := range []string{"soft", "hard"} {
		t.Run(mode, func(t *testing.T) {
			res := s.MustRun(t, stages.Train, runFn, "r1", append([]string{"--labels", "binary", "--weak-labels", mode, "--min-label-confidence", "0.9"}, tiny...)...)
			if !strings.Contains(res.Stdout, "train: 400 training") {
				t.Errorf("want the 200 rows below confidence 0.9 dropped:\n%s", res.Stdout)
			}
			sum := s.Summary(t, "r1", "train")
			if sum.Extra["weak_labels_dropped_below_confidence"].(float64) != 200 {
				t.Errorf("extra: %v", sum.Extra)
			}
		})
	}
}

func TestTrainWeakLabelsNeedProbs(t *testing.T) {
	s := stagetest.NewFS(t)
	plain := dataset.Generate(3, 50, dataset.GenerateOptions{Labels: []string{"negative", "positive"}, Cleaned: true})
	s.WriteTweets(t, "r1", "balance-split", "train", plain)
	s.WriteTweets(t, "r1", "balance-split", "validation", plain[:10])
	r := s.Run(t, stages.Train, runFn, "r1", append([]string{"--labels", "binary", "--weak-labels", "soft"}, tiny...)...)
	if r.Code == 0 || !strings.Contains(r.Stderr, "no label_probs") || !strings.Contains(r.Stderr, "--weak-labels none") {
		t.Fatalf("exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
}

// TestTrainPatienceZero: --patience 0 (the labeling pipeline's setting for a
// weakly labeled validation set) runs every epoch and keeps the last one.
func TestTrainPatienceZero(t *testing.T) {
	s := stagetest.NewFS(t)
	s.WriteTweets(t, "r1", "balance-split", "train", weakSet(300, 1))
	s.WriteTweets(t, "r1", "balance-split", "validation", weakSet(60, 2))
	s.MustRun(t, stages.Train, runFn, "r1", "--labels", "binary", "--weak-labels", "hard", "--lexicon", "none",
		"--patience", "0", "--epochs", "4", "--dim", "8", "--buckets", "20000", "--threads", "1")
	md := loadModel(t, s, "r1").Meta
	if md.Training == nil || md.Training.StoppedEarly || len(md.Training.Epochs) != 4 || md.Training.BestEpoch != 4 {
		t.Fatalf("training record %+v: want 4 epochs, the last kept", md.Training)
	}
	if md.Training.Params.Patience != 0 || md.Featurizer.Lexicon != "" {
		t.Errorf("recorded patience %d, lexicon %q", md.Training.Params.Patience, md.Featurizer.Lexicon)
	}
	if r := s.Run(t, stages.Train, runFn, "r2", "--labels", "binary", "--patience", "-1"); r.Code == 0 || !strings.Contains(r.Stderr, "patience") {
		t.Errorf("--patience -1: exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
}
