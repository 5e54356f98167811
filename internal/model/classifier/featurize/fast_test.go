package featurize

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/text"
)

const semevalDir = "/work/shared/data/semeval2017-task4a"

// semevalTexts returns up to n tweet texts of a SemEval file (id, label,
// text separated by tabs; \uXXXX escapes decoded), or skips the test when
// the data is not there.
func semevalTexts(tb testing.TB, file string, n int) []string {
	tb.Helper()
	fh, err := os.Open(filepath.Join(semevalDir, file))
	if err != nil {
		tb.Skipf("no SemEval data: %v", err)
	}
	defer fh.Close()
	var out []string
	sc := bufio.NewScanner(fh)
	for sc.Scan() && len(out) < n {
		p := strings.Split(sc.Text(), "\t")
		if len(p) < 3 {
			continue
		}
		out = append(out, unescapeU(strings.Trim(p[2], `"`)))
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// unescapeU decodes the \uXXXX escapes of the SemEval files.
func unescapeU(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, `\u`)
		if i < 0 || i+6 > len(s) {
			b.WriteString(s)
			return b.String()
		}
		r, err := strconv.ParseUint(s[i+2:i+6], 16, 32)
		if err != nil {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteRune(rune(r))
		s = s[i+6:]
	}
}

// edgeTexts exercise what the lookup table must get right: words outside
// the vocabulary (in and out of the lexicon), negation scopes and windows,
// "but" clauses, boosters, hashtags, elongations, upper case (for
// featurizers of texts that were not lower-cased), non-ASCII runes,
// punctuation, emoticons and tokens that already end with "_NEG".
var edgeTexts = []string{
	"", " ", "not", "but", "very", "!!!", ":)",
	"i am sooooo happy today #happy #blessed #zzqqxx",
	"I DON'T LIKE IT, BUT I LOVE YOU", "Not Good. Not BAD!!! never ever again",
	"not a b c d e f g", "no no no no good", "cannot wait :( but ok . not @user <url> http://x bad",
	"very very good but not great but the worst", "really bad kinda good sorta awful extremely nice",
	"naïve café très bon — 😀 ÇA VA İstanbul ǅemal ΣΊΣΥΦΟΣ straße",
	"zzqqxxunknownword qqqqqq loooooooove haaaaappy goooood baaaad",
	"like_NEG good_NEG not like_NEG but_NEG", "LIKE_NEG Good_Neg", "_NEG", "x_NEG_NEG",
	"#not #but #very #good #bad #Happy #HAPPY #sooooo", "#", "@", "# happy", "it isn't good", "ain't nobody happy",
	"won’t be happy", "don't stop . believing ; never ! give ? up , ok", "1,000 3.5 10:30 90's rock'n'roll",
	"smh lol lmao wtf omg :-( ;) :d <3 </3 ^_^ -_-", "\u00a0\u200b\ufeff odd spaces", "a\x01b \xff\xfe invalid",
}

// featurizerOf builds a featurizer of settings s (buckets and min count
// changed for a small table) on the given texts.
func featurizerOf(t *testing.T, s Settings, texts []string) *Featurizer {
	t.Helper()
	s.Buckets, s.MinCount = 5000, 2
	f, _ := buildCorpus(t, s, texts)
	return f
}

// buildCorpus runs a Builder of settings s over texts.
func buildCorpus(t testing.TB, s Settings, texts []string) (*Featurizer, *Corpus) {
	t.Helper()
	b, err := NewBuilder(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, txt := range texts {
		b.Add(txt)
	}
	f, c, err := b.BuildCorpus()
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

// TestFastPathMatchesReference compares AppendIDs (the lookup-table path)
// with the straightforward path (Tokens, then every token's ids) on real
// tweets, cleaned and raw, and on edge cases, under several settings.
func TestFastPathMatchesReference(t *testing.T) {
	// 4000 tweets per settings; 1000 with -short or -race (slower).
	nTrain, nEval := 6000, 4000
	if testing.Short() || raceEnabled {
		nTrain, nEval = 3000, 1000
	}
	train := semevalTexts(t, "twitter-2013train-A.txt", nTrain)
	eval := semevalTexts(t, "twitter-2016test-A.txt", nEval)
	cl, err := text.NewCleaner()
	if err != nil {
		t.Fatal(err)
	}
	clean := func(in []string) []string {
		out := make([]string, len(in))
		for i, s := range in {
			out[i] = cl.Clean(s)
		}
		return out
	}
	cleanTrain, cleanEval := clean(train), clean(eval)
	for _, tc := range []struct {
		name string
		edit func(*Settings)
		raw  bool // vocabulary and texts not cleaned (upper case, elongations)
	}{
		{"default", func(*Settings) {}, false},
		{"default raw", func(*Settings) {}, true},
		{"v1", func(s *Settings) {
			s.Format, s.LexiconBins, s.LexiconIntensity, s.Boosters, s.ButRepeat, s.NegationWindow = FormatV1, 0, false, false, 0, 0
		}, false},
		{"no lowercase raw", func(s *Settings) { s.Lowercase = false }, true},
		{"no elongation, no negation", func(s *Settings) { s.Elongation, s.Negation = false, false }, false},
		{"trigrams, char 2-4, but x3, window 0", func(s *Settings) {
			s.WordNgrams, s.CharMin, s.CharMax, s.ButRepeat, s.NegationWindow = 3, 2, 4, 3, 0
		}, false},
		{"words only, no lexicon", func(s *Settings) {
			s.WordNgrams, s.CharMin, s.CharMax, s.Lexicon = 1, 0, 0, ""
		}, false},
		{"4 bins, no intensity", func(s *Settings) { s.LexiconBins, s.LexiconIntensity = 4, false }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, ev := cleanTrain, cleanEval
			if tc.raw {
				tr, ev = train, eval
			}
			s := DefaultSettings()
			tc.edit(&s)
			// Edge texts in the vocabulary too (twice, for min count 2).
			f := featurizerOf(t, s, slices.Concat(tr, edgeTexts, edgeTexts))
			texts := slices.Concat(ev, edgeTexts, clean(edgeTexts))
			fast := 0
			var got []int32
			for _, txt := range texts {
				want := f.appendIDsReference([]int32{-1}, txt)
				got = f.AppendIDs(append(got[:0], -1), txt)
				if !slices.Equal(got, want) {
					t.Fatalf("text %q:\nAppendIDs %v\nreference %v\ntokens %q", txt, got, want, f.Tokens(txt))
				}
				if _, ok := f.appendIDsFast(nil, txt); ok {
					fast++
				}
			}
			// Only texts with a token ending in "_NEG" after normalising
			// may take the reference path.
			if fast < len(texts)-8 {
				t.Errorf("%d of %d texts took the fast path", fast, len(texts))
			}
		})
	}
}

// TestFastPathVocabularyEdgeCases: vocabularies with words that
// normalising never produces, marked words without their base, and
// marked words of marked words.
func TestFastPathVocabularyEdgeCases(t *testing.T) {
	vocab := []string{"Good", "sooo", "like_NEG", "x_NEG_NEG", "x_NEG", "good", "but_NEG", "very_NEG", "#happy", "happy_NEG", ":)"}
	for _, tc := range []struct {
		lower   bool
		lexicon string
		vocab   []string
	}{{true, LexiconVADER, vocab}, {false, LexiconVADER, vocab}, {true, LexiconVADER, nil}, {true, "", nil}} {
		s := DefaultSettings()
		s.Buckets, s.Lowercase, s.Lexicon = 1000, tc.lower, tc.lexicon
		f, err := New(s, tc.vocab)
		if err != nil {
			t.Fatal(err)
		}
		for _, txt := range edgeTexts {
			want := f.appendIDsReference(nil, txt)
			if got := f.AppendIDs(nil, txt); !slices.Equal(got, want) {
				t.Errorf("lowercase %v, lexicon %q, %d words, text %q:\nAppendIDs %v\nreference %v", tc.lower, tc.lexicon, len(tc.vocab), txt, got, want)
			}
		}
	}
}

func TestAppendIDsDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	f := featurizerOf(t, DefaultSettings(), corpusTexts)
	buf := make([]int32, 0, 4096)
	f.AppendIDs(buf, corpusTexts[0]) // build the table
	allocs := testing.AllocsPerRun(50, func() {
		for _, txt := range corpusTexts {
			buf = f.AppendIDs(buf[:0], txt)
		}
	})
	// "sooo" is shortened to "soo": that token allocates.
	if allocs > 1 {
		t.Errorf("AppendIDs allocates %.1f times per pass over %d texts, want at most 1", allocs, len(corpusTexts))
	}
}

// BenchmarkAppendIDsTweets featurizes real cleaned tweets
// (twitter-2016test-A) with a vocabulary of twitter-2013train-A; ns/op is
// per tweet.
func BenchmarkAppendIDsTweets(b *testing.B) {
	cl, err := text.NewCleaner()
	if err != nil {
		b.Fatal(err)
	}
	var train, eval []string
	for _, s := range semevalTexts(b, "twitter-2013train-A.txt", 1e6) {
		train = append(train, cl.Clean(s))
	}
	for _, s := range semevalTexts(b, "twitter-2016test-A.txt", 5000) {
		eval = append(eval, cl.Clean(s))
	}
	f, _ := buildCorpus(b, DefaultSettings(), train)
	for _, path := range []struct {
		name string
		fn   func([]int32, string) []int32
	}{{"fast", f.AppendIDs}, {"reference", f.appendIDsReference}} {
		b.Run(path.name, func(b *testing.B) {
			var dst []int32
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				dst = path.fn(dst[:0], eval[i%len(eval)])
				i++
			}
		})
	}
}
