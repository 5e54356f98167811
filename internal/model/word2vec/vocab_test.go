package word2vec

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

func split(lines ...string) [][]string {
	out := make([][]string, len(lines))
	for i, l := range lines {
		out[i] = strings.Fields(l)
	}
	return out
}

func TestBuildCorpus(t *testing.T) {
	cases := []struct {
		name      string
		sents     [][]string
		minCount  int
		maxVocab  int
		words     []string
		counts    []int64
		encoded   [][]string // sentences after dropping out-of-vocabulary words
		rawWords  int64
		chunkSize int
		chunks    int
	}{
		{
			name:     "order by count then word",
			sents:    split("b a c a", "c b a", "d"),
			minCount: 1,
			words:    []string{"a", "b", "c", "d"},
			counts:   []int64{3, 2, 2, 1},
			encoded:  split("b a c a", "c b a", "d"),
			rawWords: 8, chunkSize: 100, chunks: 1,
		},
		{
			name:     "min count drops rare words and empty sentences",
			sents:    split("x a b", "y z", "a b a", "", "b q"),
			minCount: 2,
			words:    []string{"a", "b"},
			counts:   []int64{3, 3},
			encoded:  split("a b", "a b a", "b"),
			rawWords: 10, chunkSize: 100, chunks: 1,
		},
		{
			name:     "max vocab keeps the most frequent",
			sents:    split("a a a b b c", "c d e"),
			minCount: 1, maxVocab: 2,
			words:    []string{"a", "b"},
			counts:   []int64{3, 2},
			encoded:  split("a a a b b"),
			rawWords: 9, chunkSize: 100, chunks: 1,
		},
		{
			name:     "chunks of whole sentences",
			sents:    split("a b c", "a b", "a", "c c c c"),
			minCount: 1,
			words:    []string{"c", "a", "b"},
			counts:   []int64{5, 3, 2},
			encoded:  split("a b c", "a b", "a", "c c c c"),
			rawWords: 10, chunkSize: 3, chunks: 3, // [3] [2 1] [4]
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			p.MinCount, p.MaxVocab, p.ChunkSize = tc.minCount, tc.maxVocab, tc.chunkSize
			c, err := buildCorpus(context.Background(), slices.Values(tc.sents), p)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.words, tc.words) || !slices.Equal(c.counts, tc.counts) {
				t.Errorf("vocabulary %v %v, want %v %v", c.words, c.counts, tc.words, tc.counts)
			}
			var got [][]string
			for i := range c.sentEnd {
				var s []string
				for _, id := range c.sentence(i) {
					s = append(s, c.words[id])
				}
				got = append(got, s)
			}
			if !slices.EqualFunc(got, tc.encoded, slices.Equal) {
				t.Errorf("encoded %v, want %v", got, tc.encoded)
			}
			if c.rawWords != tc.rawWords {
				t.Errorf("raw words %d, want %d", c.rawWords, tc.rawWords)
			}
			if len(c.chunks) != tc.chunks {
				t.Errorf("%d chunks %+v, want %d", len(c.chunks), c.chunks, tc.chunks)
			}
			var raw int64
			next := 0
			for _, ch := range c.chunks {
				if ch.firstSent != next || ch.rawBefore != raw {
					t.Errorf("chunk %+v does not follow the previous one", ch)
				}
				next, raw = ch.endSent, raw+ch.raw
			}
			if next != len(c.sentEnd) || raw != c.rawWords {
				t.Errorf("chunks cover %d sentences and %d words, want %d and %d", next, raw, len(c.sentEnd), c.rawWords)
			}
		})
	}
}

func TestBuildCorpusShuffle(t *testing.T) {
	sents := plantedCorpus(3, 300, 9)
	sents = append(sents, split("zz_rare", "")...) // a dropped sentence
	build := func(shuffle bool, seed uint64) [][]int32 {
		p := DefaultParams()
		p.MinCount, p.ChunkSize, p.Shuffle, p.Seed = 2, 100, shuffle, seed
		c, err := buildCorpus(context.Background(), slices.Values(sents), p)
		if err != nil {
			t.Fatal(err)
		}
		var raw int64
		for _, ch := range c.chunks {
			raw += ch.raw
		}
		if raw != c.rawWords || c.chunks[len(c.chunks)-1].endSent != len(c.sentEnd) {
			t.Errorf("chunks cover %d of %d raw words", raw, c.rawWords)
		}
		var out [][]int32
		for i := range c.sentEnd {
			out = append(out, slices.Clone(c.sentence(i)))
		}
		return out
	}
	plain, a, b, other := build(false, 1), build(true, 1), build(true, 1), build(true, 2)
	if slices.EqualFunc(plain, a, slices.Equal) {
		t.Error("shuffle kept the input order")
	}
	if !slices.EqualFunc(a, b, slices.Equal) {
		t.Error("shuffle is not deterministic for a seed")
	}
	if slices.EqualFunc(a, other, slices.Equal) {
		t.Error("different seeds gave the same order")
	}
	key := func(s []int32) string { return fmt.Sprint(s) }
	count := func(ss [][]int32) map[string]int {
		m := map[string]int{}
		for _, s := range ss {
			m[key(s)]++
		}
		return m
	}
	if !maps.Equal(count(plain), count(a)) {
		t.Error("shuffle changed the multiset of sentences")
	}
}
