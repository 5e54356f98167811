package featurize

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

// wordRules fires rule j when the raw text contains words[j] (lower case);
// with an empty raw text it reads the clean text.
type wordRules struct{ words []string }

func (w wordRules) RuleNames() []string {
	names := make([]string, len(w.words))
	for i, s := range w.words {
		names[i] = "has_" + s
	}
	return names
}

func (w wordRules) AppendFired(dst []int, raw, clean string) []int {
	if raw == "" {
		raw = clean
	}
	for j, s := range w.words {
		if strings.Contains(strings.ToLower(raw), s) {
			dst = append(dst, j)
		}
	}
	return dst
}

func (w wordRules) Source() []byte { return []byte("labels: [A, B]\n") }

func ruleSettings(repeat int) Settings {
	s := DefaultSettings()
	s.Buckets = 1000
	s.RuleFeatures = wordRules{[]string{"ai", "crypto", "data"}}.RuleNames()
	s.RuleRepeat = repeat
	return s
}

// Rule features take the last rows of the table; a fired rule's id
// follows the text's ids, RuleRepeat times, in rule order. The raw text
// decides what fires (here "AI" is only in the raw text).
func TestRuleFeatureIDs(t *testing.T) {
	for _, repeat := range []int{0, 1, 3} {
		f, err := New(ruleSettings(repeat), []string{"good", "news"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.AttachRules(wordRules{[]string{"ai", "crypto", "data"}}); err != nil {
			t.Fatal(err)
		}
		wantRows := 1 + 2 + f.Settings().Specials + 1000 + 3
		if f.Rows() != wantRows {
			t.Fatalf("rows %d, want %d", f.Rows(), wantRows)
		}
		raw, clean := "Good AI news about DATA", "good news about <tag>"
		got := f.AppendTweetIDs(nil, raw, clean)
		want := f.AppendIDs(nil, clean)
		n := max(1, repeat)
		for _, j := range []int{0, 2} { // "ai", "data"
			for range n {
				want = append(want, int32(wantRows-3+j))
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("repeat %d: ids %v, want %v", repeat, got, want)
		}
		if ids := f.TweetIDs(raw, clean); len(ids) != len(want) || ids[len(ids)-1] != int64(want[len(want)-1]) {
			t.Errorf("TweetIDs %v, want %v", ids, want)
		}
		var d Docs
		f.AppendTweetDoc(&d, raw, clean)
		if !slices.Equal(d.Doc(0), want) {
			t.Errorf("AppendTweetDoc %v, want %v", d.Doc(0), want)
		}
	}
}

// A Corpus built with AddTweet holds the ids AppendTweetIDs gives, for the
// training featurizer and for a validation corpus of it.
func TestCorpusRuleFeaturesMatchTweetIDs(t *testing.T) {
	rules := wordRules{[]string{"ai", "crypto", "data"}}
	tweets := [][2]string{
		{"AI is here", "ai is here"},
		{"Crypto pump #AI", "crypto pump tb_ tb_ai"},
		{"", "data only in clean text"},
		{"nothing fires", "nothing fires"},
		{"crypto data AI", "crypto data ai"},
	}
	b, err := NewBuilder(ruleSettings(2))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.AttachRules(rules); err != nil {
		t.Fatal(err)
	}
	for _, tw := range tweets {
		b.AddTweet(tw[0], tw[1])
	}
	f, c, err := b.BuildCorpus()
	if err != nil {
		t.Fatal(err)
	}
	if f.Rules() == nil {
		t.Fatal("the built featurizer has no rules attached")
	}
	vb := NewCorpusBuilder(f)
	for _, tw := range tweets {
		vb.AddTweet(tw[0], tw[1])
	}
	_, vc, err := vb.BuildCorpus()
	if err != nil {
		t.Fatal(err)
	}
	for i, tw := range tweets {
		want := f.AppendTweetIDs(nil, tw[0], tw[1])
		if got := c.AppendIDs(nil, i); !slices.Equal(got, want) {
			t.Errorf("tweet %d: corpus ids %v, want %v", i, got, want)
		}
		if got := vc.AppendIDs(nil, i); !slices.Equal(got, want) {
			t.Errorf("tweet %d: validation corpus ids %v, want %v", i, got, want)
		}
	}
}

// Settings with rule features survive Save and Load; the loaded featurizer
// needs its rules attached (the same names) before it featurizes tweets.
func TestRuleFeaturesSaveLoad(t *testing.T) {
	f, err := New(ruleSettings(4), []string{"good", "news"})
	if err != nil {
		t.Fatal(err)
	}
	var sb, vb bytes.Buffer
	if err := f.Save(&sb, &vb); err != nil {
		t.Fatal(err)
	}
	g, err := Load(&sb, &vb)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.Settings().RuleFeatures, f.Settings().RuleFeatures) || g.Settings().RuleRepeat != 4 || g.Rows() != f.Rows() || !g.HasRules() {
		t.Fatalf("loaded settings %+v, want %+v", g.Settings(), f.Settings())
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !errors.Is(r.(error), ErrNoRules) {
				t.Errorf("AppendTweetIDs without rules attached: recovered %v, want ErrNoRules", r)
			}
		}()
		g.AppendTweetIDs(nil, "ai", "ai")
	}()
	if err := g.AttachRules(wordRules{[]string{"ai", "data", "crypto"}}); err == nil || !strings.Contains(err.Error(), "trained with") {
		t.Errorf("rules in another order: %v", err)
	}
	if err := g.AttachRules(wordRules{[]string{"ai", "crypto", "data"}}); err != nil {
		t.Fatal(err)
	}
	plain, _ := New(DefaultSettings(), nil)
	if err := plain.AttachRules(wordRules{[]string{"ai"}}); err == nil {
		t.Error("rules attached to a featurizer without rule features")
	}
	// Without rule features AppendTweetIDs is AppendIDs.
	if got, want := plain.AppendTweetIDs(nil, "raw ai", "good news"), plain.AppendIDs(nil, "good news"); !slices.Equal(got, want) {
		t.Errorf("no rule features: %v, want %v", got, want)
	}
}

func TestRuleFeatureSettingsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Settings)
		want string
	}{
		{"empty name", func(s *Settings) { s.RuleFeatures = []string{"a", ""} }, "rule feature 2: empty name"},
		{"duplicate", func(s *Settings) { s.RuleFeatures = []string{"a", "b", "a"} }, `rule feature 3 "a": duplicate`},
		{"format v1", func(s *Settings) {
			*s = Settings{Format: FormatV1, Tokenizer: TokenizerName, Hash: HashFNV1a32, WordNgrams: 1, MinCount: 1, RuleFeatures: []string{"a"}}
		}, "rule features need"},
		{"repeat", func(s *Settings) { s.RuleFeatures, s.RuleRepeat = []string{"a"}, -1 }, "rule repeat -1"},
	} {
		s := DefaultSettings()
		tc.edit(&s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	b, err := NewBuilder(ruleSettings(1))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if r := recover(); r == nil || !errors.Is(r.(error), ErrNoRules) {
			t.Errorf("Builder.Add with rule features: recovered %v, want ErrNoRules", r)
		}
	}()
	b.Add("text")
}

// A builder whose settings name no rule features takes the names of the
// rules attached to it; rules come before the first document.
func TestBuilderTakesRuleNames(t *testing.T) {
	s := DefaultSettings()
	s.Buckets, s.RuleRepeat = 1000, 2
	b, err := NewBuilder(s)
	if err != nil {
		t.Fatal(err)
	}
	rules := wordRules{[]string{"ai", "crypto"}}
	if err := b.AttachRules(rules); err != nil {
		t.Fatal(err)
	}
	b.AddTweet("AI news", "ai news")
	f, c, err := b.BuildCorpus()
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Settings().RuleFeatures; !slices.Equal(got, rules.RuleNames()) || f.Rules() == nil {
		t.Fatalf("rule features %q (rules attached %v), want %q", got, f.Rules() != nil, rules.RuleNames())
	}
	if got, want := c.AppendIDs(nil, 0), f.AppendTweetIDs(nil, "AI news", "ai news"); !slices.Equal(got, want) {
		t.Errorf("ids %v, want %v", got, want)
	}
	late, err := NewBuilder(s)
	if err != nil {
		t.Fatal(err)
	}
	late.Add("first")
	if err := late.AttachRules(rules); err == nil || !strings.Contains(err.Error(), "documents were added") {
		t.Errorf("rules after a document: %v", err)
	}
	dup, _ := NewBuilder(s)
	if err := dup.AttachRules(wordRules{[]string{"ai", "ai"}}); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("duplicate rule names: %v", err)
	}
}
