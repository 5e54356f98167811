package text

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	"",
	"RT @user: Check this out!!!!! http://t.co/abc123. &amp; more &lt;3",
	"I\u2019ll be there :))))) Cooooool #Happy @bob@alice",
	"👨‍👩‍👧 👍🏽 ❤️ 1️⃣ 🇫🇷🇩 🏴󠁧󠁢󠁥󠁮󠁧󠁿 #️⃣ a\u200Db",
	"(see http://en.wikipedia.org/wiki/Foo_(bar)) www.x.com/a. t.co/x",
	"&amp;lt; &gggg; &#0; &#x110000; &#amp; &am\u00ADp;",
	"@#londonriots .@http://pinurl.co/x",
	"wwww.foo.com hhhhttp://x.com",
	"RT RT @a: @b: x rt: @c",
	"a\xffb\x00c",
	":) :-( :'( <3 </3 ^_^ -_- (: ):",
}

// cleaners for every option combination, built once.
var fuzzCleaners = func() []*Cleaner {
	var cs []*Cleaner
	for _, o := range allOptions() {
		c, err := NewCleaner(WithOptions(o))
		if err != nil {
			panic(err)
		}
		cs = append(cs, c)
	}
	return cs
}()

func FuzzClean(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, s string, which uint8) {
		c := fuzzCleaners[int(which)%len(fuzzCleaners)]
		out := c.Clean(s)
		checkCleanOutput(t, c, s, out)
		if def := fuzzCleaners[0]; def != c {
			checkCleanOutput(t, def, s, def.Clean(s))
		}
	})
}

func FuzzTokenize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	c := mustCleaner(f)
	f.Fuzz(func(t *testing.T, s string) {
		for _, in := range []string{s, c.Clean(s)} {
			toks := Tokenize(in)
			for _, tok := range toks {
				if tok == "" || strings.IndexFunc(tok, unicode.IsSpace) >= 0 {
					t.Fatalf("Tokenize(%q) produced bad token %q", in, tok)
				}
				if !utf8.ValidString(tok) {
					t.Fatalf("Tokenize(%q) produced invalid UTF-8 token %q", in, tok)
				}
			}
			if k := NormKey(in); !utf8.ValidString(k) || strings.Contains(k, "  ") {
				t.Fatalf("NormKey(%q) = %q", in, k)
			}
		}
	})
}

func FuzzExtractURLs(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, u := range ExtractURLs(s) {
			if u == "" || !utf8.ValidString(u) {
				t.Fatalf("ExtractURLs(%q) returned %q", s, u)
			}
			if strings.IndexFunc(u, unicode.IsSpace) >= 0 {
				t.Fatalf("ExtractURLs(%q) returned %q with whitespace", s, u)
			}
			if got := ExtractURLs(u); len(got) != 1 || got[0] != u {
				t.Fatalf("link %q from %q is not extracted whole from itself: %q", u, s, got)
			}
		}
	})
}
