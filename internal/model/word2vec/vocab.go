package word2vec

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
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

	// Encode in place: drop out-of-vocabulary tokens and sentences left
	// empty. The raw length of a dropped sentence is credited to the next
	// kept one (or the last), so that chunks still account for every word.
	ids := tmp[:0]
	ends := sentEnd[:0]
	var sentRaw []int32
	var pending int64
	start := 0
	for _, end := range sentEnd {
		before := len(ids)
		for _, old := range tmp[start:end] {
			if id := remap[old]; id >= 0 {
				ids = append(ids, id)
			}
		}
		pending += int64(end - start)
		start = end
		if len(ids) > before {
			ends = append(ends, len(ids))
			sentRaw = append(sentRaw, int32(min(pending, math.MaxInt32)))
			pending = 0
		}
	}
	if len(sentRaw) == 0 {
		return c, nil // empty vocabulary
	}
	sentRaw[len(sentRaw)-1] += int32(min(pending, math.MaxInt32-int64(sentRaw[len(sentRaw)-1])))
	c.ids = slices.Clip(ids)
	c.sentEnd = slices.Clip(ends)
	if p.Shuffle {
		c.shuffle(sentRaw, p.Seed)
	}

	// Cut the corpus into chunks of about ChunkSize raw words.
	var (
		cur      chunk
		rawTotal int64
	)
	for i, r := range sentRaw {
		cur.raw += int64(r)
		if cur.raw >= int64(p.ChunkSize) || i == len(sentRaw)-1 {
			cur.endSent = i + 1
			cur.rawBefore = rawTotal
			rawTotal += cur.raw
			c.chunks = append(c.chunks, cur)
			cur = chunk{firstSent: i + 1}
		}
	}
	return c, nil
}

// shuffle permutes the sentences (and their raw lengths) with a PCG seeded
// from seed. It needs a second id array while it runs.
func (c *corpus) shuffle(sentRaw []int32, seed uint64) {
	n := len(c.sentEnd)
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	r := rand.New(rand.NewPCG(seed, splitmix64(0x5ec7e5)))
	r.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	ids := make([]int32, 0, len(c.ids))
	ends := make([]int, 0, n)
	raw := make([]int32, 0, n)
	for _, s := range perm {
		ids = append(ids, c.sentence(int(s))...)
		ends = append(ends, len(ids))
		raw = append(raw, sentRaw[s])
	}
	c.ids, c.sentEnd = ids, ends
	copy(sentRaw, raw)
}

// sentence returns the ids of sentence i.
func (c *corpus) sentence(i int) []int32 {
	start := 0
	if i > 0 {
		start = c.sentEnd[i-1]
	}
	return c.ids[start:c.sentEnd[i]]
}
