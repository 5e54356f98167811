package word2vec

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"
)

// Model holds trained word vectors.
type Model struct {
	Words   []string  // vocabulary, most frequent first
	Counts  []int64   // corpus frequency of each word (0 when unknown, e.g. read from text)
	Dim     int       // vector dimension
	Vectors []float32 // row-major len(Words) x Dim matrix; row i is the vector of Words[i]
	Params  Params    // training parameters (zero when unknown)
	Stats   Stats     // training statistics (zero when read from a file, except EpochLoss)

	index    map[string]int32
	unitOnce sync.Once
	unit     []float32 // L2-normalised rows, built on first MostSimilar
}

// Neighbor is a result of MostSimilar.
type Neighbor struct {
	Word       string
	Similarity float32 // cosine similarity
}

func newModel(words []string, counts []int64, dim int, vectors []float32) *Model {
	m := &Model{Words: words, Counts: counts, Dim: dim, Vectors: vectors}
	m.buildIndex()
	return m
}

func (m *Model) buildIndex() {
	m.index = make(map[string]int32, len(m.Words))
	for i, w := range m.Words {
		m.index[w] = int32(i)
	}
}

// Len returns the vocabulary size.
func (m *Model) Len() int { return len(m.Words) }

// Index returns the row of word, or -1 when it is not in the vocabulary.
func (m *Model) Index(word string) int {
	if i, ok := m.index[word]; ok {
		return int(i)
	}
	return -1
}

// Vector returns the vector of word (a view into Vectors: do not modify),
// and false when the word is not in the vocabulary.
func (m *Model) Vector(word string) ([]float32, bool) {
	i, ok := m.index[word]
	if !ok {
		return nil, false
	}
	return m.Vectors[int(i)*m.Dim : int(i+1)*m.Dim : int(i+1)*m.Dim], true
}

func (m *Model) unitVectors() []float32 {
	m.unitOnce.Do(func() {
		m.unit = make([]float32, len(m.Vectors))
		for i := range m.Words {
			row := m.Vectors[i*m.Dim : (i+1)*m.Dim]
			var ss float64
			for _, v := range row {
				ss += float64(v) * float64(v)
			}
			if ss == 0 {
				continue
			}
			inv := float32(1 / math.Sqrt(ss))
			u := m.unit[i*m.Dim : (i+1)*m.Dim]
			for k, v := range row {
				u[k] = v * inv
			}
		}
	})
	return m.unit
}

// MostSimilar returns the k words closest to word by cosine similarity,
// the word itself excluded, most similar first (ties by vocabulary order).
// It is safe for concurrent use once the model is no longer modified.
func (m *Model) MostSimilar(word string, k int) ([]Neighbor, error) {
	wi, ok := m.index[word]
	if !ok {
		return nil, fmt.Errorf("finding neighbours of %q: not in vocabulary", word)
	}
	if k <= 0 {
		return nil, nil
	}
	unit := m.unitVectors()
	dim := m.Dim
	q := unit[int(wi)*dim : int(wi+1)*dim]
	type cand struct {
		i   int
		sim float32
	}
	// Keep the best k in a small sorted slice (k is small in practice).
	best := make([]cand, 0, k+1)
	worse := func(a, b cand) int { // sort order: higher sim first, then lower index
		if c := cmp.Compare(b.sim, a.sim); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	}
	for i := range m.Words {
		if i == int(wi) {
			continue
		}
		c := cand{i, dotGo(q, unit[i*dim:(i+1)*dim])}
		if len(best) == k && worse(c, best[k-1]) >= 0 {
			continue
		}
		pos, _ := slices.BinarySearchFunc(best, c, worse)
		best = slices.Insert(best, pos, c)
		if len(best) > k {
			best = best[:k]
		}
	}
	out := make([]Neighbor, len(best))
	for j, c := range best {
		out[j] = Neighbor{Word: m.Words[c.i], Similarity: c.sim}
	}
	return out, nil
}

// MeanVector writes into dst (length Dim) the mean of the vectors of the
// tokens found in the vocabulary, and returns how many were found; dst is
// all zeros when none is. Unknown tokens are ignored.
func (m *Model) MeanVector(tokens []string, dst []float32) int {
	dst = dst[:m.Dim]
	clear(dst)
	n := 0
	for _, tok := range tokens {
		i, ok := m.index[tok]
		if !ok {
			continue
		}
		axpyGo(1, m.Vectors[int(i)*m.Dim:int(i+1)*m.Dim], dst)
		n++
	}
	if n > 1 {
		inv := 1 / float32(n)
		for k := range dst {
			dst[k] *= inv
		}
	}
	return n
}
