package text

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCleanDefaults(t *testing.T) {
	c := mustCleaner(t)
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"spaces only", " \t\n ", ""},
		{"lowercase and trim", "  Hello   World \n", "hello world"},
		{"html amp", "Sat &amp; Sun", "sat & sun"},
		{"html lt gt quot apos", "&lt;b&gt; &quot;hi&quot; it&#39;s", `<b> "hi" it's`},
		{"html numeric hex", "caf&#xE9; &#233;", "café é"},
		{"html double escaped", "&amp;lt;3 you", "<3 you"},
		{"html named", "&hearts; &copy;", "♥ ©"},
		{"decoded comma from ingest", "Monday, Winans said", "monday, winans said"},
		{"url at end of sentence", "Watch this http://t.co/W3V3Pi2t.", "watch this <url>."},
		{"https url in parens", "(via https://x.com/a)", "(via <url>)"},
		{"url keeps balanced parens", "see http://en.wikipedia.org/wiki/A_(b) now", "see <url> now"},
		{"www url", "go to www.Example.com/path?a=1, now", "go to <url>, now"},
		{"bare t.co url", "look t.co/abc123 here", "look <url> here"},
		{"url followed by ellipsis", "Cloud Consultin... http://t.co/iwlWmHks", "cloud consultin... <url>"},
		{"url truncated by unicode ellipsis", "read http://t.co/ab\u2026", "read <url>..."},
		{"scheme alone is text", "http:// is a scheme", "http:// is a scheme"},
		{"url needs boundary", "xhttp://a.com", "xhttp://a.com"},
		{"mention", "@MsSheLahY I didnt want", "<user> i didnt want"},
		{"mention with colon", "@WSJ: The U.S. Postal", "<user>: the u.s. postal"},
		{"email is not mention", "mail me at bob@example.com", "mail me at bob@example.com"},
		{"mentions glued", "@bob@alice", "<user><user>"},
		{"rt prefix", "RT @user: Check this", "check this"},
		{"rt prefix no colon", "RT @user Check", "check"},
		{"rt lowercase mid text", "so true rt @bob: yes", "so true yes"},
		{"rt word without mention kept", "RT if you agree", "rt if you agree"},
		{"rt repeated", "RT RT @a: @b: x", "rt <user>: x"},
		{"hashtag kept", "#NEW #SHIT 10 Things", "#new #shit 10 things"},
		{"hash inside word", "C# and a#b", "c# and a#b"},
		{"squeeze letters", "Cooooool", "coool"},
		{"squeeze keeps three", "cooool cool", "coool cool"},
		{"squeeze punctuation", "what!!!!!!!???????", "what!!!???"},
		{"digits not squeezed", "1000000 $", "1000000 $"},
		{"squeeze mixed case", "NOOOOooo", "nooo"},
		{"emoticons kept", "great :) sad :( wink ;-) :D <3", "great :) sad :( wink ;-) :d <3"},
		{"emoticon squeezed", "yay :)))))))", "yay :)))"},
		{"curly quotes", "I\u2019ll \u201Cquote\u201D", `i'll "quote"`},
		{"zero width space dropped", "foo\u200Bbar", "foobar"},
		{"nbsp is space", "a\u00A0b", "a b"},
		{"control chars", "a\x00b\x1fc", "a b c"},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
		{"emoji kept", "love it \U0001F60D!", "love it \U0001F60D!"},
		{"zwj family kept whole", "👨‍👩‍👧 day", "👨‍👩‍👧 day"},
		{"stray zwj", "a\u200Db", "a b"},
		{"stray variation selector", "x\uFE0Fy", "x y"},
		{"real tweet", "Breeders\u2019 Cup fans, watch Sky2 @ 7am Sat & Sun.  Sat R5 to 9 live & Sun R6 to 12 with @racingraphael live.",
			"breeders' cup fans, watch sky2 @ 7am sat & sun. sat r5 to 9 live & sun r6 to 12 with <user> live."},
		{"real tweet 2", "Expect fair weather tomorrow!:)", "expect fair weather tomorrow!:)"},
		{"entity created by squeezing", "&gggg;", "⋙"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Clean(tt.in)
			if got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := c.Clean(got); again != got {
				t.Errorf("Clean not idempotent: %q -> %q", got, again)
			}
		})
	}
}

func TestCleanEmojiModes(t *testing.T) {
	in := "ok 👨‍👩‍👧 👍🏽 ❤️ 1️⃣ 🇫🇷 🏴󠁧󠁢󠁥󠁮󠁧󠁿 #️⃣ end"
	tests := []struct {
		mode Mode
		want string
	}{
		{ModeKeep, in},
		{ModeToken, "ok <emoji> <emoji> <emoji> <emoji> <emoji> <emoji> <emoji> end"},
		{ModeRemove, "ok end"},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			c := mustCleaner(t, WithEmojis(tt.mode))
			if got := c.Clean(in); got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", in, got, tt.want)
			}
		})
	}
	// Removal leaves a space: words never glue together.
	c := mustCleaner(t, WithEmojis(ModeRemove))
	if got := c.Clean("love😍you"); got != "love you" {
		t.Errorf("removal glued words: %q", got)
	}
}

func TestCleanOptions(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		in   string
		want string
	}{
		{"remove urls", []Option{WithURLs(ModeRemove)}, "see http://x.co/a now", "see now"},
		{"remove mentions", []Option{WithMentions(ModeRemove)}, "@bob hi @al", "hi"},
		{"keep rt", []Option{WithStripRT(false)}, "RT @bob: hi", "rt <user>: hi"},
		{"no lowercase", []Option{WithLowercase(false)}, "Hello WORLD &AMP; http://X.co/A", "Hello WORLD & <url>"},
		{"no squeeze", []Option{WithSqueezeRepeats(false)}, "cooooool!!!!", "cooooool!!!!"},
		{"strip hash", []Option{WithStripHashSign(true)}, "#Happy ##days a#b # x (#yes) @#riots http://#www.x", "happy days a#b # x ( yes) @ riots http:// <url>"},
		{"strip hash keycap", []Option{WithStripHashSign(true)}, "#1️⃣ #1", "#1️⃣ 1"},
		{"trailing hashtags keep", []Option{WithTrailingHashtags(ModeKeep)}, "New fund http://x.co/a #FinTech #AI", "new fund <url> #fintech #ai"},
		{"trailing hashtags token", []Option{WithTrailingHashtags(ModeToken)}, "How #AI helps doctors. http://x.co/a #FinTech #AI @bob 🚀!!", "how #ai helps doctors. tb_ <url> tb_fintech tb_ai <user> 🚀 !!"},
		{"trailing hashtags token only tags", []Option{WithTrailingHashtags(ModeToken)}, "#AI #ML", "tb_ tb_ai tb_ml"},
		{"trailing hashtags token no tag in tail", []Option{WithTrailingHashtags(ModeToken)}, "#AI is here http://x.co/a @bob", "#ai is here <url> <user>"},
		{"trailing hashtags token tail needs a hashtag after the last word", []Option{WithTrailingHashtags(ModeToken)}, "#AI #ML rocks", "#ai #ml rocks"},
		{"trailing hashtags token hashtag glued to word is not a hashtag", []Option{WithTrailingHashtags(ModeToken)}, "read a#b", "read a#b"},
		{"trailing hashtags remove", []Option{WithTrailingHashtags(ModeRemove)}, "How #AI helps doctors. http://x.co/a #FinTech #AI", "how #ai helps doctors."},
		{"trailing hashtags remove only tags", []Option{WithTrailingHashtags(ModeRemove)}, "#AI #ML", ""},
		{"trailing hashtags remove urls kept without tags", []Option{WithTrailingHashtags(ModeRemove)}, "read this http://x.co/a", "read this <url>"},
		{"trailing hashtags token with rt and entities", []Option{WithTrailingHashtags(ModeToken)}, "RT @a: Deep &amp; wide &gt;&gt; #DeepLearning&amp;#AI", "deep & wide >> tb_ tb_deeplearning & tb_ai"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCleaner(t, tt.opts...)
			got := c.Clean(tt.in)
			if got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := c.Clean(got); again != got {
				t.Errorf("Clean not idempotent: %q -> %q", got, again)
			}
		})
	}
}

func TestOptionsValidateAndFingerprint(t *testing.T) {
	bad := []Option{
		WithURLs(ModeKeep), WithMentions(ModeKeep), WithEmojis("drop"),
		WithOptions(Options{}),
		WithTrailingHashtags("drop"),
		func(o *Options) { o.TrailingHashtags, o.StripHashSign = ModeToken, true },
	}
	for i, opt := range bad {
		if _, err := NewCleaner(opt); err == nil {
			t.Errorf("case %d: NewCleaner accepted invalid options", i)
		}
	}
	seen := map[string]Options{}
	for _, o := range allOptions() {
		fp := o.Fingerprint()
		if len(fp) != 16 {
			t.Fatalf("fingerprint %q is not 16 hex digits", fp)
		}
		if prev, ok := seen[fp]; ok {
			t.Fatalf("options %+v and %+v share fingerprint %s", prev, o, fp)
		}
		seen[fp] = o
		// JSON round trip keeps the fingerprint and the behaviour.
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		var back Options
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back != o || back.Fingerprint() != fp {
			t.Fatalf("JSON round trip changed options: %+v -> %+v", o, back)
		}
		if _, err := NewCleaner(WithOptions(back)); err != nil {
			t.Fatalf("options %+v rejected: %v", back, err)
		}
	}
	c := mustCleaner(t)
	if c.Options() != DefaultOptions() {
		t.Errorf("Options() = %+v, want defaults", c.Options())
	}
	// Trailing hashtags "keep" is the default, spelled "" so that the
	// options of models made before the option keep their fingerprint.
	keep := mustCleaner(t, WithTrailingHashtags(ModeKeep))
	if keep.Options() != DefaultOptions() || keep.Options().Fingerprint() != DefaultOptions().Fingerprint() {
		t.Errorf("keep: options %+v, want the defaults", keep.Options())
	}
	if b, _ := json.Marshal(DefaultOptions()); strings.Contains(string(b), "trailing") {
		t.Errorf("default options JSON %s names trailing_hashtags", b)
	}
}

func TestAppendCleanMatchesClean(t *testing.T) {
	c := mustCleaner(t)
	dst := []byte("prefix:")
	for _, s := range []string{"Hello &amp; @bob http://t.co/x", "", "  ", "&gggg; x"} {
		got := c.AppendClean(dst, s)
		if string(got) != "prefix:"+c.Clean(s) {
			t.Errorf("AppendClean(%q) = %q, want prefix + %q", s, got, c.Clean(s))
		}
	}
}

// checkCleanOutput asserts the invariants of any Clean result.
func checkCleanOutput(t *testing.T, c *Cleaner, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("Clean(%q) = %q is not valid UTF-8", in, out)
	}
	if strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") || strings.Contains(out, "  ") {
		t.Fatalf("Clean(%q) = %q has untrimmed or repeated spaces", in, out)
	}
	for _, r := range out {
		if r != ' ' && unicode.IsSpace(r) || unicode.Is(unicode.Cc, r) {
			t.Fatalf("Clean(%q) = %q holds space or control rune %U", in, out, r)
		}
	}
	if again := c.Clean(out); again != out {
		t.Fatalf("Clean not idempotent with %+v:\n in:  %q\n out: %q\n again: %q", c.Options(), in, out, again)
	}
}

// TestCleanPropertiesOnRealTweets checks the invariants over every SemEval
// tweet with the default options and over a sample with every combination
// (every 7th tweet and a smaller sample with -short).
func TestCleanPropertiesOnRealTweets(t *testing.T) {
	texts := loadSemEval(t)
	step, sample := 1, 97
	if testing.Short() {
		step, sample = 7, 499
	}
	def := mustCleaner(t)
	for k := 0; k < len(texts); k += step {
		s := texts[k]
		out := def.Clean(s)
		checkCleanOutput(t, def, s, out)
		checkTokens(t, out, Tokenize(out))
	}
	for i, o := range allOptions() {
		c := mustCleaner(t, WithOptions(o))
		for j := i; j < len(texts); j += sample {
			checkCleanOutput(t, c, texts[j], c.Clean(texts[j]))
		}
	}
}

func TestCleanConcurrent(t *testing.T) {
	c := mustCleaner(t)
	in := []string{"Hello @bob http://t.co/x :)", "I\u2019m &amp; 😀😀", "RT @a: cooooool"}
	want := make([]string, len(in))
	for i, s := range in {
		want[i] = c.Clean(s)
	}
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			ok := true
			for k := 0; k < 2000; k++ {
				i := k % len(in)
				if c.Clean(in[i]) != want[i] {
					ok = false
				}
			}
			done <- ok
		}()
	}
	for g := 0; g < 4; g++ {
		if !<-done {
			t.Error("concurrent Clean returned a different result")
		}
	}
}
