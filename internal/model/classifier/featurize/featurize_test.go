package featurize

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestFNV1a32KnownValues(t *testing.T) {
	// Reference values of the FNV-1a 32-bit specification.
	for _, tc := range []struct {
		in   string
		want uint32
	}{
		{"", 0x811c9dc5},
		{"a", 0xe40c292c},
		{"foobar", 0xbf9cf968},
	} {
		if got := FNV1a32(tc.in); got != tc.want {
			t.Errorf("FNV1a32(%q) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	s := DefaultSettings()
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"Sooooo GOOOD", []string{"soo", "good"}},
		{"I don't like it, but ok", []string{"i", "don't", "like_NEG", "it_NEG", ",", "but", "ok"}},
		{"not @user :) bad. good", []string{"not", "@user", ":)", "bad_NEG", ".", "good"}},
		{"never!!! fun", []string{"never", "!!!", "fun"}},
	} {
		if got := normalize(s, Tokenize(tc.in)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNegationWindow(t *testing.T) {
	for _, tc := range []struct {
		window int
		in     string
		want   []string
	}{
		{0, "not a b c d", []string{"not", "a_NEG", "b_NEG", "c_NEG", "d_NEG"}},
		{3, "not a b c d", []string{"not", "a_NEG", "b_NEG", "c_NEG", "d"}},
		{3, "not a :) @user b c d", []string{"not", "a_NEG", ":)", "@user", "b_NEG", "c_NEG", "d"}},
		{3, "not a. b", []string{"not", "a_NEG", ".", "b"}},
		{2, "no a b never c d e", []string{"no", "a_NEG", "b_NEG", "never", "c_NEG", "d_NEG", "e"}},
	} {
		s := DefaultSettings()
		s.NegationWindow = tc.window
		if got := normalize(s, Tokenize(tc.in)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("window %d: normalize(%q) = %q, want %q", tc.window, tc.in, got, tc.want)
		}
	}
}

func TestCharNgramsFollowDefinition(t *testing.T) {
	s := DefaultSettings()
	s.Buckets = 1000
	base := uint32(7)
	for _, tc := range []struct {
		tok, prefix string
	}{{"héllo", ""}, {"héllo_NEG", "\x01"}, {"#héllo", ""}, {"#héllo_NEG", "\x01"}} {
		got := appendCharNgrams(nil, &s, base, tc.tok)
		// Independent construction: all rune substrings of "<héllo>" with
		// 3..5 runes, prefixed by 0x01 for the negated token.
		w := []rune("<héllo>")
		var want []int32
		for i := range w {
			for n := s.CharMin; n <= s.CharMax && i+n <= len(w); n++ {
				want = append(want, int32(base+FNV1a32(tc.prefix+string(w[i:i+n]))%1000))
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("char n-grams of %q = %v, want %v", tc.tok, got, want)
		}
	}
}

func TestWordNgramsFollowDefinition(t *testing.T) {
	s := DefaultSettings()
	s.WordNgrams, s.Buckets = 3, 5000
	toks := []string{"a", "bb", "c"}
	got := appendWordNgrams(nil, &s, 1, toks)
	want := []int32{
		int32(1 + FNV1a32("a bb")%5000), int32(1 + FNV1a32("a bb c")%5000), int32(1 + FNV1a32("bb c")%5000),
	}
	if !slices.Equal(got, want) {
		t.Errorf("word n-grams = %v, want %v", got, want)
	}
}

// golden is the testdata/golden.json layout: settings, vocabulary, and
// for each text its tokens and ids.
type golden struct {
	Settings Settings   `json:"settings"`
	Vocab    []string   `json:"vocab"`
	Cases    []goldCase `json:"cases"`
}

type goldCase struct {
	Text   string   `json:"text"`
	Tokens []string `json:"tokens"`
	IDs    []int64  `json:"ids"`
}

var goldenTexts = []string{
	"I don't like Mondays :( #mondayblues",
	"Sooo happy today!!! <3 @user",
	"the movie was not bad, really",
	"",
	"naïve café — 😀 unknownword",
	"not #happy at all :( but lol",
	"very happy day but the movie was really bad",
}

// v1Settings are DefaultSettings as featurizer format v1 had them: none
// of the v2 lexicon options.
func v1Settings() Settings {
	s := DefaultSettings()
	s.Format = FormatV1
	s.LexiconBins, s.LexiconIntensity, s.Boosters, s.ButRepeat, s.NegationWindow = 0, false, false, 0, 0
	return s
}

// TestFeaturizerGolden pins the ids of the default featurizer
// (testdata/golden.json, rewritten by -update) and of a format v1
// featurizer (testdata/golden_v1.json, written by the v1 code and never
// rewritten: models saved before v2 must featurize exactly as they did).
func TestFeaturizerGolden(t *testing.T) {
	for _, tc := range []struct {
		file     string
		settings Settings
		frozen   bool
	}{
		{"golden.json", DefaultSettings(), false},
		{"golden_v1.json", v1Settings(), true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			s := tc.settings
			s.Buckets, s.MinCount = 1000, 1
			b, err := NewBuilder(s)
			if err != nil {
				t.Fatal(err)
			}
			for _, txt := range []string{"i like it", "i do not like mondays", "happy happy day", "movie was bad"} {
				b.Add(txt)
			}
			f, _, err := b.Build()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.file)
			if *update && !tc.frozen {
				got := golden{Settings: f.Settings(), Vocab: f.Vocab()}
				for _, txt := range goldenTexts {
					got.Cases = append(got.Cases, goldCase{Text: txt, Tokens: f.Tokens(txt), IDs: f.IDs(txt)})
				}
				data, _ := json.MarshalIndent(got, "", " ")
				if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var want golden
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
			if got := f.Settings(); !reflect.DeepEqual(got, want.Settings) || !slices.Equal(f.Vocab(), want.Vocab) {
				t.Fatalf("settings/vocab = %+v %q, golden %+v %q", got, f.Vocab(), want.Settings, want.Vocab)
			}
			if len(want.Cases) < 6 {
				t.Fatalf("golden file has %d cases", len(want.Cases))
			}
			for _, c := range want.Cases {
				if got := f.Tokens(c.Text); !slices.Equal(got, c.Tokens) {
					t.Errorf("tokens(%q) = %q, golden %q", c.Text, got, c.Tokens)
				}
				if got := f.IDs(c.Text); !slices.Equal(got, c.IDs) {
					t.Errorf("ids(%q) = %v, golden %v", c.Text, got, c.IDs)
				}
			}
		})
	}
}

func TestBuilderMatchesFeaturizer(t *testing.T) {
	s := DefaultSettings()
	s.Buckets, s.MinCount, s.WordNgrams = 500, 2, 3
	texts := []string{"a b c a", "b c d", "e a", "a b c", "x c d here", "", "very good but a bad c", "so bad but d"}
	b, err := NewBuilder(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, txt := range texts {
		b.Add(txt)
	}
	f, docs, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	// Counts: a 5, c 5, b 3, d 3, bad 2, but 2 (kept: min count 2); the
	// others once. Ties are broken by the word.
	wantVocab := []string{"a", "c", "b", "d", "bad", "but"}
	if !slices.Equal(f.Vocab(), wantVocab) {
		t.Errorf("vocab = %q, want %q", f.Vocab(), wantVocab)
	}
	if f.Rows() != 1+len(wantVocab)+2*8+500 {
		t.Errorf("rows = %d", f.Rows())
	}
	if docs.Len() != len(texts) {
		t.Fatalf("docs = %d, want %d", docs.Len(), len(texts))
	}
	for i, txt := range texts {
		if got, want := docs.Doc(i), f.AppendIDs(nil, txt); !slices.Equal(got, want) {
			t.Errorf("doc %d %q: builder ids %v, featurizer ids %v", i, txt, got, want)
		}
		for _, id := range docs.Doc(i) {
			if id <= 0 || int(id) >= f.Rows() {
				t.Errorf("doc %d: id %d out of (0, %d)", i, id, f.Rows())
			}
		}
	}
}

func TestMaxVocab(t *testing.T) {
	s := DefaultSettings()
	s.MaxVocab = 2
	b, _ := NewBuilder(s)
	b.Add("x y y z z z")
	f, _, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.Vocab(), []string{"z", "y"}) {
		t.Errorf("vocab = %q", f.Vocab())
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	s := DefaultSettings()
	s.Buckets = 100
	f, err := New(s, []string{"good", "bad", "not_NEG"})
	if err != nil {
		t.Fatal(err)
	}
	var js, vocab bytes.Buffer
	if err := f.Save(&js, &vocab); err != nil {
		t.Fatal(err)
	}
	g, err := Load(bytes.NewReader(js.Bytes()), bytes.NewReader(vocab.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Settings(), g.Settings()) || !slices.Equal(f.Vocab(), g.Vocab()) {
		t.Errorf("round trip changed the featurizer: %+v vs %+v", f.Settings(), g.Settings())
	}
	txt := "good and not bad"
	if !slices.Equal(f.IDs(txt), g.IDs(txt)) {
		t.Errorf("ids differ after round trip")
	}
	// A truncated vocabulary is an error.
	short := strings.Join(f.Vocab()[:2], "\n") + "\n"
	if _, err := Load(bytes.NewReader(js.Bytes()), strings.NewReader(short)); err == nil {
		t.Error("Load accepted a vocabulary shorter than vocab_size")
	}
}

func TestSettingsValidate(t *testing.T) {
	for name, mut := range map[string]func(*Settings){
		"format":      func(s *Settings) { s.Format = "x" },
		"hash":        func(s *Settings) { s.Hash = "md5" },
		"tokenizer":   func(s *Settings) { s.Tokenizer = "other/v9" },
		"lexicon":     func(s *Settings) { s.Lexicon = "afinn" },
		"word ngrams": func(s *Settings) { s.WordNgrams = 0 },
		"char range":  func(s *Settings) { s.CharMin, s.CharMax = 5, 3 },
		"no buckets":  func(s *Settings) { s.Buckets = 0 },
		"min count":   func(s *Settings) { s.MinCount = 0 },
		"bins":        func(s *Settings) { s.LexiconBins = 5 },
		"but repeat":  func(s *Settings) { s.ButRepeat = -1 },
		"neg window":  func(s *Settings) { s.NegationWindow = -1 },
	} {
		s := DefaultSettings()
		mut(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, s)
		}
	}
	if err := DefaultSettings().Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

func BenchmarkAppendIDs(b *testing.B) {
	s := DefaultSettings()
	f, _ := New(s, []string{"i", "like", "this", "movie"})
	txt := "I really don't like this movie at all, it's sooo boring :( #fail @user <url>"
	var dst []int32
	b.ReportAllocs()
	for b.Loop() {
		dst = f.AppendIDs(dst[:0], txt)
	}
}

// countIDs returns how often each id occurs.
func countIDs(ids []int64) map[int64]int {
	n := map[int64]int{}
	for _, id := range ids {
		n[id]++
	}
	return n
}

func TestLexiconBins(t *testing.T) {
	for _, tc := range []struct {
		tok   string
		bins  int
		want  int
		valOK bool
	}{
		{"good", 4, 2, true},     // 1.9
		{"great", 4, 3, true},    // 3.1
		{"bad", 4, 0, true},      // -2.5
		{"good_NEG", 4, 6, true}, // 2 + 4
		{"good", 8, 5, true},     // [1, 2)
		{"great", 8, 7, true},    // [3, 4]
		{"bad", 8, 1, true},      // [-3, -2)
		{"bad_NEG", 8, 9, true},  // 1 + 8
		{"#great", 8, 7, true},   // looked up without '#'
		{"table", 8, -1, false},  // not in the lexicon
		{"good", 0, 2, true},     // 0 means 4 bins
	} {
		bin, v := lexiconBin(tc.tok, tc.bins)
		if bin != tc.want || (v != 0) != tc.valOK {
			t.Errorf("lexiconBin(%q, %d) = %d, %g; want bin %d", tc.tok, tc.bins, bin, v, tc.want)
		}
		if bin >= 0 && tc.bins == 8 {
			// Independent definition: floor(valence) + 4, clamped to 0..7.
			base, neg := strings.CutSuffix(tc.tok, NegSuffix)
			val := vaderLexicon()[strings.TrimPrefix(base, "#")]
			want := min(max(int(math.Floor(float64(val)))+4, 0), 7)
			if neg {
				want += 8
			}
			if bin != want {
				t.Errorf("lexiconBin(%q, 8) = %d, definition gives %d", tc.tok, bin, want)
			}
		}
	}
}

func TestLexiconOptions(t *testing.T) {
	base := DefaultSettings()
	base.CharMin, base.CharMax, base.WordNgrams, base.Buckets = 0, 0, 1, 0
	base.LexiconIntensity, base.Boosters, base.ButRepeat = false, false, 0
	vocab := []string{"very", "happy", "but", "sad", "day"}
	special := func(f *Featurizer, tok string) int64 {
		bin, _ := lexiconBin(tok, f.s.LexiconBins)
		if bin < 0 {
			t.Fatalf("%q has no lexicon bin", tok)
		}
		return int64(1 + len(vocab) + bin)
	}
	happy := int(math.Ceil(float64(vaderLexicon()["happy"]))) // 2.7 -> 3
	sad := int(math.Ceil(-float64(vaderLexicon()["sad"])))    // -2.1 -> 3
	for _, tc := range []struct {
		name string
		mut  func(*Settings)
		text string
		// occurrences of the word ids and of the lexicon ids of "happy" and "sad"
		happyWord, happyLex, sadWord, sadLex int
	}{
		{"plain", func(*Settings) {}, "happy but sad", 1, 1, 1, 1},
		{"intensity", func(s *Settings) { s.LexiconIntensity = true }, "happy but sad", 1, happy, 1, sad},
		{"booster", func(s *Settings) { s.Boosters = true }, "very happy but sad", 1, 2, 1, 1},
		{"booster not before", func(s *Settings) { s.Boosters = true }, "happy very", 1, 1, 0, 0},
		{"but", func(s *Settings) { s.ButRepeat = 1 }, "happy but sad", 1, 1, 2, 2},
		{"but twice", func(s *Settings) { s.ButRepeat = 2 }, "happy but sad", 1, 1, 3, 3},
		{"last but only", func(s *Settings) { s.ButRepeat = 1 }, "sad but ok but happy", 2, 2, 1, 1},
		{"but intensity", func(s *Settings) { s.ButRepeat, s.LexiconIntensity = 1, true }, "happy but sad", 1, happy, 2, 2 * sad},
		{"no but", func(s *Settings) { s.ButRepeat = 1 }, "happy sad", 1, 1, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			tc.mut(&s)
			f, err := New(s, vocab)
			if err != nil {
				t.Fatal(err)
			}
			n := countIDs(f.IDs(tc.text))
			hw, _ := f.WordID("happy")
			sw, _ := f.WordID("sad")
			got := [4]int{n[int64(hw)], n[special(f, "happy")], n[int64(sw)], n[special(f, "sad")]}
			want := [4]int{tc.happyWord, tc.happyLex, tc.sadWord, tc.sadLex}
			if got != want {
				t.Errorf("ids of %q: happy word/lexicon, sad word/lexicon occur %v times, want %v (ids %v)", tc.text, got, want, f.IDs(tc.text))
			}
		})
	}
}

func TestFormatV1(t *testing.T) {
	s := v1Settings()
	if err := s.Validate(); err != nil {
		t.Fatalf("v1 settings rejected: %v", err)
	}
	for name, mut := range map[string]func(*Settings){
		"bins":      func(s *Settings) { s.LexiconBins = 8 },
		"intensity": func(s *Settings) { s.LexiconIntensity = true },
		"boosters":  func(s *Settings) { s.Boosters = true },
		"but":       func(s *Settings) { s.ButRepeat = 1 },
		"window":    func(s *Settings) { s.NegationWindow = 3 },
	} {
		s := v1Settings()
		mut(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: format v1 accepted a v2 option", name)
		}
	}
	f, err := New(s, []string{"good"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Settings().Specials != len(lexiconFeatures) {
		t.Errorf("v1 specials = %d, want %d", f.Settings().Specials, len(lexiconFeatures))
	}
	// A saved v1 featurizer loads and keeps its format.
	var js, vocab bytes.Buffer
	if err := f.Save(&js, &vocab); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(js.String(), "lexicon_bins") {
		t.Errorf("v1 settings JSON has v2 fields: %s", js.String())
	}
	g, err := Load(&js, &vocab)
	if err != nil {
		t.Fatalf("loading v1 featurizer: %v", err)
	}
	if g.Settings().Format != FormatV1 || !slices.Equal(g.IDs("not good"), f.IDs("not good")) {
		t.Errorf("v1 featurizer changed on load: %+v", g.Settings())
	}
}
