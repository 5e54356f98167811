package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
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
	rf, err := weak.ParseRuleFeatures(rules, data)
	if err != nil {
		t.Fatal(err)
	}
	var kept []int // pool rows with a unanimous weak label
	for i, p := range res.Predictions {
		if p.Label != weak.Abstain && p.Confidence >= minConf {
			kept = append(kept, i)
		}
	}
	class := map[string]int{}
	for i, l := range rs.Labels {
		class[l] = i
	}
	var gold []int
	var devRaw []string
	for _, r := range devRows {
		if c, ok := class[r.Label]; ok { // UNSURE dropped
			gold = append(gold, c)
			devRaw = append(devRaw, r.Text)
		}
	}
	// trainWeak trains as `train` does on the kept rows (90% train / 10%
	// validation, seeded, as balance-split gives train) and scores the
	// model on the dev rows. With rules, the rules are features too
	// (train --rules ... --rule-features).
	trainWeak := func(withRules bool, weights string) (*weak.Evaluation, []int, string) {
		// train --lexicon none: the VADER sentiment features only add noise
		// to a topic task.
		settings := featurize.DefaultSettings()
		settings.Lexicon = ""
		if withRules {
			// train --rule-repeat 8 (the default): a fired rule's id 8
			// times, about the weight of a word with its n-grams in the
			// mean (once: 0.839 / 0.902; 2, 4, 16, 32 times: 0.852-0.871 /
			// 0.921-0.932, examples/labeling/README.md).
			settings.RuleRepeat = 8
		}
		b, err := featurize.NewBuilder(settings)
		if err != nil {
			t.Fatal(err)
		}
		if withRules {
			if err := b.AttachRules(rf); err != nil {
				t.Fatal(err)
			}
		}
		rng := rand.New(rand.NewPCG(1, 2))
		train := &classifier.Dataset{}
		counts := make([]int, len(rs.Labels))
		type row struct {
			raw, clean string
			label      int
		}
		var validRows []row
		for _, i := range kept {
			r := row{texts[i], cleaner.Clean(texts[i]), res.Predictions[i].Label}
			if rng.Float64() < 0.1 {
				validRows = append(validRows, r)
				continue
			}
			b.AddTweet(r.raw, r.clean)
			train.Labels = append(train.Labels, int32(r.label))
			counts[r.label]++
		}
		feat, corpus, err := b.BuildCorpus()
		if err != nil {
			t.Fatal(err)
		}
		train.Corpus = corpus
		valid := &classifier.Dataset{}
		for _, r := range validRows {
			valid.Add(feat.AppendTweetIDs(nil, r.raw, r.clean), r.label)
		}
		// train --epochs 20 --patience 0 (dim 50, learning rate 0.2): the
		// weakly labeled validation set is too noisy to pick an epoch (the
		// best epoch it picked ranged from 3 to 17 over seeds, AI F1
		// 0.69-0.83); all 20 epochs and the last weights are stable.
		m, _, err := classifier.Train(context.Background(), feat, rs.Labels, train, valid, classifier.WithThreads(1), classifier.WithSeed(1),
			classifier.WithClassWeights(weights), classifier.WithEpochs(20), classifier.WithPatience(0))
		if err != nil {
			t.Fatal(err)
		}
		pred := make([]int, len(devRaw))
		for i, raw := range devRaw {
			var p []float32
			if withRules {
				p = m.PredictTweet(raw, cleaner.Clean(raw))
			} else {
				p = m.PredictText(cleaner.Clean(raw))
			}
			for k := range p {
				if p[k] > p[pred[i]] {
					pred[i] = k
				}
			}
		}
		e, err := weak.Evaluate(gold, pred, rs.Labels)
		if err != nil {
			t.Fatal(err)
		}
		return e, counts, fmt.Sprintf("%d training rows %v, %d validation", len(train.Labels), counts, len(validRows))
	}

	// (d): the rules are features of the model as well as its teachers
	// (train --rules --rule-features --class-weights none, the labeling
	// pipeline's defaults).
	e, _, info := trainWeak(true, classifier.WeightsNone)
	ai := e.Class("AI")
	t.Logf("generative label model on the pool: %d of %d rows labeled", gen.Labeled(), len(texts))
	t.Logf("(d) trained on the pool's unanimous weak labels (%s; %d pool rows uncovered, tied or not unanimous; %d dev texts excluded) with rule features: on %d dev rows AI F1 %.4f (P %.4f R %.4f), macro recall %.4f, confusion %v",
		info, len(texts)-len(kept), overlap, e.Rows, ai.F1, ai.Precision, ai.Recall, e.MacroRecall, e.Confusion)
	// For comparison, the same model on words alone (no rule features;
	// balanced class weights, its best setting).
	ew, _, _ := trainWeak(false, classifier.WeightsBalanced)
	aw := ew.Class("AI")
	t.Logf("(d) without rule features (words only, balanced class weights): AI F1 %.4f (P %.4f R %.4f), macro recall %.4f, confusion %v",
		aw.F1, aw.Precision, aw.Recall, ew.MacroRecall, ew.Confusion)
	if e.Rows != 494 {
		t.Fatalf("%d dev rows, want 494", e.Rows)
	}
	// The targets for (d), measured AI F1 0.8681 / macro recall
	// 0.9307 (the same at seeds 1-5, examples/labeling/README.md).
	if ai.F1 < 0.85 || e.MacroRecall < 0.92 {
		t.Errorf("(d) AI F1 %.4f (target 0.85), macro recall %.4f (target 0.92)", ai.F1, e.MacroRecall)
	}
	// Words alone measured 0.8299 / 0.9069: a regression guard, and the
	// rule features must beat it.
	if aw.F1 < 0.815 || ew.MacroRecall < 0.895 || aw.F1 >= ai.F1 || ew.MacroRecall >= e.MacroRecall {
		t.Errorf("words only: AI F1 %.4f (floor 0.815), macro recall %.4f (floor 0.895); with rule features %.4f / %.4f", aw.F1, ew.MacroRecall, ai.F1, e.MacroRecall)
	}
}

// sspData returns the folder of the ssp-ai-tweets data (skips without it
// unless TWEETFLOW_REQUIRE_DATA is set).
func sspData(t *testing.T) string {
	t.Helper()
	return stagetest.SharedDataset(t, "ssp-ai-tweets", "dev_hand_labelled_500.jsonl")
}
