package featurize

import (
	"cmp"
	"slices"
)

// Builder builds a featurizer's vocabulary from training texts and
// featurizes those texts in the same pass over the data: Add keeps each
// text only as interned token numbers, Build chooses the vocabulary and
// returns the ids of every added text.
type Builder struct {
	s      Settings
	intern map[string]int32
	words  []string
	counts []int64
	toks   []int32 // interned tokens of all documents
	offs   []int64
}

// NewBuilder returns a builder for featurizers with settings s.
func NewBuilder(s Settings) (*Builder, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &Builder{s: s, intern: make(map[string]int32), offs: []int64{0}}, nil
}

// Add tokenizes one training text and records it as the next document.
func (b *Builder) Add(cleanText string) {
	for _, t := range normalize(b.s, Tokenize(cleanText)) {
		id, ok := b.intern[t]
		if !ok {
			id = int32(len(b.words))
			b.intern[t] = id
			b.words = append(b.words, t)
			b.counts = append(b.counts, 0)
		}
		b.counts[id]++
		b.toks = append(b.toks, id)
	}
	b.offs = append(b.offs, int64(len(b.toks)))
}

// Len returns the number of documents added.
func (b *Builder) Len() int { return len(b.offs) - 1 }

// Build chooses the vocabulary (words seen at least MinCount times, the
// MaxVocab most frequent, ordered by decreasing count then by word) and
// returns the featurizer and the ids of the added documents, in order.
// The builder must not be used afterwards.
func (b *Builder) Build() (*Featurizer, *Docs, error) {
	if b.Len() == 0 {
		return nil, nil, ErrNoDocuments
	}
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
	f, err := New(b.s, vocab)
	if err != nil {
		return nil, nil, err
	}
	// Ids of each distinct token: its word id (if any) and char n-grams.
	base := f.bucketBase()
	tokOff := make([]int32, len(b.words)+1)
	var tokIDs []int32
	for i, w := range b.words {
		tokIDs = f.appendToken(tokIDs, w)
		tokOff[i+1] = int32(len(tokIDs))
	}
	b.intern = nil
	// Size the id array exactly, so that it is not grown by doubling.
	var total int64
	for d := 0; d+1 < len(b.offs); d++ {
		doc := b.toks[b.offs[d]:b.offs[d+1]]
		for _, t := range doc {
			total += int64(tokOff[t+1] - tokOff[t])
		}
		for n := 2; n <= b.s.WordNgrams; n++ {
			total += int64(max(0, len(doc)-n+1))
		}
	}
	docs := &Docs{Offsets: make([]int64, 1, len(b.offs)), IDs: make([]int32, 0, total)}
	var strs []string
	for d := 0; d+1 < len(b.offs); d++ {
		doc := b.toks[b.offs[d]:b.offs[d+1]]
		strs = strs[:0]
		for _, t := range doc {
			docs.IDs = append(docs.IDs, tokIDs[tokOff[t]:tokOff[t+1]]...)
			strs = append(strs, b.words[t])
		}
		docs.IDs = appendWordNgrams(docs.IDs, b.s, base, strs)
		docs.IDs = f.appendContext(docs.IDs, strs)
		docs.Offsets = append(docs.Offsets, int64(len(docs.IDs)))
	}
	b.toks, b.words, b.counts = nil, nil, nil
	return f, docs, nil
}
