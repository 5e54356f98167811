package featurize

import (
	"errors"
	"fmt"
	"slices"
)

// RulesFile is the file beside featurizer.json that holds the rules of a
// featurizer with rule features (Settings.RuleFeatures): a rules file of
// internal/weak, copied verbatim.
const RulesFile = "rules.yaml"

// RuleVoter computes rule features: which of its rules fire on a tweet.
// internal/weak's RuleFeatures implements it over a rules file. It must be
// deterministic and safe for concurrent use.
type RuleVoter interface {
	// RuleNames names the rules, in the order of their feature ids.
	RuleNames() []string
	// AppendFired appends the index of every rule that fires on the tweet
	// (raw text; its clean text for rules that read it) to dst, ascending.
	AppendFired(dst []int, raw, clean string) []int
	// Source returns the rules file, saved as RulesFile with the model.
	Source() []byte
}

// ErrNoRules is returned (wrapped) when a featurizer with rule features is
// used for tweets before its rules were attached.
var ErrNoRules = errors.New("featurizer has rule features but no rules attached")

func checkRuleNames(names []string) error {
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		switch {
		case n == "":
			return fmt.Errorf("checking rule feature %d: empty name", i+1)
		case seen[n]:
			return fmt.Errorf("checking rule feature %d %q: duplicate name", i+1, n)
		}
		seen[n] = true
	}
	return nil
}

// AttachRules gives a featurizer with rule features the rules that compute
// them; their names must equal Settings.RuleFeatures, in order. Call it
// before the featurizer is shared (it is not synchronised).
func (f *Featurizer) AttachRules(v RuleVoter) error {
	if len(f.s.RuleFeatures) == 0 {
		return errors.New("attaching rules: the featurizer has no rule features")
	}
	if err := checkRules(f.s.RuleFeatures, v); err != nil {
		return err
	}
	f.rules = v
	return nil
}

// checkRules reports whether the rules v are the rule features names.
func checkRules(names []string, v RuleVoter) error {
	if got := v.RuleNames(); !slices.Equal(got, names) {
		return fmt.Errorf("attaching rules: the rules are %q, the featurizer was trained with %q", got, names)
	}
	return nil
}

// HasRules reports whether the featurizer has rule features.
func (f *Featurizer) HasRules() bool { return len(f.s.RuleFeatures) > 0 }

// Rules returns the attached rules, or nil.
func (f *Featurizer) Rules() RuleVoter { return f.rules }

// ruleBase is the id of rule feature 0.
func (f *Featurizer) ruleBase() int32 {
	return int32(1 + len(f.vocab) + f.s.Specials + f.s.Buckets)
}

// AppendTweetIDs appends the ids of a tweet: those of its clean text
// (AppendIDs), then, with rule features, the id of every rule that fires on
// it (raw text, clean text), in rule order. Without rule features it is
// AppendIDs(dst, clean). It panics (ErrNoRules) on a featurizer with rule
// features whose rules were not attached: every loader attaches them.
func (f *Featurizer) AppendTweetIDs(dst []int32, raw, clean string) []int32 {
	dst = f.AppendIDs(dst, clean)
	if len(f.s.RuleFeatures) == 0 {
		return dst
	}
	if f.rules == nil {
		panic(ErrNoRules)
	}
	var buf [32]int
	for _, j := range f.rules.AppendFired(buf[:0], raw, clean) {
		dst = f.appendRule(dst, j)
	}
	return dst
}

// TweetIDs is AppendTweetIDs as int64, the ONNX graph's input type.
func (f *Featurizer) TweetIDs(raw, clean string) []int64 {
	ids := f.AppendTweetIDs(nil, raw, clean)
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return out
}

// AppendTweetDoc featurizes a tweet (AppendTweetIDs) and appends it to d
// as one document.
func (f *Featurizer) AppendTweetDoc(d *Docs, raw, clean string) {
	if d.Offsets == nil {
		d.Offsets = []int64{0}
	}
	d.IDs = f.AppendTweetIDs(d.IDs, raw, clean)
	d.Offsets = append(d.Offsets, int64(len(d.IDs)))
}

// appendRule appends the id of fired rule j, RuleRepeat times (at least
// once).
func (f *Featurizer) appendRule(dst []int32, j int) []int32 {
	id := f.ruleBase() + int32(j)
	for range max(1, f.s.RuleRepeat) {
		dst = append(dst, id)
	}
	return dst
}
