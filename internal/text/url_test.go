package text

import (
	"reflect"
	"testing"
)

func TestExtractURLs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"no links here", nil},
		{"Watch: http://t.co/W3V3Pi2t", []string{"http://t.co/W3V3Pi2t"}},
		{"end of sentence http://t.co/abc.", []string{"http://t.co/abc"}},
		{"question https://x.com/a?b=1&amp;c=2?", []string{"https://x.com/a?b=1&c=2"}},
		{"(see http://x.com/a)", []string{"http://x.com/a"}},
		{"wiki http://en.wikipedia.org/wiki/Foo_(bar), ok", []string{"http://en.wikipedia.org/wiki/Foo_(bar)"}},
		{"[http://x.com/[a]]", []string{"http://x.com/[a]"}},
		{"WWW.Example.COM/Path! and t.co/AbC", []string{"WWW.Example.COM/Path", "t.co/AbC"}},
		{"two:http://a.com http://b.com", []string{"http://a.com", "http://b.com"}},
		{"quoted \"http://a.com\"", []string{"http://a.com"}},
		{"unicode stops it http://a.com/x\u2026more", []string{"http://a.com/x"}},
		{"not links: xhttp://a.com http:// www. ww.a.com at.co/x", nil},
		{"HTTPS://UPPER.CASE/X", []string{"HTTPS://UPPER.CASE/X"}},
		{"Other BC races http://t.co/pRCdl5Dg...", []string{"http://t.co/pRCdl5Dg"}},
	}
	for _, tt := range tests {
		got := ExtractURLs(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ExtractURLs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestExtractURLsAgreesWithClean: every link ExtractURLs finds is one that
// Clean replaces by "<url>", over the real tweets.
func TestExtractURLsAgreesWithClean(t *testing.T) {
	texts := loadSemEval(t)
	c := mustCleaner(t, WithLowercase(false), WithSqueezeRepeats(false))
	total, step := 0, 1
	if testing.Short() {
		step = 3
	}
	for k := 0; k < len(texts); k += step {
		s := texts[k]
		n := len(ExtractURLs(s))
		total += n
		toks := Tokenize(c.Clean(s))
		m := 0
		for _, tok := range toks {
			if tok == TokenURL {
				m++
			}
		}
		if m != n {
			t.Errorf("%q: ExtractURLs found %d links, Clean replaced %d", s, n, m)
		}
	}
	if total*step < 10000 {
		t.Errorf("found only %d links in SemEval (step %d); expected over 10000 (files hold ~14000 'http')", total, step)
	}
}
