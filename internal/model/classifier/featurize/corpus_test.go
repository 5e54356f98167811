package featurize

import (
	"slices"
	"strings"
	"testing"
)

// corpusTexts are texts that exercise every kind of id: vocabulary words,
// lexicon words with intensity, boosters, negation, "but" clauses,
// hashtags, elongation, non-ASCII runes and word n-grams.
var corpusTexts = []string{
	"i am sooo happy today #happy", "not good at all , but great food",
	"very bad day :(", "", "good good good", "the movie was not bad",
	"café au lait très bon", "i don't like it but i love you", "happy day",
	"bad", "very very good but not great", "no",
}

func TestCorpusMatchesFeaturizer(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Settings)
	}{
		{"default", func(*Settings) {}},
		{"trigrams, char 2-4", func(s *Settings) { s.WordNgrams, s.CharMin, s.CharMax = 3, 2, 4 }},
		{"no char n-grams, no lexicon", func(s *Settings) { s.CharMin, s.CharMax, s.Lexicon = 0, 0, "" }},
		{"v1", func(s *Settings) {
			s.Format, s.LexiconBins, s.LexiconIntensity, s.Boosters, s.ButRepeat, s.NegationWindow = FormatV1, 0, false, false, 0, 0
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := DefaultSettings()
			s.Buckets, s.MinCount = 1000, 1
			tc.edit(&s)
			b, err := NewBuilder(s)
			if err != nil {
				t.Fatal(err)
			}
			// Add copies of the texts cut from one buffer, then clobber
			// nothing: the corpus must equal featurizing the texts.
			for _, txt := range corpusTexts {
				b.Add(strings.Clone(txt))
			}
			f, c, err := b.BuildCorpus()
			if err != nil {
				t.Fatal(err)
			}
			if c.Len() != len(corpusTexts) || c.Featurizer() != f {
				t.Fatalf("corpus: %d documents, featurizer %p; want %d, %p", c.Len(), c.Featurizer(), len(corpusTexts), f)
			}
			var buf []int32
			for i, txt := range corpusTexts {
				buf = c.AppendIDs(buf[:0], i)
				if want := f.AppendIDs(nil, txt); !slices.Equal(buf, want) {
					t.Errorf("doc %d %q: corpus ids %v, featurizer ids %v", i, txt, buf, want)
				}
			}
			// Appending keeps what dst holds.
			got := c.AppendIDs([]int32{-7}, 0)
			if got[0] != -7 || !slices.Equal(got[1:], f.AppendIDs(nil, corpusTexts[0])) {
				t.Errorf("AppendIDs([-7], 0) = %v", got)
			}
		})
	}
}

func TestCorpusAppendIDsDoesNotAllocate(t *testing.T) {
	_, c := buildCorpus(t, DefaultSettings(), corpusTexts)
	buf := make([]int32, 0, 4096)
	allocs := testing.AllocsPerRun(20, func() {
		for i := range c.Len() {
			buf = c.AppendIDs(buf[:0], i)
		}
	})
	if allocs != 0 {
		t.Errorf("AppendIDs allocates %.1f times per pass over the corpus, want 0", allocs)
	}
}

func TestBuildCorpusEmpty(t *testing.T) {
	b, _ := NewBuilder(DefaultSettings())
	if _, _, err := b.BuildCorpus(); err != ErrNoDocuments {
		t.Errorf("BuildCorpus() of no documents: error %v, want ErrNoDocuments", err)
	}
}

func TestCorpusBuilderOfFeaturizer(t *testing.T) {
	f, _ := buildCorpus(t, DefaultSettings(), corpusTexts[:6])
	// Other texts, with words outside f's vocabulary: f's ids.
	vb := NewCorpusBuilder(f)
	for _, txt := range corpusTexts[6:] {
		vb.Add(txt)
	}
	g, c, err := vb.BuildCorpus()
	if err != nil {
		t.Fatal(err)
	}
	if g != f || c.Featurizer() != f {
		t.Fatalf("BuildCorpus of NewCorpusBuilder(f) returned featurizer %p, corpus of %p; want f %p", g, c.Featurizer(), f)
	}
	for i, txt := range corpusTexts[6:] {
		if got, want := c.AppendIDs(nil, i), f.AppendIDs(nil, txt); !slices.Equal(got, want) {
			t.Errorf("doc %d %q: corpus ids %v, featurizer ids %v", i, txt, got, want)
		}
	}
}

// TestCorpusSmallChunks stores the tokens in chunks of 1 to 3 tokens (a
// document longer than a chunk gets a chunk of its own), with empty
// documents first, between and last.
func TestCorpusSmallChunks(t *testing.T) {
	defer func(lo, hi int) { minChunk, maxChunk = lo, hi }(minChunk, maxChunk)
	minChunk, maxChunk = 1, 3
	texts := append([]string{"", ""}, corpusTexts...)
	texts = append(texts, "good", "", "bad", "a", "b c", "")
	f, c := buildCorpus(t, DefaultSettings(), texts)
	if len(c.chunks) < 5 {
		t.Fatalf("%d chunks, want many", len(c.chunks))
	}
	tokens := 0
	for i, txt := range texts {
		tokens += len(f.Tokens(txt))
		if got, want := c.AppendIDs(nil, i), f.AppendIDs(nil, txt); !slices.Equal(got, want) {
			t.Errorf("doc %d %q: corpus ids %v, featurizer ids %v", i, txt, got, want)
		}
	}
	if c.Tokens() != tokens {
		t.Errorf("Tokens() = %d, want %d", c.Tokens(), tokens)
	}
}
