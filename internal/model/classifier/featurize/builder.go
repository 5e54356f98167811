package featurize

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Builder builds a featurizer's vocabulary from training texts and
// featurizes those texts in the same pass over the data: Add keeps each
// text only as interned token numbers, Build chooses the vocabulary and
// returns the ids of every added text, BuildCorpus returns the texts as a
// Corpus that computes the ids on demand.
type Builder struct {
	s      Settings
	f      *Featurizer // given to NewCorpusBuilder; nil: build one
	intern map[string]int32
	words  []string
	counts []int64
	chunks [][]int32 // interned tokens of all documents: full chunks
	chunk  []int32   // the chunk being filled
	starts []uint64  // document i starts at chunk starts[i]>>32, index uint32(starts[i])

	rules   RuleVoter // with rule features: computes them in AddTweet
	fired   []uint16  // rule features: fired rules of all documents
	firedAt []uint32  // document i's fired rules are fired[firedAt[i]:firedAt[i+1]]
	scratch []int
}

// NewBuilder returns a builder for featurizers with settings s.
func NewBuilder(s Settings) (*Builder, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &Builder{s: s, intern: make(map[string]int32)}, nil
}

// NewCorpusBuilder returns a builder of a Corpus of texts featurized by f
// (a validation set, say): Add, then BuildCorpus (or Build) returns f
// itself and the texts' ids under f, computed on demand.
func NewCorpusBuilder(f *Featurizer) *Builder {
	b := &Builder{s: f.s, f: f, intern: make(map[string]int32), rules: f.rules}
	if f.HasRules() {
		b.firedAt = []uint32{0}
	}
	return b
}

// AttachRules makes the rules v features of the featurizer the builder
// builds, which has them attached. Settings that name no rule features
// take v's names (Settings.RuleFeatures); settings that name some must
// name v's, in order (see Featurizer.AttachRules). Call it before the
// first document.
func (b *Builder) AttachRules(v RuleVoter) error {
	names := v.RuleNames()
	switch {
	case b.Len() > 0:
		return errors.New("attaching rules: documents were added without them")
	case len(names) > 1<<16:
		return fmt.Errorf("attaching rules: %d rules, at most %d", len(names), 1<<16)
	case len(b.s.RuleFeatures) > 0:
		if err := checkRules(b.s.RuleFeatures, v); err != nil {
			return err
		}
	default:
		s := b.s
		s.RuleFeatures = slices.Clone(names)
		if err := s.Validate(); err != nil {
			return fmt.Errorf("attaching rules: %w", err)
		}
		b.s = s
	}
	b.rules, b.firedAt = v, []uint32{0}
	return nil
}

// AddTweet records a tweet as the next document: its clean text as Add
// does and, with rule features, the rules that fire on it (raw and clean
// text), so that the document's ids are those of
// Featurizer.AppendTweetIDs. Without rule features it is Add(clean).
func (b *Builder) AddTweet(raw, clean string) {
	b.add(clean)
	if len(b.s.RuleFeatures) == 0 {
		return
	}
	if b.rules == nil {
		panic(ErrNoRules)
	}
	b.scratch = b.rules.AppendFired(b.scratch[:0], raw, clean)
	for _, j := range b.scratch {
		b.fired = append(b.fired, uint16(j))
	}
	b.firedAt = append(b.firedAt, uint32(len(b.fired)))
}

// Add tokenizes one training text and records it as the next document.
// It does not keep a reference to cleanText (new tokens are copied), so
// the text may be part of a larger buffer. With rule features use
// AddTweet: Add panics (ErrNoRules).
func (b *Builder) Add(cleanText string) {
	if len(b.s.RuleFeatures) > 0 {
		panic(ErrNoRules)
	}
	b.add(cleanText)
}

func (b *Builder) add(cleanText string) {
	toks := normalize(b.s, Tokenize(cleanText))
	if len(b.chunk)+len(toks) > cap(b.chunk) {
		// A new chunk: tokens are never copied to grow a slice, and a
		// document never spans two chunks.
		if b.chunk != nil {
			b.chunks = append(b.chunks, b.chunk)
		}
		b.chunk = make([]int32, 0, max(len(toks), min(maxChunk, 2*cap(b.chunk)), minChunk))
	}
	b.starts = append(b.starts, uint64(len(b.chunks))<<32|uint64(len(b.chunk)))
	for _, t := range toks {
		id, ok := b.intern[t]
		if !ok {
			// Tokens are substrings of cleanText, which may share its
			// backing array with a whole batch of texts: copy.
			t = strings.Clone(t)
			id = int32(len(b.words))
			b.intern[t] = id
			b.words = append(b.words, t)
			b.counts = append(b.counts, 0)
		}
		b.counts[id]++
		b.chunk = append(b.chunk, id)
	}
}

// Token chunk sizes: chunks double from minChunk to maxChunk tokens.
var minChunk, maxChunk = 1 << 10, 1 << 20

// Len returns the number of documents added.
func (b *Builder) Len() int { return len(b.starts) }

// Build chooses the vocabulary (words seen at least MinCount times, the
// MaxVocab most frequent, ordered by decreasing count then by word) and
// returns the featurizer and the ids of the added documents, in order.
// The builder must not be used afterwards.
//
// The ids take about 4 bytes for each of the ~150 ids of a tweet (char
// n-grams included); BuildCorpus keeps about a tenth of that.
func (b *Builder) Build() (*Featurizer, *Docs, error) {
	f, c, err := b.BuildCorpus()
	if err != nil {
		return nil, nil, err
	}
	// Size the id array exactly, so that it is not grown by doubling.
	var total int64
	var scratch []int32
	for i := range c.Len() {
		scratch = c.AppendIDs(scratch[:0], i)
		total += int64(len(scratch))
	}
	docs := &Docs{Offsets: make([]int64, 1, c.Len()+1), IDs: make([]int32, 0, total)}
	for i := range c.Len() {
		docs.IDs = c.AppendIDs(docs.IDs, i)
		docs.Offsets = append(docs.Offsets, int64(len(docs.IDs)))
	}
	return f, docs, nil
}

// BuildCorpus chooses the vocabulary like Build (or takes the featurizer
// of NewCorpusBuilder) and returns the featurizer and the added documents
// as a Corpus, which keeps each document as its interned tokens and
// computes its ids on demand. The builder must not be used afterwards.
func (b *Builder) BuildCorpus() (*Featurizer, *Corpus, error) {
	if b.Len() == 0 {
		return nil, nil, ErrNoDocuments
	}
	f := b.f
	if f == nil {
		var err error
		if f, err = b.chooseVocab(); err != nil {
			return nil, nil, err
		}
		f.rules = b.rules
	}
	b.intern, b.counts = nil, nil
	// The ids of each distinct token (its word id, lexicon ids and char
	// n-grams: ~12 ids) are computed once; those of its neighbours (word
	// n-grams, "but" and booster ids) on demand.
	c := &Corpus{f: f, words: b.words, starts: slices.Clip(b.starts),
		chunks: append(b.chunks, slices.Clone(b.chunk)), tokOff: make([]uint32, len(b.words)+1),
		fired: slices.Clip(b.fired), firedAt: slices.Clip(b.firedAt)}
	for i, w := range b.words {
		c.tokIDs = f.appendToken(c.tokIDs, w)
		if len(c.tokIDs) > math.MaxUint32 {
			return nil, nil, fmt.Errorf("building corpus: more than %d ids of %d distinct tokens", uint32(math.MaxUint32), i+1)
		}
		c.tokOff[i+1] = uint32(len(c.tokIDs))
	}
	c.tokIDs = slices.Clip(c.tokIDs)
	b.words, b.chunks, b.chunk, b.starts, b.fired, b.firedAt = nil, nil, nil, nil, nil, nil
	return f, c, nil
}

// chooseVocab returns a featurizer with the vocabulary of the added texts.
func (b *Builder) chooseVocab() (*Featurizer, error) {
	order := make([]int32, 0, len(b.words))
	for i, c := range b.counts {
		if c >= int64(b.s.MinCount) {
			order = append(order, int32(i))
		}
	}
	slices.SortFunc(order, func(x, y int32) int {
		if c := cmp.Compare(b.counts[y], b.counts[x]); c != 0 {
			return c
		}
		return cmp.Compare(b.words[x], b.words[y])
	})
	if b.s.MaxVocab > 0 && len(order) > b.s.MaxVocab {
		order = order[:b.s.MaxVocab]
	}
	vocab := make([]string, len(order))
	for i, w := range order {
		vocab[i] = b.words[w]
	}
	return New(b.s, vocab)
}

// Corpus holds the documents of a Builder compactly, as interned
// token numbers (4 bytes a token, plus each distinct token and its ~12
// word, lexicon and char n-gram ids once), and
// computes a document's ids on demand: AppendIDs(dst, i) appends the same
// ids as the featurizer's AppendIDs of the i-th added text. It is
// immutable and safe for concurrent use.
type Corpus struct {
	f      *Featurizer
	words  []string // distinct tokens by number
	tokOff []uint32 // token t's word, lexicon and char n-gram ids are tokIDs[tokOff[t]:tokOff[t+1]]
	tokIDs []int32
	chunks [][]int32 // interned tokens of the documents
	starts []uint64  // document i starts at chunks[starts[i]>>32][uint32(starts[i])] and ends at the next document or the chunk's end

	fired   []uint16 // rule features: fired rules of the documents
	firedAt []uint32 // document i's are fired[firedAt[i]:firedAt[i+1]]; nil without rule features
}

// Len returns the number of documents.
func (c *Corpus) Len() int { return len(c.starts) }

// Featurizer returns the featurizer whose ids AppendIDs computes.
func (c *Corpus) Featurizer() *Featurizer { return c.f }

// Tokens returns the number of tokens of all documents.
func (c *Corpus) Tokens() int {
	n := 0
	for _, ch := range c.chunks {
		n += len(ch)
	}
	return n
}

// doc returns the tokens of document i.
func (c *Corpus) doc(i int) []int32 {
	s := c.starts[i]
	ch := c.chunks[s>>32]
	end := len(ch)
	if i+1 < len(c.starts) && c.starts[i+1]>>32 == s>>32 {
		end = int(uint32(c.starts[i+1]))
	}
	return ch[uint32(s):end]
}

// AppendIDs appends the ids of document i to dst. It does not allocate
// when dst has room (and the document has at most 128 tokens).
func (c *Corpus) AppendIDs(dst []int32, i int) []int32 {
	f := c.f
	base := f.bucketBase()
	var buf [128]string
	strs := buf[:0]
	for _, t := range c.doc(i) {
		w := c.words[t]
		dst = append(dst, c.tokIDs[c.tokOff[t]:c.tokOff[t+1]]...)
		strs = append(strs, w)
	}
	dst = appendWordNgrams(dst, &f.s, base, strs)
	dst = f.appendContext(dst, strs)
	if c.firedAt != nil {
		for _, j := range c.fired[c.firedAt[i]:c.firedAt[i+1]] {
			dst = f.appendRule(dst, int(j))
		}
	}
	return dst
}
