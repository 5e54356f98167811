package weak

import (
	"fmt"
	"slices"
	"sync"

	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
)

// RuleFeatures makes the rules of a rules file features of the classifier
// (featurize.RuleVoter): every rule that fires on a tweet (votes, whatever
// its label) adds its own embedding row to the tweet's ids. A model
// trained with them learns how far to trust each rule and how to settle
// their conflicts from the weakly labeled data, and the saved model carries
// the rules file (featurize.RulesFile), so that serve and score compute the
// same features. It is immutable and safe for concurrent use.
type RuleFeatures struct {
	names  []string
	lfs    []LF
	source []byte
	inputs sync.Pool // of *Input, reused by AppendFired
}

var _ featurize.RuleVoter = (*RuleFeatures)(nil)

// ParseRuleFeatures parses a rules file (as ParseRules, without model
// loading) for use as rule features. `model:` rules are refused: a model's
// features cannot depend on another model.
func ParseRuleFeatures(name string, data []byte) (*RuleFeatures, error) {
	rs, err := ParseRules(name, data, ParseOptions{LoadModel: func(path string) (Predictor, error) {
		return nil, fmt.Errorf("rule features cannot use model rules (model %q): remove the rule from the rules file given to train, or train without rule features", path)
	}})
	if err != nil {
		return nil, err
	}
	f := &RuleFeatures{lfs: rs.LFs, source: slices.Clone(data)}
	for _, lf := range rs.LFs {
		f.names = append(f.names, lf.Name())
	}
	return f, nil
}

// RuleNames implements featurize.RuleVoter.
func (f *RuleFeatures) RuleNames() []string { return f.names }

// Source implements featurize.RuleVoter: the rules file.
func (f *RuleFeatures) Source() []byte { return f.source }

// AppendFired implements featurize.RuleVoter: the rules that vote on the
// tweet (raw text, with clean as the fallback when raw is empty; URLs are
// those found in the text).
func (f *RuleFeatures) AppendFired(dst []int, raw, clean string) []int {
	in, _ := f.inputs.Get().(*Input)
	if in == nil {
		in = &Input{}
	}
	in.fill(raw, clean, nil)
	for j, lf := range f.lfs {
		if lf.Vote(in) != Abstain {
			dst = append(dst, j)
		}
	}
	f.inputs.Put(in)
	return dst
}
