package weak

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/text"
)

// Abstain is the vote of an LF that does not label a tweet.
const Abstain = -1

// LF is one labeling function: it votes a class index (into the label list
// it was built for) or Abstain. Implementations must be deterministic and
// safe for concurrent use.
type LF interface {
	Name() string
	Vote(in *Input) int
}

// Input is what an LF sees of one tweet. Build it with NewInput: the token
// forms are computed once and shared by every LF.
type Input struct {
	Text      string   // raw text
	CleanText string   // clean stage output, may be empty
	URLs      []string // links of the urls column plus those found in Text

	words    []string        // lower-case word stream, hashtags/mentions split at camel case
	plain    []string        // the words outside hashtags and mentions
	tags     []string        // hashtags and mentions: lower case, sign kept ("#deeplearning")
	tagWords map[string]bool // hashtag/mention bodies without sign, lower case
	wordSet  map[string]bool // the words of words, for a phrase's first word
	plainSet map[string]bool // the words of plain
	folded   string          // Text in fold form (foldString), made on first use
	isFolded bool            // folded is set
	raw      []string        // tokens of text.Tokenize (emoji, emoticons kept verbatim)
	domains  []string        // lower-case hosts of URLs without "www."
}

// foldedText returns Text in fold form, for the regular expressions'
// literal filters. An Input is used by one goroutine at a time.
func (in *Input) foldedText() string {
	if !in.isFolded {
		in.folded, in.isFolded = foldString(in.Text), true
	}
	return in.folded
}

// NewInput prepares a tweet for voting.
func NewInput(t *dataset.Tweet) *Input {
	return newInput(t.Text, t.CleanText, t.URLs)
}

// NewTextInput prepares a bare text for voting.
func NewTextInput(s string) *Input { return newInput(s, "", nil) }

func newInput(raw, clean string, urls []string) *Input {
	in := &Input{}
	in.fill(raw, clean, urls)
	return in
}

// fill prepares in for a tweet, reusing its slices and maps (RuleFeatures
// keeps Inputs in a pool: a tweet's rule input then allocates little).
func (in *Input) fill(raw, clean string, urls []string) {
	in.Text, in.CleanText, in.folded, in.isFolded = raw, clean, "", false
	src := raw
	if src == "" {
		src = clean
	}
	in.URLs = append(in.URLs[:0], urls...)
	for _, u := range text.ExtractURLs(src) {
		if !contains(in.URLs, u) {
			in.URLs = append(in.URLs, u)
		}
	}
	in.domains = in.domains[:0]
	for _, u := range in.URLs {
		if d := domainOf(u); d != "" && !contains(in.domains, d) {
			in.domains = append(in.domains, d)
		}
	}
	in.raw = text.AppendTokens(in.raw[:0], src)
	in.words, in.plain, in.tags = in.words[:0], in.plain[:0], in.tags[:0]
	if in.tagWords == nil {
		in.tagWords, in.wordSet, in.plainSet = map[string]bool{}, map[string]bool{}, map[string]bool{}
	} else {
		clear(in.tagWords)
		clear(in.wordSet)
		clear(in.plainSet)
	}
	for _, tok := range in.raw {
		if strings.Contains(tok, "://") || strings.HasPrefix(strings.ToLower(tok), "www.") {
			continue
		}
		if (tok[0] == '#' || tok[0] == '@') && len(tok) > 1 {
			body := tok[1:]
			low := strings.ToLower(body)
			in.tags = append(in.tags, string(tok[0])+low)
			in.tagWords[low] = true
			for _, p := range splitCamel(body) {
				in.words = appendWords(in.words, p)
			}
			continue
		}
		n := len(in.words)
		in.words = appendWords(in.words, tok)
		in.plain = append(in.plain, in.words[n:]...)
	}
	for _, w := range in.words {
		in.wordSet[w] = true
	}
	for _, w := range in.plain {
		in.plainSet[w] = true
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// splitWord lower-cases a token and splits it into runs of letters and
// digits ("don't" -> don, t; "state_of_art" -> state, of, art); tokens
// without a letter or digit (punctuation, emoji) give nothing.
func splitWord(tok string) []string { return appendWords(nil, tok) }

// appendWords appends the words of splitWord(tok) to out.
func appendWords(out []string, tok string) []string {
	start := -1
	for i, r := range tok {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, strings.ToLower(tok[start:i]))
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, strings.ToLower(tok[start:]))
	}
	return out
}

// splitCamel splits a hashtag body at case changes, letter/digit changes
// and underscores: "DeepLearning" -> Deep Learning, "NLPTools" -> NLP
// Tools, "AI4Good" -> AI 4 Good. An all-lower or all-upper body stays whole.
func splitCamel(s string) []string {
	rs := []rune(s)
	var out []string
	start := 0
	cls := func(r rune) int {
		switch {
		case unicode.IsUpper(r):
			return 1
		case unicode.IsLower(r):
			return 2
		case unicode.IsDigit(r):
			return 3
		}
		return 0
	}
	for i := 1; i < len(rs); i++ {
		a, b := cls(rs[i-1]), cls(rs[i])
		cut := false
		switch {
		case b == 0 || a == 0:
			cut = a != b
		case a == 2 && b == 1: // deepL
			cut = true
		case a == 1 && b == 1 && i+1 < len(rs) && cls(rs[i+1]) == 2: // NLPTools: cut before T
			cut = true
		case (a == 3) != (b == 3):
			cut = true
		}
		if cut {
			out = append(out, string(rs[start:i]))
			start = i
		}
	}
	out = append(out, string(rs[start:]))
	return out
}

// domainOf returns the lower-case host of a link without "www.", or "".
func domainOf(u string) string {
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	h := strings.ToLower(p.Hostname())
	return strings.TrimPrefix(h, "www.")
}

// IsRetweet reports whether the text is a retweet: it starts with "RT @".
func (in *Input) IsRetweet() bool {
	return strings.HasPrefix(strings.TrimSpace(in.Text), "RT @")
}

// Words is the number of words of the tweet (hashtags split at camel case).
func (in *Input) Words() int { return len(in.words) }

// Chars is the number of runes of the raw text.
func (in *Input) Chars() int { return utf8.RuneCountInString(in.Text) }

// phrase is one compiled keyword or phrase.
type phrase struct {
	words    []string // lower-case words of the phrase
	prefix   bool     // last word ends with '*': matches any word it starts
	tagOnly  bool     // written "#xyz" or "@xyz": matches only that hashtag/mention
	sign     byte
	joined   string // words joined without spaces: the concatenated hashtag form
	original string
}

// compilePhrase parses a keyword: words separated by spaces or
// punctuation, an optional trailing '*' (prefix match of the last word),
// or a hashtag/mention form "#ai" that only matches that tag.
func compilePhrase(s string) (phrase, bool) {
	p := phrase{original: s}
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "*") {
		p.prefix = true
		s = strings.TrimSuffix(s, "*")
	}
	if len(s) > 1 && (s[0] == '#' || s[0] == '@') && !strings.ContainsAny(s, " \t") {
		p.tagOnly, p.sign = true, s[0]
		s = s[1:]
	}
	p.words = splitWord(s)
	if len(p.words) == 0 {
		return p, false
	}
	p.joined = strings.Join(p.words, "")
	return p, true
}

// matchIn is match; with tags false only the words outside hashtags and
// mentions count.
func (p *phrase) matchIn(in *Input, tags bool) bool {
	words, set := in.words, in.wordSet
	if !tags {
		if p.tagOnly {
			return false
		}
		words, set = in.plain, in.plainSet
	}
	if p.tagOnly {
		for _, t := range in.tags {
			if t[0] != p.sign {
				continue
			}
			if t[1:] == p.joined || p.prefix && strings.HasPrefix(t[1:], p.joined) {
				return true
			}
		}
		return false
	}
	n := len(p.words)
	// A phrase whose first word is matched exactly (all but a one-word
	// prefix) can only match where that word occurs: most phrases are
	// ruled out by one lookup instead of a scan of the words.
	if n > 1 || !p.prefix {
		if set[p.words[0]] && (n == 1 || p.scan(words)) {
			return true
		}
	} else if p.scan(words) {
		return true
	}
	if tags && (n > 1 || p.prefix) {
		if !p.prefix {
			return in.tagWords[p.joined]
		}
		for t := range in.tagWords {
			if strings.HasPrefix(t, p.joined) {
				return true
			}
		}
	}
	return false
}

// scan reports whether the phrase's words occur in order in words.
func (p *phrase) scan(words []string) bool {
	n := len(p.words)
	for i := 0; i+n <= len(words); i++ {
		ok := true
		for j, w := range p.words {
			got := words[i+j]
			if got == w || p.prefix && j == n-1 && strings.HasPrefix(got, w) {
				continue
			}
			ok = false
			break
		}
		if ok {
			return true
		}
	}
	return false
}

func matchAny(ps []phrase, in *Input, tags bool) bool {
	for i := range ps {
		if ps[i].matchIn(in, tags) {
			return true
		}
	}
	return false
}

// FuncLF adapts a Go function to the LF interface.
type FuncLF struct {
	LFName string
	Fn     func(*Input) int
}

// Name implements LF.
func (f FuncLF) Name() string { return f.LFName }

// Vote implements LF.
func (f FuncLF) Vote(in *Input) int { return f.Fn(in) }
