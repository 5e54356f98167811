package main

import (
	"bufio"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/tweetflow/tweetflow/internal/model/classifier"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
	"github.com/tweetflow/tweetflow/internal/text"
	"github.com/tweetflow/tweetflow/internal/weak"
)

type jsonRow struct {
	Text  string `json:"text"`
	Label string `json:"label"`
}

func readJSONL(t *testing.T, path string) []jsonRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []jsonRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		var r jsonRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s line %d: %v", path, line, err)
		}
		out = append(out, r)
	}
	return out
}

// TestWeakLabelsTrainModel is measurement (d) of issue 9: label the
// unlabeled stream (lf_unlabelled, stream_ai_807, stream_raw_10k; never the
// hand labels) with the example rules (majority vote, keeping the rows
// every voting rule agrees on), train the classifier on those labels with
// the settings the labeling pipeline should use, and score it on the 494
// hand-labeled dev tweets (UNSURE dropped). Texts that also occur in the
// dev file are removed from training. Skips without the shared data unless
// TWEETFLOW_REQUIRE_DATA is set.
func TestWeakLabelsTrainModel(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	sharedDir := sspData(t)
	dev := filepath.Join(sharedDir, "dev_hand_labelled_500.jsonl")
	data, err := os.ReadFile(rules)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := weak.ParseRules(rules, data, weak.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	devRows := readJSONL(t, dev)
	devText := map[string]bool{}
	for _, r := range devRows {
		devText[r.Text] = true
	}
	var texts []string
	seen := map[string]bool{}
	overlap := 0
	for _, name := range []string{"lf_unlabelled.jsonl", "stream_ai_807.jsonl", "stream_raw_10k.jsonl"} {
		for _, r := range readJSONL(t, filepath.Join(sharedDir, name)) {
			switch {
			case devText[r.Text]:
				overlap++
			case !seen[r.Text]:
				seen[r.Text] = true
				texts = append(texts, r.Text)
			}
		}
	}
	inputs := make([]*weak.Input, len(texts))
	for i, s := range texts {
		inputs[i] = weak.NewTextInput(s)
	}
	votes, err := weak.Apply(rs.LFs, inputs, len(rs.Labels))
	if err != nil {
		t.Fatal(err)
	}
	md, err := weak.FitDawidSkene(votes, weak.DSOptions{Classes: len(rs.Labels)})
	if err != nil {
		t.Fatal(err)
	}
	gen, err := md.Predict(votes)
	if err != nil {
		t.Fatal(err)
	}
	// The training labels: majority vote where every voting rule agrees
	// (label --model majority --min-confidence 0.99). Measured on the dev
	// set, this beat the generative model's labels for training (see
	// examples/labeling/README.md): fewer rows, cleaner labels.
	res, err := weak.MajorityVote(votes, len(rs.Labels))
	if err != nil {
		t.Fatal(err)
	}
	const minConf = 0.99
	// clean --trailing-hashtags token: the hashtags of a trailing tag block
	// ("... <url> #fintech #ai #ml") become tb_ words after a tb_ marker,
	// so the classifier weighs them apart from the same topic words in the
	// sentence (seeds 1-5: AI F1 0.829 / macro recall 0.906 on average,
	// against 0.824 / 0.902 with keep; see examples/labeling/README.md).
	cleaner, err := text.NewCleaner(text.WithTrailingHashtags(text.ModeToken))
	if err != nil {
		t.Fatal(err)
	}
	// 90% train / 10% validation, seeded, as balance-split gives train.
	rng := rand.New(rand.NewPCG(1, 2))
	// train --lexicon none: the VADER sentiment features only add noise to
	// a topic task.
	settings := featurize.DefaultSettings()
	settings.Lexicon = ""
	b, err := featurize.NewBuilder(settings)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		clean string
		p     weak.Prediction
	}
	var trainRows, validRows []row
	for i, p := range res.Predictions {
		if p.Label == weak.Abstain || p.Confidence < minConf {
			continue
		}
		r := row{cleaner.Clean(texts[i]), p}
		if rng.Float64() < 0.1 {
			validRows = append(validRows, r)
		} else {
			trainRows = append(trainRows, r)
			b.Add(r.clean)
		}
	}
	feat, corpus, err := b.BuildCorpus()
	if err != nil {
		t.Fatal(err)
	}
	train := &classifier.Dataset{Corpus: corpus}
	counts := make([]int, len(rs.Labels))
	for _, r := range trainRows {
		train.Labels = append(train.Labels, int32(r.p.Label))
		counts[r.p.Label]++
	}
	valid := &classifier.Dataset{}
	for _, r := range validRows {
		valid.Add(feat.AppendIDs(nil, r.clean), r.p.Label)
	}
	// train --epochs 20 --patience 0 --class-weights balanced (dim 50,
	// learning rate 0.2): the weakly labeled validation set is too noisy to
	// pick an epoch (the best epoch it picked ranged from 3 to 17 over
	// seeds, AI F1 0.69-0.83); all 20 epochs and the last weights are
	// stable (AI F1 0.819-0.830 over seeds 1-5).
	m, tres, err := classifier.Train(context.Background(), feat, rs.Labels, train, valid, classifier.WithThreads(1), classifier.WithSeed(1),
		classifier.WithClassWeights(classifier.WeightsBalanced), classifier.WithEpochs(20), classifier.WithPatience(0))
	if err != nil {
		t.Fatal(err)
	}
	class := map[string]int{}
	for i, l := range rs.Labels {
		class[l] = i
	}
	var gold, pred []int
	var devInputs []*weak.Input
	for _, r := range devRows {
		c, ok := class[r.Label]
		if !ok {
			continue // UNSURE
		}
		gold = append(gold, c)
		devInputs = append(devInputs, weak.NewTextInput(r.Text))
		p := m.PredictText(cleaner.Clean(r.Text))
		best := 0
		for k := range p {
			if p[k] > p[best] {
				best = k
			}
		}
		pred = append(pred, best)
	}
	e, err := weak.Evaluate(gold, pred, rs.Labels)
	if err != nil {
		t.Fatal(err)
	}
	// Not (d), measured for comparison: the rules decide the dev rows every
	// voting rule agrees on (as for the training rows) and the classifier
	// the rest. It needs the rules at prediction time, which serving does
	// not run; see examples/labeling/README.md.
	devVotes, err := weak.Apply(rs.LFs, devInputs, len(rs.Labels))
	if err != nil {
		t.Fatal(err)
	}
	devMV, err := weak.MajorityVote(devVotes, len(rs.Labels))
	if err != nil {
		t.Fatal(err)
	}
	hybrid := append([]int(nil), pred...)
	for i, p := range devMV.Predictions {
		if p.Label != weak.Abstain && p.Confidence >= minConf {
			hybrid[i] = p.Label
		}
	}
	eh, err := weak.Evaluate(gold, hybrid, rs.Labels)
	if err != nil {
		t.Fatal(err)
	}
	ai := e.Class("AI")
	t.Logf("generative label model on the pool: %d of %d rows labeled", gen.Labeled(), len(texts))
	t.Logf("(d) trained on %d weakly labeled tweets (%v per class; %d uncovered, tied or not unanimous; %d dev texts excluded), best epoch %d: on %d dev rows AI F1 %.4f (P %.4f R %.4f), macro recall %.4f, confusion %v",
		len(trainRows), counts, len(texts)-len(trainRows)-len(validRows), overlap, tres.BestEpoch, e.Rows, ai.F1, ai.Precision, ai.Recall, e.MacroRecall, e.Confusion)
	t.Logf("(rules where unanimous, else the classifier; not (d)) on %d dev rows: AI F1 %.4f (P %.4f R %.4f), macro recall %.4f, confusion %v",
		eh.Rows, eh.Class("AI").F1, eh.Class("AI").Precision, eh.Class("AI").Recall, eh.MacroRecall, eh.Confusion)
	if e.Rows != 494 {
		t.Fatalf("%d dev rows, want 494", e.Rows)
	}
	// Floors a little under the measured values (AI F1 0.8299, macro recall
	// 0.9069, below the targets of 0.85 and 0.92): a regression
	// guard, not the target.
	if ai.F1 < 0.815 || e.MacroRecall < 0.895 {
		t.Errorf("AI F1 %.4f (floor 0.815), macro recall %.4f (floor 0.895)", ai.F1, e.MacroRecall)
	}
	// The combination, measured AI F1 0.8707 / macro recall 0.9379 at seed
	// 1 (0.8707-0.8737 / 0.9379-0.9393 over seeds 1-5), beats the
	// classifier alone: the rules are right on rows the classifier gets
	// wrong.
	if f1 := eh.Class("AI").F1; f1 < 0.86 || eh.MacroRecall < 0.93 || f1 <= ai.F1 {
		t.Errorf("rules+classifier: AI F1 %.4f (floor 0.86, classifier alone %.4f), macro recall %.4f (floor 0.93)", f1, ai.F1, eh.MacroRecall)
	}
}

// sspData returns the folder of the ssp-ai-tweets data (skips without it
// unless TWEETFLOW_REQUIRE_DATA is set).
func sspData(t *testing.T) string {
	t.Helper()
	return stagetest.SharedDataset(t, "ssp-ai-tweets", "dev_hand_labelled_500.jsonl")
}
