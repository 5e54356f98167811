package featurize

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Format is the value of Settings.Format written by this package. v2 added
// LexiconBins, LexiconIntensity, Boosters, ButRepeat and NegationWindow;
// settings of format
// FormatV1 (those fields zero) are still read and featurize as before.
const Format = "tweetflow-featurizer/v2"

// FormatV1 is the format of featurizers written before v2.
const FormatV1 = "tweetflow-featurizer/v1"

// HashFNV1a32 is the only hash function of formats v1 and v2.
const HashFNV1a32 = "fnv1a32"

// NegSuffix is appended to tokens in a negation scope.
const NegSuffix = "_NEG"

// Settings are the featurizer's parameters, stored as featurizer.json.
type Settings struct {
	Format    string `json:"format"`    // Format
	Tokenizer string `json:"tokenizer"` // TokenizerName at training time
	Hash      string `json:"hash"`      // HashFNV1a32

	Lowercase  bool   `json:"lowercase"`  // lower-case tokens (strings.ToLower)
	Elongation bool   `json:"elongation"` // shorten runs of 3+ equal letters to 2 ("sooo" -> "soo")
	Negation   bool   `json:"negation"`   // mark tokens after a negation with NegSuffix
	Lexicon    string `json:"lexicon"`    // "" or LexiconVADER: add lexicon valence features

	WordNgrams int `json:"word_ngrams"`    // longest hashed word n-gram; 1 = words only
	CharMin    int `json:"char_ngram_min"` // shortest character n-gram; 0 disables them
	CharMax    int `json:"char_ngram_max"` // longest character n-gram
	Buckets    int `json:"buckets"`        // hash buckets shared by all n-grams

	// Format v2 (all zero in v1 settings):
	LexiconBins      int  `json:"lexicon_bins,omitempty"`      // valence bins of the lexicon ids: 4 (also 0, v1) or 8
	LexiconIntensity bool `json:"lexicon_intensity,omitempty"` // emit a token's lexicon id ceil(|valence|) times
	Boosters         bool `json:"boosters,omitempty"`          // a lexicon token after a VADER booster ("very") emits its lexicon id once more
	ButRepeat        int  `json:"but_repeat,omitempty"`        // tokens after the last "but" emit their word and lexicon ids this many extra times
	NegationWindow   int  `json:"negation_window,omitempty"`   // a negation scope ends after this many marked tokens; 0 = only at punctuation

	// RuleFeatures names the rule features (format v2; empty: none): rules
	// of a rules file (internal/weak) voting on the raw tweet, each fired
	// rule adding its own id after the text's ids. The rules themselves are
	// a file beside the settings (RulesFile), attached with AttachRules.
	RuleFeatures []string `json:"rule_features,omitempty"`
	// RuleRepeat is how many times a fired rule's id is emitted (0 and 1:
	// once), so that it weighs like a word with its n-grams in the mean.
	RuleRepeat int `json:"rule_repeat,omitempty"`

	MinCount int `json:"min_count"` // vocabulary: words seen at least this often
	MaxVocab int `json:"max_vocab"` // vocabulary: at most this many words; 0 = no limit

	VocabSize int `json:"vocab_size"` // number of words in vocab.txt
	Specials  int `json:"specials"`   // rows of special features (lexicon bins)
	Rows      int `json:"rows"`       // 1 + VocabSize + Specials + Buckets + len(RuleFeatures): rows of the embedding table
}

// DefaultSettings returns the settings chosen on the SemEval development
// set with hack/quality (see hack/quality/README.md): the VADER lexicon
// features gave +2 points of macro recall, and 8 valence bins with ids
// repeated by intensity, booster words, the "but" clause and a negation
// window of 3 tokens (VADER's) another +0.5;
// negation marking, word bigrams and char 3-5-grams each help a little or
// not at all but cost nothing at serving time; 100k buckets score like 1M
// (50k too) with a 10x smaller table; min count 2 halves the vocabulary
// without loss.
func DefaultSettings() Settings {
	return Settings{
		Format:     Format,
		Tokenizer:  TokenizerName,
		Hash:       HashFNV1a32,
		Lowercase:  true,
		Elongation: true,
		Negation:   true,
		Lexicon:    LexiconVADER,
		WordNgrams: 2,
		CharMin:    3,
		CharMax:    5,
		Buckets:    100000,
		MinCount:   2,

		LexiconBins:      8,
		LexiconIntensity: true,
		Boosters:         true,
		ButRepeat:        1,
		NegationWindow:   3,
	}
}

// Validate checks the parameters (not VocabSize and Rows).
func (s Settings) Validate() error {
	v2 := s.LexiconBins != 0 || s.LexiconIntensity || s.Boosters || s.ButRepeat != 0 || s.NegationWindow != 0 || len(s.RuleFeatures) > 0
	if err := checkRuleNames(s.RuleFeatures); err != nil {
		return err
	}
	switch {
	case s.Format == FormatV1 && v2:
		return fmt.Errorf("checking featurizer format %q: lexicon bins, intensity, boosters, but repeats, negation windows and rule features need %q", s.Format, Format)
	case s.Format != Format && s.Format != FormatV1:
		return fmt.Errorf("checking featurizer format %q: want %q (or %q)", s.Format, Format, FormatV1)
	case s.LexiconBins != 0 && s.LexiconBins != 4 && s.LexiconBins != 8:
		return fmt.Errorf("checking lexicon bins %d: want 4 or 8", s.LexiconBins)
	case s.ButRepeat < 0 || s.ButRepeat > 10:
		return fmt.Errorf("checking but repeats %d: must be in 0..10", s.ButRepeat)
	case s.RuleRepeat < 0 || s.RuleRepeat > 1000:
		return fmt.Errorf("checking rule repeat %d: must be in 0..1000", s.RuleRepeat)
	case s.NegationWindow < 0:
		return fmt.Errorf("checking negation window %d: must not be negative", s.NegationWindow)
	case s.Tokenizer != TokenizerName:
		return fmt.Errorf("checking featurizer tokenizer %q: this build tokenizes with %q", s.Tokenizer, TokenizerName)
	case s.Hash != HashFNV1a32:
		return fmt.Errorf("checking featurizer hash %q: want %q", s.Hash, HashFNV1a32)
	case s.WordNgrams < 1 || s.WordNgrams > 10:
		return fmt.Errorf("checking word n-grams %d: must be in 1..10", s.WordNgrams)
	case s.CharMin < 0 || (s.CharMin > 0 && (s.CharMax < s.CharMin || s.CharMax > 20)):
		return fmt.Errorf("checking char n-grams %d-%d: want 0 or 1 <= min <= max <= 20", s.CharMin, s.CharMax)
	case s.Buckets < 0:
		return fmt.Errorf("checking buckets %d: must not be negative", s.Buckets)
	case s.Buckets == 0 && (s.WordNgrams > 1 || s.CharMin > 0):
		return fmt.Errorf("checking buckets 0: n-gram features need buckets")
	case s.MinCount < 1:
		return fmt.Errorf("checking min count %d: must be positive", s.MinCount)
	case s.Lexicon != "" && s.Lexicon != LexiconVADER:
		return fmt.Errorf("checking lexicon %q: want \"\" or %q", s.Lexicon, LexiconVADER)
	case s.MaxVocab < 0:
		return fmt.Errorf("checking max vocab %d: must not be negative", s.MaxVocab)
	}
	return nil
}

// Featurizer turns clean text into embedding-row ids. It is immutable and
// safe for concurrent use.
type Featurizer struct {
	s     Settings
	vocab []string
	index map[string]int32

	fastOnce sync.Once
	fast     *fastTable // AppendIDs's lookup table, built on first use

	rules RuleVoter // computes the rule features; set by AttachRules
}

// New returns a featurizer with the given settings and vocabulary (word i
// gets id i+1). It fills s.VocabSize and s.Rows.
func New(s Settings, vocab []string) (*Featurizer, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if int64(len(vocab))+int64(s.Buckets)+int64(len(s.RuleFeatures))+1 > 1<<31-1 {
		return nil, fmt.Errorf("checking table size: %d words + %d buckets exceed int32 ids", len(vocab), s.Buckets)
	}
	f := &Featurizer{s: s, vocab: vocab, index: make(map[string]int32, len(vocab))}
	for i, w := range vocab {
		if w == "" || strings.ContainsAny(w, "\n\r") {
			return nil, fmt.Errorf("checking vocabulary word %d %q: empty or contains a line break", i+1, w)
		}
		if _, dup := f.index[w]; dup {
			return nil, fmt.Errorf("checking vocabulary word %d %q: duplicate", i+1, w)
		}
		f.index[w] = int32(i + 1)
	}
	f.s.VocabSize = len(vocab)
	f.s.Specials = specials(s)
	f.s.Rows = 1 + len(vocab) + f.s.Specials + s.Buckets + len(s.RuleFeatures)
	return f, nil
}

// Settings returns the settings, VocabSize and Rows filled in.
func (f *Featurizer) Settings() Settings { return f.s }

// Rows returns the number of rows of the embedding table the ids index:
// 1 (padding) + vocabulary + specials + buckets + rule features.
func (f *Featurizer) Rows() int { return f.s.Rows }

// Vocab returns the vocabulary; word i has id i+1. Do not modify it.
func (f *Featurizer) Vocab() []string { return f.vocab }

// WordID returns the id of a vocabulary word (a normalised token).
func (f *Featurizer) WordID(w string) (int32, bool) {
	id, ok := f.index[w]
	return id, ok
}

// Tokens returns the normalised tokens of clean text: Tokenize, then
// lower-casing, elongation shortening and negation marking as configured.
func (f *Featurizer) Tokens(cleanText string) []string {
	return normalize(f.s, Tokenize(cleanText))
}

// IDs returns the ids of clean text as int64, the ONNX graph's input type.
func (f *Featurizer) IDs(cleanText string) []int64 {
	ids := f.AppendIDs(nil, cleanText)
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return out
}

// AppendIDs appends the ids of clean text to dst. See the package
// documentation for their order. It allocates nothing in the steady state
// for most texts: the first call builds a lookup table of every vocabulary
// and lexicon word (a few MB, tens of ms), see the Performance section of
// the package documentation.
func (f *Featurizer) AppendIDs(dst []int32, cleanText string) []int32 {
	if out, ok := f.appendIDsFast(dst, cleanText); ok {
		return out
	}
	return f.appendIDsReference(dst, cleanText)
}

// appendIDsReference is the straightforward AppendIDs: Tokens, then the
// ids of every token. The fast path must give the same ids.
func (f *Featurizer) appendIDsReference(dst []int32, cleanText string) []int32 {
	return f.appendTokenIDs(dst, f.Tokens(cleanText))
}

func (f *Featurizer) appendTokenIDs(dst []int32, toks []string) []int32 {
	for _, t := range toks {
		dst = f.appendToken(dst, t)
	}
	dst = appendWordNgrams(dst, &f.s, f.bucketBase(), toks)
	return f.appendContext(dst, toks)
}

// appendContext appends the ids that depend on a token's neighbours: the
// "but" clause repeats, then the booster ids.
func (f *Featurizer) appendContext(dst []int32, toks []string) []int32 {
	s := f.s
	if s.ButRepeat > 0 {
		last := -1
		for i, t := range toks {
			if base, _ := strings.CutSuffix(t, NegSuffix); base == "but" {
				last = i
			}
		}
		if last >= 0 {
			for _, t := range toks[last+1:] {
				for range s.ButRepeat {
					if id, ok := f.index[t]; ok {
						dst = append(dst, id)
					}
					dst = f.appendLex(dst, t)
				}
			}
		}
	}
	if s.Boosters && s.Specials > 0 {
		for i := 1; i < len(toks); i++ {
			if base, _ := strings.CutSuffix(toks[i-1], NegSuffix); boosters[base] {
				if bin, _ := lexiconBin(toks[i], s.LexiconBins); bin >= 0 {
					dst = append(dst, f.specialBase()+int32(bin))
				}
			}
		}
	}
	return dst
}

// specialBase is the id of special row 0.
func (f *Featurizer) specialBase() int32 { return int32(1 + len(f.vocab)) }

// appendLex appends the lexicon id of a token, if any: once, or
// ceil(|valence|) times with LexiconIntensity.
func (f *Featurizer) appendLex(dst []int32, t string) []int32 {
	base, negated := strings.CutSuffix(t, NegSuffix)
	return f.appendLexBase(dst, base, negated)
}

// appendLexBase is appendLex of base, plus NegSuffix when negated.
func (f *Featurizer) appendLexBase(dst []int32, base string, negated bool) []int32 {
	if f.s.Specials == 0 {
		return dst
	}
	bin, v := lexiconBinBase(base, negated, f.s.LexiconBins)
	if bin < 0 {
		return dst
	}
	n := 1
	if f.s.LexiconIntensity {
		n = int(math.Ceil(float64(abs32(v))))
	}
	for range n {
		dst = append(dst, f.specialBase()+int32(bin))
	}
	return dst
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// bucketBase is the id of bucket 0.
func (f *Featurizer) bucketBase() uint32 { return uint32(1 + len(f.vocab) + f.s.Specials) }

// appendToken appends the ids of one token: its word id (when in the
// vocabulary), its lexicon ids (when enabled and found) and its character
// n-grams.
func (f *Featurizer) appendToken(dst []int32, t string) []int32 {
	if id, ok := f.index[t]; ok {
		dst = append(dst, id)
	}
	dst = f.appendLex(dst, t)
	return appendCharNgrams(dst, &f.s, f.bucketBase(), t)
}

// AppendDoc featurizes clean text and appends it to d as one document.
func (f *Featurizer) AppendDoc(d *Docs, cleanText string) {
	if d.Offsets == nil {
		d.Offsets = []int64{0}
	}
	d.IDs = f.AppendIDs(d.IDs, cleanText)
	d.Offsets = append(d.Offsets, int64(len(d.IDs)))
}

const (
	fnvOffset32 = 2166136261
	fnvPrime32  = 16777619
)

// FNV1a32 returns the 32-bit FNV-1a hash of s (offset basis 2166136261,
// prime 16777619, one byte at a time).
func FNV1a32(s string) uint32 { return fnvString(fnvOffset32, s) }

func fnvString(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= fnvPrime32
	}
	return h
}

func fnvByte(h uint32, b byte) uint32 {
	h ^= uint32(b)
	return h * fnvPrime32
}

// appendCharNgrams appends the bucket ids of the character n-grams of
// "<" + tok + ">" (lengths in runes, tok without NegSuffix and without the
// '#' of a hashtag). The hash of a
// negation-marked token's n-gram starts with the byte 0x01, so "not good"
// does not share the n-grams of "good".
func appendCharNgrams(dst []int32, s *Settings, base uint32, tok string) []int32 {
	tok, negated := strings.CutSuffix(tok, NegSuffix)
	return appendCharNgramsBase(dst, s, base, tok, negated)
}

// appendCharNgramsBase is appendCharNgrams of tok, plus NegSuffix when
// negated.
func appendCharNgramsBase(dst []int32, s *Settings, base uint32, tok string, negated bool) []int32 {
	if s.CharMin <= 0 {
		return dst
	}
	if len(tok) > 1 && tok[0] == '#' {
		tok = tok[1:] // "#happy" shares the n-grams of "happy"
	}
	seed := uint32(fnvOffset32)
	if negated {
		seed = fnvByte(seed, 0x01) // negated tokens get their own n-grams
	}
	// Rune start offsets of w = "<" + tok + ">", plus len(w).
	var starts [64]int
	pos := starts[:0]
	pos = append(pos, 0)
	for i := range tok {
		pos = append(pos, 1+i)
	}
	pos = append(pos, 1+len(tok), 2+len(tok))
	nr := len(pos) - 1 // runes in w
	at := func(i int) byte {
		switch {
		case i == 0:
			return '<'
		case i == len(tok)+1:
			return '>'
		}
		return tok[i-1]
	}
	b := uint32(s.Buckets)
	for i := 0; i < nr; i++ {
		h := seed
		for n := 1; n <= s.CharMax && i+n <= nr; n++ {
			for k := pos[i+n-1]; k < pos[i+n]; k++ {
				h = fnvByte(h, at(k))
			}
			if n < s.CharMin {
				continue
			}
			if n == 1 && (i == 0 || i+n == nr) {
				continue // a lone boundary marker
			}
			dst = append(dst, int32(base+h%b))
		}
	}
	return dst
}

// appendWordNgrams appends the bucket ids of the word n-grams of lengths
// 2..WordNgrams, each hashed as the tokens joined by single spaces.
func appendWordNgrams(dst []int32, s *Settings, base uint32, toks []string) []int32 {
	b := uint32(s.Buckets)
	for i := range toks {
		h := fnvString(fnvOffset32, toks[i])
		for n := 2; n <= s.WordNgrams && i+n <= len(toks); n++ {
			h = fnvByte(h, ' ')
			h = fnvString(h, toks[i+n-1])
			dst = append(dst, int32(base+h%b))
		}
	}
	return dst
}

// normalize applies the token normalisations of s in place.
func normalize(s Settings, toks []string) []string {
	for i, t := range toks {
		toks[i] = normToken(&s, t)
	}
	if s.Negation {
		markNegation(toks, s.NegationWindow)
	}
	return toks
}

// shortenElongation replaces every run of 3 or more equal letters by 2.
func shortenElongation(t string) string {
	var prev rune = -1
	run := 0
	need := false
	for _, r := range t {
		if r == prev {
			run++
			if run >= 3 && isLetter(r) {
				need = true
				break
			}
		} else {
			prev, run = r, 1
		}
	}
	if !need {
		return t
	}
	var sb strings.Builder
	prev, run = -1, 0
	for _, r := range t {
		if r == prev {
			run++
		} else {
			prev, run = r, 1
		}
		if run >= 3 && isLetter(r) {
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

func isLetter(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r > 127 && r != utf8.RuneError && unicode.IsLetter(r))
}

var negators = map[string]bool{
	"not": true, "no": true, "never": true, "nobody": true, "nothing": true, "none": true,
	"neither": true, "nor": true, "nowhere": true, "cannot": true, "cant": true, "dont": true,
	"doesnt": true, "didnt": true, "isnt": true, "wasnt": true, "wont": true, "wouldnt": true,
	"shouldnt": true, "couldnt": true, "aint": true, "arent": true, "werent": true,
	"hasnt": true, "havent": true, "hadnt": true, "mustnt": true, "without": true,
}

// IsNegator reports whether a (lower-case) token starts a negation scope:
// a word of the negators list or any word ending in "n't" (also with a
// typographic apostrophe).
func IsNegator(t string) bool {
	return negators[t] || strings.HasSuffix(t, "n't") || strings.HasSuffix(t, "n\u2019t")
}

// endsScope reports whether a token ends a negation scope: a token made
// only of the characters . , : ; ! ? (and at least one of them).
func endsScope(t string) bool {
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		if !strings.ContainsRune(".,:;!?", rune(t[i])) {
			return false
		}
	}
	return true
}

// markNegation appends NegSuffix to the tokens after a negator up to the
// next scope-ending token, except to @mentions, URLs, and tokens without a
// letter or digit (emoticons, punctuation). With window > 0 the scope also
// ends after window marked tokens.
func markNegation(toks []string, window int) {
	in := false
	left := 0
	for i, t := range toks {
		switch {
		case endsScope(t):
			in = false
		case IsNegator(t):
			in, left = true, window
		case in && markable(t):
			toks[i] = t + NegSuffix
			if window > 0 {
				left--
				in = left > 0
			}
		}
	}
}

func markable(t string) bool {
	if strings.HasPrefix(t, "@") || strings.HasPrefix(t, "http") || strings.HasPrefix(t, "<") {
		return false
	}
	for _, r := range t {
		if isLetter(r) || (r >= '0' && r <= '9') {
			return true
		}
	}
	return false
}

// Docs holds featurized documents compactly: document i is
// IDs[Offsets[i]:Offsets[i+1]]. The zero value is empty.
type Docs struct {
	Offsets []int64 // len = documents + 1 (or 0 when empty)
	IDs     []int32
}

// Len returns the number of documents.
func (d *Docs) Len() int {
	if len(d.Offsets) == 0 {
		return 0
	}
	return len(d.Offsets) - 1
}

// Doc returns the ids of document i.
func (d *Docs) Doc(i int) []int32 { return d.IDs[d.Offsets[i]:d.Offsets[i+1]] }

// Append adds a document with the given ids.
func (d *Docs) Append(ids []int32) {
	if d.Offsets == nil {
		d.Offsets = []int64{0}
	}
	d.IDs = append(d.IDs, ids...)
	d.Offsets = append(d.Offsets, int64(len(d.IDs)))
}

// Save writes the settings as indented JSON to settings and the
// vocabulary, one word a line in id order, to vocab.
func (f *Featurizer) Save(settings, vocab io.Writer) error {
	b, err := json.MarshalIndent(f.s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding featurizer settings: %w", err)
	}
	if _, err := settings.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("writing featurizer settings: %w", err)
	}
	w := bufio.NewWriter(vocab)
	for _, word := range f.vocab {
		w.WriteString(word)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing vocabulary: %w", err)
	}
	return nil
}

// Load reads a featurizer written by Save. It checks that the vocabulary
// has Settings.VocabSize words.
func Load(settings, vocab io.Reader) (*Featurizer, error) {
	var s Settings
	dec := json.NewDecoder(settings)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("decoding featurizer settings: %w", err)
	}
	var words []string
	sc := bufio.NewScanner(vocab)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		words = append(words, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading vocabulary: %w", err)
	}
	if len(words) != s.VocabSize {
		return nil, fmt.Errorf("reading vocabulary: %d words, settings say %d", len(words), s.VocabSize)
	}
	rows := s.Rows
	f, err := New(s, words)
	if err != nil {
		return nil, err
	}
	if rows != f.s.Rows {
		return nil, fmt.Errorf("checking featurizer rows %d: vocabulary and buckets give %d", rows, f.s.Rows)
	}
	return f, nil
}

// ErrNoDocuments is returned by Builder.Build when nothing was added.
var ErrNoDocuments = errors.New("no documents")
