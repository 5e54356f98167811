package text

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// pieces are fragments that exercise the scanners' edge cases.
var pieces = []string{
	"&", "&amp;", "&lt;", "&#", "&#x", "&gggg;", "amp;", ";", "#", "##", "@", "@a", "rt", "RT ", "rt: ",
	"http://", "https://x", "www.", "wwww.", "t.co/", "(", ")", "]", ".", "!", "?", "'", "\"",
	"\u200D", "\uFE0F", "\u20E3", "\U0001F3FD", "\U0001F1EB", "\U000E0067", "\U000E007F", "\u00AD", "\u200B",
	"👨", "❤", "1", "*", "a", "A", "K", "\u212A", "İ", "é", "\u0301", "ß", "\u2019", "\u2026", " ", "\t", "\n", "\x00",
	"\xff", "<url>", "<user>", "<emoji>", "<3", ":)", ":D", "oooo", "!!!!", "_", "0",
}

// TestCleanRandomSplices checks Clean's invariants (valid UTF-8, trimmed,
// idempotent) and Tokenize's on real tweets with tricky fragments spliced
// in at random places, for every option combination. Deterministic (seeded
// PCG); it complements the fuzz tests, which CI does not run.
func TestCleanRandomSplices(t *testing.T) {
	texts := loadSemEval(t)
	rng := rand.New(rand.NewPCG(1, 2))
	opts := allOptions()
	cleaners := make([]*Cleaner, len(opts))
	for i, o := range opts {
		cleaners[i] = mustCleaner(t, WithOptions(o))
	}
	n := 20000
	if testing.Short() {
		n = 3000
	}
	for k := 0; k < n; k++ {
		s := texts[rng.IntN(len(texts))]
		var b strings.Builder
		for m := rng.IntN(6) + 1; m > 0; m-- {
			cut := rng.IntN(len(s) + 1)
			b.Reset()
			b.WriteString(s[:cut])
			for p := rng.IntN(4) + 1; p > 0; p-- {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
			b.WriteString(s[cut:])
			s = b.String()
		}
		c := cleaners[rng.IntN(len(cleaners))]
		out := c.Clean(s)
		checkCleanOutput(t, c, s, out)
		checkTokens(t, out, Tokenize(out))
		for _, u := range ExtractURLs(s) {
			if u == "" || strings.ContainsAny(u, " \t\n") {
				t.Fatalf("ExtractURLs(%q) returned %q", s, u)
			}
		}
	}
}
