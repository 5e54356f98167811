package word2vec

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"math"
	"slices"
	"strings"
)

// corpus is the training corpus encoded once into word ids, so that every
// epoch re-reads a compact []int32 instead of the caller's strings.
type corpus struct {
	words  []string // vocabulary, most frequent first
	counts []int64  // counts[i] is the frequency of words[i]

	ids      []int32 // in-vocabulary ids of all sentences, concatenated
	sentEnd  []int   // sentence i is ids[sentEnd[i-1]:sentEnd[i]] (sentEnd[-1] = 0)
	chunks   []chunk // units of work, consecutive runs of whole sentences
	rawWords int64   // tokens seen in the input, out-of-vocabulary ones included
}

// chunk is a run of consecutive sentences processed by one worker.
type chunk struct {
	firstSent, endSent int   // sentence index range [firstSent, endSent)
	raw                int64 // raw tokens in these sentences
	rawBefore          int64 // raw tokens in all earlier chunks
}

// buildCorpus reads the sentences once: it counts the words, keeps the
// vocabulary (minCount, maxVocab), and encodes the corpus into ids.
func buildCorpus(ctx context.Context, sentences iter.Seq[[]string], p Params) (*corpus, error) {
	index := make(map[string]int32)
	var (
		words   []string
		counts  []int64
		tmp     []int32 // provisional ids, in first-seen order
		sentEnd []int
		n       int
	)
	for sent := range sentences {
		if len(sent) == 0 {
			continue
		}
		for _, w := range sent {
			id, ok := index[w]
			if !ok {
				if len(words) == math.MaxInt32 {
					return nil, fmt.Errorf("reading sentence %d: more than %d distinct words", n, math.MaxInt32)
				}
				id = int32(len(words))
				w = strings.Clone(w) // do not pin the caller's buffers
				index[w] = id
				words = append(words, w)
				counts = append(counts, 0)
			}
			counts[id]++
			tmp = append(tmp, id)
		}
		sentEnd = append(sentEnd, len(tmp))
		n++
		if n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("reading sentence %d: %w", n, err)
			}
		}
	}
	index = nil

	// Final vocabulary: frequency descending, ties by word.
	order := make([]int32, 0, len(words))
	for id, c := range counts {
		if c >= int64(p.MinCount) {
			order = append(order, int32(id))
		}
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return strings.Compare(words[a], words[b])
	})
	if p.MaxVocab > 0 && len(order) > p.MaxVocab {
		order = order[:p.MaxVocab]
	}
	remap := make([]int32, len(words))
	for i := range remap {
		remap[i] = -1
	}
	c := &corpus{
		words:    make([]string, len(order)),
		counts:   make([]int64, len(order)),
		rawWords: int64(len(tmp)),
	}
	for newID, old := range order {
		remap[old] = int32(newID)
		c.words[newID] = words[old]
		c.counts[newID] = counts[old]
	}
	words, counts = nil, nil

	// Encode in place: drop out-of-vocabulary tokens and empty sentences,
	// and cut the corpus into chunks of about ChunkSize raw words.
	ids := tmp[:0]
	ends := sentEnd[:0]
	start := 0
	var (
		cur      chunk
		rawTotal int64
	)
	for _, end := range sentEnd {
		before := len(ids)
		for _, old := range tmp[start:end] {
			if id := remap[old]; id >= 0 {
				ids = append(ids, id)
			}
		}
		cur.raw += int64(end - start)
		start = end
		if len(ids) > before {
			ends = append(ends, len(ids))
		}
		if cur.raw >= int64(p.ChunkSize) {
			cur.endSent = len(ends)
			cur.rawBefore = rawTotal
			rawTotal += cur.raw
			c.chunks = append(c.chunks, cur)
			cur = chunk{firstSent: len(ends)}
		}
	}
	if cur.raw > 0 {
		cur.endSent = len(ends)
		cur.rawBefore = rawTotal
		c.chunks = append(c.chunks, cur)
	}
	c.ids = slices.Clip(ids)
	c.sentEnd = slices.Clip(ends)
	return c, nil
}

// sentence returns the ids of sentence i.
func (c *corpus) sentence(i int) []int32 {
	start := 0
	if i > 0 {
		start = c.sentEnd[i-1]
	}
	return c.ids[start:c.sentEnd[i]]
}
