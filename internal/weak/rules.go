package weak

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
)

// Predictor is what a `model:` rule needs of an exported tweetflow model
// (serving.Model implements it): its class names and class probabilities.
type Predictor interface {
	Labels() []string
	Predict(texts []string) ([][]float32, error)
}

// ParseOptions configure ParseRules.
type ParseOptions struct {
	// LoadModel loads the model of a `model:` rule from its path as written
	// in the rules file; nil makes such rules an error.
	LoadModel func(path string) (Predictor, error)
}

// Rules is a parsed rules file: the class order and the LFs.
type Rules struct {
	Labels []string
	LFs    []LF
}

// The YAML shape. Field names are checked against these keys before
// decoding, so a typo is an error naming the rule and the field.
type rulesFile struct {
	Labels []string    `yaml:"labels"`
	Rules  []yaml.Node `yaml:"rules"`
}

type ruleSpec struct {
	Name        string      `yaml:"name"`
	Label       string      `yaml:"label"`
	Description string      `yaml:"description"`
	Keywords    []string    `yaml:"keywords"`
	Regex       []string    `yaml:"regex"`
	Domains     []string    `yaml:"domains"`
	Emoticons   []string    `yaml:"emoticons"`
	Lexicon     *rangeSpec  `yaml:"lexicon"`
	Retweet     *bool       `yaml:"retweet"`
	Length      *lengthSpec `yaml:"length"`
	Model       *modelSpec  `yaml:"model"`
	Without     []string    `yaml:"without"`
	Hashtags    *bool       `yaml:"hashtags"`
}

type rangeSpec struct {
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
}

type lengthSpec struct {
	MinWords *int `yaml:"min_words"`
	MaxWords *int `yaml:"max_words"`
	MinChars *int `yaml:"min_chars"`
	MaxChars *int `yaml:"max_chars"`
}

type modelSpec struct {
	Path      string  `yaml:"path"`
	Threshold float64 `yaml:"threshold"`
}

var (
	topKeys    = []string{"labels", "rules"}
	ruleKeys   = []string{"name", "label", "description", "keywords", "regex", "domains", "emoticons", "lexicon", "retweet", "length", "model", "without", "hashtags"}
	kindKeys   = []string{"keywords", "regex", "domains", "emoticons", "lexicon", "retweet", "length", "model"}
	rangeKeys  = []string{"min", "max"}
	lengthKeys = []string{"min_words", "max_words", "min_chars", "max_chars"}
	modelKeys  = []string{"path", "threshold"}
)

// RuleError is a problem of one rule: Rule is its name, or "#<index>"
// (1-based) when it has none; Field is the YAML key.
type RuleError struct {
	File  string
	Rule  string
	Field string
	Line  int
	Err   error
}

func (e *RuleError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rules %q", e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Rule != "" {
		fmt.Fprintf(&b, ": rule %s", e.Rule)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %q", e.Field)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *RuleError) Unwrap() error { return e.Err }

// checkKeys reports the first key of a mapping node not in allowed, and
// duplicates.
func checkKeys(n *yaml.Node, allowed []string) (string, int, error) {
	if n.Kind != yaml.MappingNode {
		return "", n.Line, fmt.Errorf("want a mapping, got %s", kindName(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !contains(allowed, k.Value) {
			return k.Value, k.Line, fmt.Errorf("unknown field (want one of %s)", strings.Join(allowed, ", "))
		}
		if seen[k.Value] {
			return k.Value, k.Line, errors.New("duplicate field")
		}
		seen[k.Value] = true
	}
	return "", 0, nil
}

func child(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", n.Value)
	}
	return "nothing"
}

// ParseRules parses a YAML rules file; name is used in errors (the path or
// URI it was read from). The file:
//
//	labels: [AI, OTHER]          # class order of every output
//	rules:
//	  - name: ai_terms           # unique, required
//	    label: AI                # one of labels, required
//	    keywords: [machine learning, "#ai", neural network*]
//	    without: [air india]     # optional: abstain when any of these match
//	    hashtags: false          # keywords and without ignore hashtags and mentions
//
// with exactly one kind per rule: keywords, regex (RE2, case-insensitive,
// on the raw text), domains (URL hosts and their subdomains), emoticons
// (emoticon or emoji tokens, verbatim), lexicon {min, max} (sum of the
// VADER valences of the words; no lexicon word abstains), retweet
// (true/false), length {min_words, max_words, min_chars, max_chars}, or
// model {path, threshold} (votes label when the model's probability of it
// is at least threshold).
func ParseRules(name string, data []byte, opts ParseOptions) (*Rules, error) {
	fail := func(rule, field string, line int, err error) error {
		return &RuleError{File: name, Rule: rule, Field: field, Line: line, Err: err}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fail("", "", 0, err)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil, fail("", "", 0, errors.New("empty file: want labels and rules"))
	}
	top := root.Content[0]
	if k, line, err := checkKeys(top, topKeys); err != nil {
		return nil, fail("", k, line, err)
	}
	var f rulesFile
	if err := top.Decode(&f); err != nil {
		return nil, fail("", "", 0, err)
	}
	if len(f.Labels) < 2 {
		return nil, fail("", "labels", 0, fmt.Errorf("want at least 2 labels, got %d", len(f.Labels)))
	}
	classes := map[string]int{}
	for i, l := range f.Labels {
		if strings.TrimSpace(l) == "" {
			return nil, fail("", "labels", 0, fmt.Errorf("label %d is empty", i+1))
		}
		if _, dup := classes[l]; dup {
			return nil, fail("", "labels", 0, fmt.Errorf("duplicate label %q", l))
		}
		classes[l] = i
	}
	if len(f.Rules) == 0 {
		return nil, fail("", "rules", 0, errors.New("no rules"))
	}
	out := &Rules{Labels: f.Labels}
	names := map[string]bool{}
	for i := range f.Rules {
		n := &f.Rules[i]
		id := fmt.Sprintf("#%d", i+1)
		if n.Kind == yaml.MappingNode {
			if v := child(n, "name"); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
				id = fmt.Sprintf("#%d %q", i+1, v.Value)
			}
		}
		if k, line, err := checkKeys(n, ruleKeys); err != nil {
			return nil, fail(id, k, line, err)
		}
		for key, allowed := range map[string][]string{"lexicon": rangeKeys, "length": lengthKeys, "model": modelKeys} {
			if v := child(n, key); v != nil {
				if k, line, err := checkKeys(v, allowed); err != nil {
					if k != "" {
						k = key + "." + k
					} else {
						k = key
					}
					return nil, fail(id, k, line, err)
				}
			}
		}
		var spec ruleSpec
		if err := n.Decode(&spec); err != nil {
			return nil, fail(id, "", n.Line, err)
		}
		lf, field, err := buildRule(&spec, classes, opts)
		if err != nil {
			line := n.Line
			if v := child(n, field); v != nil {
				line = v.Line
			}
			return nil, fail(id, field, line, err)
		}
		if names[spec.Name] {
			return nil, fail(id, "name", n.Line, errors.New("duplicate rule name"))
		}
		names[spec.Name] = true
		out.LFs = append(out.LFs, lf)
	}
	return out, nil
}

// buildRule compiles one rule; on error it names the field at fault.
func buildRule(s *ruleSpec, classes map[string]int, opts ParseOptions) (LF, string, error) {
	if strings.TrimSpace(s.Name) == "" {
		return nil, "name", errors.New("missing or empty")
	}
	if s.Label == "" {
		return nil, "label", errors.New("missing or empty")
	}
	class, ok := classes[s.Label]
	if !ok {
		return nil, "label", fmt.Errorf("label %q is not in labels", s.Label)
	}
	var kinds []string
	set := map[string]bool{
		"keywords": s.Keywords != nil, "regex": s.Regex != nil, "domains": s.Domains != nil,
		"emoticons": s.Emoticons != nil, "lexicon": s.Lexicon != nil, "retweet": s.Retweet != nil,
		"length": s.Length != nil, "model": s.Model != nil,
	}
	for _, k := range kindKeys {
		if set[k] {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != 1 {
		if len(kinds) == 0 {
			return nil, "", fmt.Errorf("no condition: want one of %s", strings.Join(kindKeys, ", "))
		}
		return nil, kinds[1], fmt.Errorf("more than one condition (%s): a rule has exactly one", strings.Join(kinds, ", "))
	}
	r := &ruleLF{name: s.Name, class: class, tags: s.Hashtags == nil || *s.Hashtags}
	if s.Hashtags != nil && kinds[0] != "keywords" && s.Without == nil {
		return nil, "hashtags", errors.New("only applies to keywords and without")
	}
	var err error
	if s.Without != nil {
		if r.without, err = compilePhrases(s.Without); err != nil {
			return nil, "without", err
		}
	}
	kind := kinds[0]
	switch kind {
	case "keywords":
		r.keywords, err = compilePhrases(s.Keywords)
	case "regex":
		if len(s.Regex) == 0 {
			err = errors.New("empty list")
		}
		for _, p := range s.Regex {
			re, e := regexp.Compile("(?i)" + p)
			if e != nil {
				err = fmt.Errorf("regular expression %q: %w", p, e)
				break
			}
			r.regex = append(r.regex, re)
			r.regexLits = append(r.regexLits, requiredLiterals("(?i)"+p))
		}
	case "domains":
		if len(s.Domains) == 0 {
			err = errors.New("empty list")
		}
		for _, d := range s.Domains {
			d = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(d)), "www.")
			if d == "" || strings.ContainsAny(d, "/ :") {
				err = fmt.Errorf("domain %q: want a host name such as arxiv.org", d)
				break
			}
			r.domains = append(r.domains, d)
		}
	case "emoticons":
		if len(s.Emoticons) == 0 {
			err = errors.New("empty list")
		}
		r.emoticons = map[string]bool{}
		for _, e := range s.Emoticons {
			if strings.TrimSpace(e) == "" {
				err = errors.New("empty emoticon")
				break
			}
			r.emoticons[strings.TrimSpace(e)] = true
		}
	case "lexicon":
		if s.Lexicon.Min == nil && s.Lexicon.Max == nil {
			err = errors.New("want min, max or both")
		} else if s.Lexicon.Min != nil && s.Lexicon.Max != nil && *s.Lexicon.Min > *s.Lexicon.Max {
			err = fmt.Errorf("min %g > max %g", *s.Lexicon.Min, *s.Lexicon.Max)
		}
		r.lexicon = s.Lexicon
	case "retweet":
		r.retweet = s.Retweet
	case "length":
		l := s.Length
		if l.MinWords == nil && l.MaxWords == nil && l.MinChars == nil && l.MaxChars == nil {
			err = errors.New("want at least one of min_words, max_words, min_chars, max_chars")
		}
		for _, p := range []*int{l.MinWords, l.MaxWords, l.MinChars, l.MaxChars} {
			if p != nil && *p < 0 {
				err = fmt.Errorf("negative bound %d", *p)
			}
		}
		r.length = l
	case "model":
		m := s.Model
		switch {
		case strings.TrimSpace(m.Path) == "":
			return nil, "model.path", errors.New("missing or empty")
		case m.Threshold <= 0 || m.Threshold > 1:
			return nil, "model.threshold", fmt.Errorf("%g: want a probability in (0, 1]", m.Threshold)
		case opts.LoadModel == nil:
			return nil, "model", errors.New("model rules are not supported here (no model loader)")
		}
		p, e := opts.LoadModel(m.Path)
		if e != nil {
			return nil, "model.path", e
		}
		idx := -1
		for i, l := range p.Labels() {
			if l == s.Label {
				idx = i
			}
		}
		if idx < 0 {
			return nil, "label", fmt.Errorf("label %q is not a class of model %q (it has %q)", s.Label, m.Path, p.Labels())
		}
		r.model, r.modelClass, r.threshold = p, idx, m.Threshold
	}
	if err != nil {
		return nil, kind, err
	}
	return r, "", nil
}

func compilePhrases(list []string) ([]phrase, error) {
	if len(list) == 0 {
		return nil, errors.New("empty list")
	}
	out := make([]phrase, 0, len(list))
	for _, s := range list {
		p, ok := compilePhrase(s)
		if !ok {
			return nil, fmt.Errorf("keyword %q has no letters or digits", s)
		}
		out = append(out, p)
	}
	return out, nil
}

// ruleLF is an LF of a rules file.
type ruleLF struct {
	name    string
	class   int
	without []phrase
	tags    bool // keywords also match inside hashtags and mentions

	keywords   []phrase
	regex      []*regexp.Regexp
	regexLits  []litFilter // regexLits[i]: literals a match of regex[i] contains
	domains    []string
	emoticons  map[string]bool
	lexicon    *rangeSpec
	retweet    *bool
	length     *lengthSpec
	model      Predictor
	modelClass int
	threshold  float64

	mu  sync.Mutex
	err error // first model error; Apply reports it
}

// Err is the first error of a model rule's predictions (nil otherwise).
func (r *ruleLF) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *ruleLF) Name() string { return r.name }

func (r *ruleLF) Vote(in *Input) int {
	if !r.fires(in) || len(r.without) > 0 && matchAny(r.without, in, r.tags) {
		return Abstain
	}
	return r.class
}

func (r *ruleLF) fires(in *Input) bool {
	switch {
	case r.keywords != nil:
		return matchAny(r.keywords, in, r.tags)
	case r.regex != nil:
		for i, re := range r.regex {
			if r.regexLits[i].mayMatch(in.foldedText()) && re.MatchString(in.Text) {
				return true
			}
		}
		return false
	case r.domains != nil:
		for _, d := range in.domains {
			for _, want := range r.domains {
				if d == want || strings.HasSuffix(d, "."+want) {
					return true
				}
			}
		}
		return false
	case r.emoticons != nil:
		for _, t := range in.raw {
			if r.emoticons[t] {
				return true
			}
		}
		return false
	case r.lexicon != nil:
		score, n := 0.0, 0
		for _, w := range in.words {
			if v, ok := featurize.Valence(w); ok {
				score += v
				n++
			}
		}
		if n == 0 {
			return false
		}
		return (r.lexicon.Min == nil || score >= *r.lexicon.Min) && (r.lexicon.Max == nil || score <= *r.lexicon.Max)
	case r.retweet != nil:
		return in.IsRetweet() == *r.retweet
	case r.length != nil:
		l, w, c := r.length, in.Words(), in.Chars()
		return (l.MinWords == nil || w >= *l.MinWords) && (l.MaxWords == nil || w <= *l.MaxWords) &&
			(l.MinChars == nil || c >= *l.MinChars) && (l.MaxChars == nil || c <= *l.MaxChars)
	case r.model != nil:
		p, err := r.model.Predict([]string{in.Text})
		if err == nil && (len(p) != 1 || r.modelClass >= len(p[0])) {
			err = fmt.Errorf("model returned %d rows for 1 text", len(p))
		}
		if err != nil {
			r.mu.Lock()
			if r.err == nil {
				r.err = fmt.Errorf("rule %q: model: %w", r.name, err)
			}
			r.mu.Unlock()
			return false
		}
		return float64(p[0][r.modelClass]) >= r.threshold
	}
	return false
}
