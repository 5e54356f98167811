package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
	"github.com/tweetflow/tweetflow/internal/text"
)

const sentimentRules = `labels: [negative, positive]
rules:
  - name: hate
    label: negative
    keywords: [hate, worst]
  - name: happy
    label: positive
    keywords: [happy, great, best]
  - name: emoji
    label: positive
    emoticons: ["😂", "🔥"]
`

func writeRules(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// train --rules --rule-features: the model's featurizer has one feature per
// rule, the model folder holds the rules file, and the loaded model scores
// tweets with the rules applied to their raw text.
func TestTrainWithRuleFeatures(t *testing.T) {
	s := stagetest.NewFS(t)
	s.WriteTweets(t, "r1", "balance-split", "train", weakSet(600, 1))
	s.WriteTweets(t, "r1", "balance-split", "validation", weakSet(100, 2))
	rules := writeRules(t, sentimentRules)
	s.MustRun(t, stages.Train, runFn, "r1", append([]string{"--labels", "binary", "--rules", rules, "--rule-features", "--rule-repeat", "3"}, tiny...)...)
	if got := string(s.File(t, "r1", "train", "model", featurize.RulesFile)); got != sentimentRules {
		t.Fatalf("model's %s: %q", featurize.RulesFile, got)
	}
	lm, err := stageio.LoadModel(context.Background(), s.Loc("r1", "train", "model"))
	if err != nil {
		t.Fatal(err)
	}
	f := lm.Model.Featurizer()
	if st := f.Settings(); !slices.Equal(st.RuleFeatures, []string{"hate", "happy", "emoji"}) || st.RuleRepeat != 3 || f.Rules() == nil {
		t.Fatalf("featurizer: rule features %q repeat %d, rules attached %v", st.RuleFeatures, st.RuleRepeat, f.Rules() != nil)
	}
	cl, err := text.NewCleaner(text.WithOptions(lm.Cleaner))
	if err != nil {
		t.Fatal(err)
	}
	raw := "I hate Mondays 😂"
	ids := f.TweetIDs(raw, cl.Clean(raw))
	rows := int64(f.Rows())
	var ruleIDs []int64
	for _, id := range ids {
		if id >= rows-3 {
			ruleIDs = append(ruleIDs, id)
		}
	}
	if want := []int64{rows - 3, rows - 3, rows - 3, rows - 1, rows - 1, rows - 1}; !slices.Equal(ruleIDs, want) {
		t.Errorf("rule ids of %q: %v, want %v (hate and emoji, 3 times each)", raw, ruleIDs, want)
	}
	if p := lm.Model.PredictTweet(raw, cl.Clean(raw)); len(p) != 2 {
		t.Errorf("PredictTweet: %v", p)
	}
}

func TestTrainRuleFeaturesErrors(t *testing.T) {
	s := stagetest.NewFS(t)
	s.WriteTweets(t, "r1", "balance-split", "train", weakSet(100, 1))
	s.WriteTweets(t, "r1", "balance-split", "validation", weakSet(20, 2))
	withModel := sentimentRules + "  - name: teacher\n    label: positive\n    model: {path: ../m, threshold: 0.5}\n"
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"no rules file", []string{"--rule-features"}, []string{"--rule-features needs --rules"}},
		{"model rule", []string{"--rule-features", "--rules", writeRules(t, withModel)}, []string{`"teacher"`, "rule features cannot use model rules"}},
		{"bad field", []string{"--rule-features", "--rules", writeRules(t, strings.Replace(sentimentRules, "keywords: [hate", "keyword: [hate", 1))}, []string{`"hate"`, "keyword"}},
		{"missing file", []string{"--rule-features", "--rules", filepath.Join(t.TempDir(), "nope.yaml")}, []string{"nope.yaml", "reading rules"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Run(t, stages.Train, runFn, "r1", append(append([]string{"--labels", "binary"}, tc.args...), tiny...)...)
			if r.Code == 0 {
				t.Fatalf("exit 0, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr does not name %q:\n%s", w, r.Stderr)
				}
			}
		})
	}
}
