package word2vec

import "math"

// Sigmoid lookup, as in the original word2vec: maxExp bounds the
// argument, expTableSize entries cover [-maxExp, maxExp).
const (
	maxExp       = 6
	expTableSize = 1024
	expScale     = expTableSize / (2.0 * maxExp) // buckets per unit of x
)

var (
	sigmoidTable [expTableSize]float32 // sigma(x)
	logSigTable  [expTableSize]float32 // -log(sigma(x)), the loss of a positive label
)

func init() {
	for i := range expTableSize {
		// Centre of bucket i, so that the lookup error is symmetric.
		x := (float64(i)+0.5)/expScale - maxExp
		sigmoidTable[i] = float32(1 / (1 + math.Exp(-x)))
		logSigTable[i] = float32(math.Log1p(math.Exp(-x)))
	}
}

// aliasEntry is one cell of Walker's alias table.
type aliasEntry struct {
	prob  uint32 // keep the cell's own index when rnd32 < prob
	alias int32  // otherwise take this one
}

// newAliasTable returns an alias table for sampling word i with
// probability proportional to counts[i]^power (the unigram^0.75 noise
// distribution of negative sampling). It draws in O(1) from two small
// arrays, instead of the original 1e8-entry table.
func newAliasTable(counts []int64, power float64) []aliasEntry {
	n := len(counts)
	t := make([]aliasEntry, n)
	if n == 0 {
		return t
	}
	w := make([]float64, n)
	var sum float64
	for i, c := range counts {
		w[i] = math.Pow(float64(c), power)
		sum += w[i]
	}
	small := make([]int32, 0, n)
	large := make([]int32, 0, n)
	for i := range w {
		w[i] *= float64(n) / sum
		if w[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s := small[len(small)-1]
		small = small[:len(small)-1]
		l := large[len(large)-1]
		t[s] = aliasEntry{prob: probToUint32(w[s]), alias: l}
		w[l] -= 1 - w[s]
		if w[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	// Left-overs (rounding) keep themselves.
	for _, i := range large {
		t[i] = aliasEntry{prob: math.MaxUint32, alias: i}
	}
	for _, i := range small {
		t[i] = aliasEntry{prob: math.MaxUint32, alias: i}
	}
	return t
}

func probToUint32(p float64) uint32 {
	switch {
	case p <= 0:
		return 0
	case p >= 1:
		return math.MaxUint32
	}
	return uint32(math.Round(p * (1 << 32)))
}

// sampleAlias draws an index from t using the 64 random bits r: the low
// half picks the cell (multiply-shift), the high half decides alias or not.
func sampleAlias(t []aliasEntry, r uint64) int32 {
	i := (r & math.MaxUint32) * uint64(len(t)) >> 32
	e := t[i]
	if uint32(r>>32) < e.prob {
		return int32(i)
	}
	return e.alias
}

// keepThresholds returns, per word, the probability of keeping one of its
// occurrences under subsampling, scaled to 2^32 (a word is kept when a
// uniform uint32 is below it). It is gensim's formula (the variant of the
// original C code): with t = sample*total,
// p(w) = (sqrt(count/t) + 1) * t/count, capped at 1.
func keepThresholds(counts []int64, sample float64) []uint64 {
	keep := make([]uint64, len(counts))
	var total float64
	for _, c := range counts {
		total += float64(c)
	}
	t := sample * total
	for i, c := range counts {
		p := 1.0
		if sample > 0 {
			v := float64(c)
			p = (math.Sqrt(v/t) + 1) * t / v
		}
		if p >= 1 {
			keep[i] = 1 << 32
		} else {
			keep[i] = uint64(math.Round(p * (1 << 32)))
		}
	}
	return keep
}
