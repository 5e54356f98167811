package weak

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
)

const featureRules = `labels: [AI, OTHER]
rules:
  - name: field
    label: AI
    keywords: [machine learning, "#ai"]
    without: [crypto]
  - name: crypto
    label: OTHER
    keywords: [crypto, bitcoin]
  - name: links
    label: AI
    domains: [arxiv.org]
`

// Every rule that votes fires, whatever its label; the raw text decides
// (hashtags, URLs), the clean text only when the raw one is empty.
func TestRuleFeaturesFire(t *testing.T) {
	rf, err := ParseRuleFeatures("r.yaml", []byte(featureRules))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rf.RuleNames(), []string{"field", "crypto", "links"}) || string(rf.Source()) != featureRules {
		t.Fatalf("names %q, source %q", rf.RuleNames(), rf.Source())
	}
	for _, tc := range []struct {
		raw, clean string
		want       []int
	}{
		{"New #MachineLearning paper https://arxiv.org/abs/1", "new tb_ tb_machinelearning", []int{0, 2}},
		{"#AI crypto pump", "tb_ai crypto pump", []int{1}}, // field abstains (without: crypto)
		{"lunch", "lunch", nil},
		{"", "machine learning in the clean text", []int{0}},
	} {
		if got := rf.AppendFired(nil, tc.raw, tc.clean); !slices.Equal(got, tc.want) {
			t.Errorf("%q: fired %v, want %v", tc.raw, got, tc.want)
		}
	}
	var _ featurize.RuleVoter = rf
}

func TestRuleFeaturesRefuseModelRulesAndBadFiles(t *testing.T) {
	withModel := featureRules + `  - name: student
    label: AI
    model: {path: ../model, threshold: 0.9}
`
	_, err := ParseRuleFeatures("r.yaml", []byte(withModel))
	if err == nil || !strings.Contains(err.Error(), "student") || !strings.Contains(err.Error(), "rule features cannot use model rules") {
		t.Errorf("model rule: %v", err)
	}
	_, err = ParseRuleFeatures("r.yaml", []byte(strings.Replace(featureRules, "keywords: [crypto", "keyword: [crypto", 1)))
	if err == nil || !strings.Contains(err.Error(), `"crypto"`) || !strings.Contains(err.Error(), "keyword") {
		t.Errorf("typo: %v", err)
	}
}

// Serving featurizes tweets on several goroutines with one RuleFeatures:
// the same answers as one at a time (and no race under -race).
func TestRuleFeaturesConcurrent(t *testing.T) {
	rf, err := ParseRuleFeatures("r.yaml", []byte(featureRules))
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"#AI crypto", "machine learning https://arxiv.org/x", "lunch", "bitcoin #ml"}
	want := make([][]int, len(texts))
	for i, s := range texts {
		want[i] = rf.AppendFired(nil, s, "")
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []int
			for k := 0; k < 200; k++ {
				i := (g + k) % len(texts)
				if buf = rf.AppendFired(buf[:0], texts[i], ""); !slices.Equal(buf, want[i]) {
					errs <- texts[i]
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Errorf("%q: a different answer on another goroutine", s)
	}
}
