package text

import "testing"

func TestNormKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"<url>", ""},
		{"<user>: <url> !!!", ""},
		{"great game!!! <url>", "great game"},
		{"Great   Game <url> <user>", "great game"},
		{"#happy day", "happy day"},
		{"i'm happy :) ❤️", "i'm happy :) ❤"},
		{"i'm happy :(", "i'm happy :("},
		{"3.5 stars <emoji>", "3.5 stars <emoji>"},
		{"ÉTÉ", "été"},
	}
	for _, tt := range tests {
		if got := NormKey(tt.in); got != tt.want {
			t.Errorf("NormKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Texts differing only in links, mentions, punctuation and '#' share a key.
	c := mustCleaner(t)
	a := NormKey(c.Clean("RT @a: Great game tonight! #Win http://t.co/aaa"))
	b := NormKey(c.Clean("@b Great game tonight... Win http://t.co/bbb"))
	if a != b || a == "" {
		t.Errorf("keys differ: %q vs %q", a, b)
	}
	if NormKey("good :)") == NormKey("good :(") {
		t.Error("emoticons do not separate keys")
	}
}
