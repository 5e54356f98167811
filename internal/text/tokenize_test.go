package text

import (
	"reflect"
	"strings"
	"testing"
	"unicode"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"hello world", []string{"hello", "world"}},
		{"don't i'll rock'n'roll 'quoted' 90's 5'", []string{"don't", "i'll", "rock'n'roll", "'", "quoted", "'", "90's", "5", "'"}},
		{"wow!!! really?! ...", []string{"wow", "!!!", "really", "?", "!", "..."}},
		{"<url> <user>: <emoji>hi", []string{"<url>", "<user>", ":", "<emoji>", "hi"}},
		{"<urls> <3 </3 <333 <34", []string{"<", "urls", ">", "<3", "</3", "<333", "<", "34"}},
		{"#happy #1 a#b # x", []string{"#happy", "#1", "a", "#", "b", "#", "x"}},
		{"3.5 1,000 10:30pm $5.2 v2", []string{"3.5", "1,000", "10:30pm", "$", "5.2", "v2"}},
		{":) :-( :'( ;) :d :p :))) =) :3", []string{":)", ":-(", ":'(", ";)", ":d", ":p", ":)))", "=)", ":3"}},
		{"(: ): ^_^ -_- >.< xd", []string{"(:", "):", "^_^", "-_-", ">.<", "xd"}},
		{"o:) great:d tomorrow!:)", []string{"o", ":)", "great", ":d", "tomorrow", "!", ":)"}},
		{":dinner re:public x=3", []string{":", "dinner", "re", ":", "public", "x", "=", "3"}},
		{"(see above):", []string{"(", "see", "above", ")", ":"}},
		{"👨‍👩‍👧👍🏽❤️1️⃣🇫🇷🇩", []string{"👨‍👩‍👧", "👍🏽", "❤️", "1️⃣", "🇫🇷", "🇩"}},
		{"café naïve straße", []string{"café", "naïve", "straße"}},
		{"a\u200Db \uFE0F", []string{"a", "b"}},
		{"a\xffb", []string{"a", "b"}},
		{"@bob hi", []string{"@bob", "hi"}},
	}
	for _, tt := range tests {
		got := Tokenize(tt.in)
		if len(got) == 0 && len(tt.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Tokenize(%q) =\n %q\nwant\n %q", tt.in, got, tt.want)
		}
		checkTokens(t, tt.in, got)
	}
}

func TestCleanThenTokenize(t *testing.T) {
	c := mustCleaner(t)
	in := "RT @x: I\u2019m sooooo HAPPY :D!!!!! &lt;3 http://t.co/abc #Win 👍🏽"
	want := []string{"i'm", "sooo", "happy", ":d", "!!!", "<3", "<url>", "#win", "👍🏽"}
	if got := Tokenize(c.Clean(in)); !reflect.DeepEqual(got, want) {
		t.Errorf("Tokenize(Clean(%q)) = %q, want %q", in, got, want)
	}
}

func TestAppendTokensReusesBuffer(t *testing.T) {
	buf := make([]string, 0, 64)
	got := AppendTokens(buf, "a b c")
	if &got[0] != &buf[:1][0] {
		t.Error("AppendTokens did not reuse dst")
	}
	allocs := testing.AllocsPerRun(100, func() { _ = AppendTokens(buf[:0], "hello :) world <url> #tag!!!") })
	if allocs != 0 {
		t.Errorf("AppendTokens allocated %.0f times, want 0", allocs)
	}
}

// checkTokens asserts the invariants of any Tokenize result.
func checkTokens(t *testing.T, in string, toks []string) {
	t.Helper()
	for _, tok := range toks {
		if tok == "" {
			t.Fatalf("Tokenize(%q) produced an empty token", in)
		}
		if strings.IndexFunc(tok, unicode.IsSpace) >= 0 {
			t.Fatalf("Tokenize(%q) produced token %q with whitespace", in, tok)
		}
		if !strings.Contains(in, tok) {
			t.Fatalf("Tokenize(%q) produced token %q that is not a substring", in, tok)
		}
	}
}
