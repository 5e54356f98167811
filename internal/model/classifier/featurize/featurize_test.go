package featurize

import (
	"bytes"
	"encoding/json"
	"flag"
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

func TestCharNgramsFollowDefinition(t *testing.T) {
	s := DefaultSettings()
	s.Buckets = 1000
	base := uint32(7)
	for _, tc := range []struct {
		tok, prefix string
	}{{"héllo", ""}, {"héllo_NEG", "\x01"}, {"#héllo", ""}, {"#héllo_NEG", "\x01"}} {
		got := appendCharNgrams(nil, s, base, tc.tok)
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
	got := appendWordNgrams(nil, s, 1, toks)
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
}

func TestFeaturizerGolden(t *testing.T) {
	s := DefaultSettings()
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
	got := golden{Settings: f.Settings(), Vocab: f.Vocab()}
	for _, txt := range goldenTexts {
		got.Cases = append(got.Cases, goldCase{Text: txt, Tokens: f.Tokens(txt), IDs: f.IDs(txt)})
	}
	path := filepath.Join("testdata", "golden.json")
	if *update {
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
	if !reflect.DeepEqual(got.Settings, want.Settings) || !slices.Equal(got.Vocab, want.Vocab) {
		t.Fatalf("settings/vocab = %+v %q, golden %+v %q", got.Settings, got.Vocab, want.Settings, want.Vocab)
	}
	for i, c := range want.Cases {
		g := got.Cases[i]
		if !slices.Equal(g.Tokens, c.Tokens) {
			t.Errorf("tokens(%q) = %q, golden %q", c.Text, g.Tokens, c.Tokens)
		}
		if !slices.Equal(g.IDs, c.IDs) {
			t.Errorf("ids(%q) = %v, golden %v", c.Text, g.IDs, c.IDs)
		}
	}
}

func TestBuilderMatchesFeaturizer(t *testing.T) {
	s := DefaultSettings()
	s.Buckets, s.MinCount, s.WordNgrams = 500, 2, 3
	texts := []string{"a b c a", "b c d", "e a", "a b c", "x c d here", ""}
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
	// Counts: a 4, c 4, b 3, d 2 (kept: min count 2); e, x, here once.
	// Ties are broken by the word.
	wantVocab := []string{"a", "c", "b", "d"}
	if !slices.Equal(f.Vocab(), wantVocab) {
		t.Errorf("vocab = %q, want %q", f.Vocab(), wantVocab)
	}
	if f.Rows() != 1+len(wantVocab)+len(lexiconFeatures)+500 {
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
