package text

import (
	"html"
	"strings"
)

// urlByte marks the ASCII bytes a URL may contain (RFC 3986 unreserved,
// reserved and '%'). Anything else, including every non-ASCII rune, ends it.
var urlByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._~:/?#[]@!$&'()*+,;=%" {
		t[c] = true
	}
	return t
}()

func isAlnumByte(b byte) bool {
	return b >= '0' && b <= '9' || b|0x20 >= 'a' && b|0x20 <= 'z'
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case;
// prefix must be lower case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		b := s[i]
		if b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		if b != prefix[i] {
			return false
		}
	}
	return true
}

// urlLen returns the byte length of the web link at the start of s, or 0.
// The caller checks that s starts at a word boundary.
//
// A link starts with "http://", "https://", "t.co/" or three or more 'w'
// and a '.', in any case ("wwww." too, so that squeezing repeated letters
// never turns text into a link), and needs an ASCII letter or digit right
// after that prefix. It runs over URL bytes; then trailing
// . , ; : ! ? ' * are dropped, and so are trailing ')' and ']' that have no
// opening partner inside the link.
func urlLen(s string) int {
	var start int
	switch {
	case hasPrefixFold(s, "http://"):
		start = 7
	case hasPrefixFold(s, "https://"):
		start = 8
	case hasPrefixFold(s, "t.co/"):
		start = 5
	default:
		w := 0
		for w < len(s) && s[w]|0x20 == 'w' {
			w++
		}
		if w < 3 || w >= len(s) || s[w] != '.' {
			return 0
		}
		start = w + 1
	}
	if start >= len(s) || !isAlnumByte(s[start]) {
		return 0
	}
	end := start
	paren, bracket := 0, 0
	for end < len(s) && urlByte[s[end]] {
		switch s[end] {
		case '(':
			paren++
		case ')':
			paren--
		case '[':
			bracket++
		case ']':
			bracket--
		}
		end++
	}
	for end > start {
		switch s[end-1] {
		case '.', ',', ';', ':', '!', '?', '\'', '*':
			end--
			continue
		case ')':
			if paren < 0 {
				paren++
				end--
				continue
			}
		case ']':
			if bracket < 0 {
				bracket++
				end--
				continue
			}
		}
		break
	}
	return end
}

// unescapeHTML decodes HTML character references until none is left, so
// that doubly escaped text ("&amp;lt;") is fully decoded.
func unescapeHTML(s string) string {
	for strings.IndexByte(s, '&') >= 0 {
		u := html.UnescapeString(s)
		if u == s {
			break
		}
		s = u
	}
	return s
}

// ExtractURLs returns the web links in a raw tweet text, in order of
// appearance, duplicates included; nil when there are none. HTML character
// references are decoded first ("&amp;" in a query string becomes '&').
// Links are returned as written (no scheme is added to "www." or "t.co/"
// links). See urlLen for what counts as a link; a link must also start at a
// word boundary (not right after a letter, digit or '_') and not be part of
// an @mention ("@http" is a mention, as in Clean).
func ExtractURLs(text string) []string {
	text = unescapeHTML(text)
	if strings.IndexByte(text, '/') < 0 && !containsWWWDot(text) {
		return nil // every link has a '/' or "www."
	}
	var out []string
	prevWord := false
	for i := 0; i < len(text); {
		b := text[i]
		if b >= 0x80 {
			r, n := decodeRune(text[i:])
			prevWord = isWordRune(r)
			i += n
			continue
		}
		if !prevWord {
			if b == '@' { // a mention, as Clean reads it: "@http" is a name
				if n := mentionLen(text[i:]); n > 0 {
					i += n
					prevWord = true
					continue
				}
			}
			switch b | 0x20 {
			case 'h', 'w', 't':
				if n := urlLen(text[i:]); n > 0 {
					out = append(out, text[i:i+n])
					i += n
					continue
				}
			}
		}
		prevWord = isWordByte(b)
		i++
	}
	return out
}

// containsWWWDot reports whether s holds "ww." in any case (a "www." link
// without a path has no '/').
func containsWWWDot(s string) bool {
	for i := 2; i < len(s); i++ {
		if s[i] == '.' && s[i-1]|0x20 == 'w' && s[i-2]|0x20 == 'w' {
			return true
		}
	}
	return false
}
