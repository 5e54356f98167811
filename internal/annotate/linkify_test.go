package annotate

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestLinkify(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain <b>text</b> & more", "plain &lt;b&gt;text&lt;/b&gt; &amp; more"},
		{"see https://example.com/a?b=1&c=2.", `see <a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">https://example.com/a?b=1&amp;c=2</a>.`},
		{"HTTP://X.org", `<a href="HTTP://X.org" target="_blank" rel="noopener noreferrer">HTTP://X.org</a>`},
		{`javascript:alert(1) data:text/html,x`, `javascript:alert(1) data:text/html,x`},
		{`x https://a.b/"onmouseover="alert(1)`, `x <a href="https://a.b/" target="_blank" rel="noopener noreferrer">https://a.b/</a>&#34;onmouseover=&#34;alert(1)`},
		{"(https://t.co/abc)", `(<a href="https://t.co/abc" target="_blank" rel="noopener noreferrer">https://t.co/abc</a>)`},
		{"https:// nothing", "https:// nothing"},
	}
	for _, tc := range tests {
		if got := string(Linkify(tc.in)); got != tc.want {
			t.Errorf("Linkify(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

// FuzzLinkify checks that any text gives HTML whose only elements are <a>
// links to http(s) URLs and whose text content is the input.
func FuzzLinkify(f *testing.F) {
	for _, s := range []string{"a https://x.y/z b", "<script>alert(1)</script>", `http://"><img src=x>`, "javascript:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !strings.Contains(s, "\x00") && strings.ToValidUTF8(s, "") == s && !strings.Contains(s, "\r") {
			out := string(Linkify(s))
			z := html.NewTokenizer(strings.NewReader(out))
			var text strings.Builder
			for {
				tt := z.Next()
				if tt == html.ErrorToken {
					break
				}
				switch tt {
				case html.TextToken:
					text.Write(z.Text())
				case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
					name, _ := z.TagName()
					if string(name) != "a" {
						t.Fatalf("Linkify(%q) has a <%s> element: %s", s, name, out)
					}
					if tt == html.StartTagToken {
						for {
							k, v, more := z.TagAttr()
							if string(k) == "href" && !strings.HasPrefix(strings.ToLower(string(v)), "http") {
								t.Fatalf("Linkify(%q): href %q", s, v)
							}
							if !more {
								break
							}
						}
					}
				}
			}
			if text.String() != s {
				t.Fatalf("Linkify(%q): text content %q", s, text.String())
			}
		}
	})
}
