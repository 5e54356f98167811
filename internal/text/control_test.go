package text

import (
	"strings"
	"testing"
)

// TestCleanDropsControlCharacters: the text the model sees holds no
// control character, U+0000 included, whatever the path through Clean
// (ASCII fast path or the rune pass) and the options (issue 11, defect 3).
func TestCleanDropsControlCharacters(t *testing.T) {
	var ctl []string
	for r := rune(0); r < 0x20; r++ {
		ctl = append(ctl, string(r))
	}
	ctl = append(ctl, "\x7f", "\u0080", "\u0085", "\u009b", "\u009f")
	raw := Options{Version: Version, URLs: ModeRemove, Mentions: ModeRemove, Emojis: ModeRemove, TrailingHashtags: ModeToken}
	for _, opts := range []Options{DefaultOptions(), raw} {
		c, err := NewCleaner(WithOptions(opts))
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range ctl {
			for _, in := range []string{
				"nul" + ch + "inside",
				ch + "start and end" + ch,
				"café" + ch + "au lait",
				"amp &amp;" + ch + " x",
				"#tag" + ch + " @user" + ch + "http://x.co/a" + ch + "b",
				strings.Repeat(ch, 5),
				"coool" + ch + ch + ch + "ooo",
			} {
				out := c.Clean(in)
				for _, r := range out {
					if r < 0x20 || (r >= 0x7f && r < 0xa0) {
						t.Errorf("Clean(%q) = %q holds %U", in, out, r)
						break
					}
				}
				if c.Clean(out) != out {
					t.Errorf("Clean not idempotent on %q: %q then %q", in, out, c.Clean(out))
				}
			}
		}
	}
}
