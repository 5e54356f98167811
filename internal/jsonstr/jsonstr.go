package jsonstr

import (
	"unicode/utf16"
	"unicode/utf8"
)

// stop marks the bytes that end a plain run inside a string: the quote,
// the backslash and the control characters (invalid in JSON strings).
var stop = func() (t [256]bool) {
	for c := 0; c < ' '; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// Append decodes the JSON string whose content starts at b[0] (just
// after its opening quote), up to its closing quote, and appends the
// decoded text to dst. n counts the bytes of b it used, the closing quote
// included. ok is false when b does not start a valid JSON string: a bad
// escape, a control character or no closing quote; dst is then returned
// with unspecified bytes appended.
func Append(dst, b []byte) (out []byte, n int, ok bool) {
	i := 0
	for {
		j := i
		for j < len(b) && !stop[b[j]] {
			j++
		}
		dst = append(dst, b[i:j]...)
		if j >= len(b) {
			return dst, 0, false
		}
		switch c := b[j]; {
		case c == '"':
			return dst, j + 1, true
		case c < ' ':
			return dst, 0, false
		}
		// A backslash.
		if j+1 >= len(b) {
			return dst, 0, false
		}
		i = j + 2
		switch e := b[j+1]; e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(b, i)
			if !ok {
				return dst, 0, false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				// Joined with a following \uXXXX when they pair; otherwise
				// U+FFFD and the next escape stands alone.
				r = utf8.RuneError
				if i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
					if r2, ok := hex4(b, i+2); ok {
						if d := utf16.DecodeRune(rune(hexVal(b[j+2:j+6])), r2); d != utf8.RuneError {
							r = d
							i += 6
						}
					}
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, 0, false
		}
	}
}

// hex4 reads the 4 hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	for _, c := range b[i : i+4] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return 0, false
		}
	}
	return hexVal(b[i : i+4]), true
}

// hexVal is the value of 4 valid hex digits.
func hexVal(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// Scan validates the JSON string whose content starts at b[0] (just
// after its opening quote) without decoding it: n counts the bytes up to
// and including the closing quote, escaped reports a backslash escape in
// it (the content is then not the text: decode it with Append). It
// accepts exactly what Append accepts.
func Scan(b []byte) (n int, escaped, ok bool) {
	i := 0
	for {
		for i < len(b) && !stop[b[i]] {
			i++
		}
		if i >= len(b) {
			return 0, false, false
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, escaped, true
		case c < ' ':
			return 0, false, false
		}
		escaped = true
		if i+1 >= len(b) {
			return 0, false, false
		}
		switch b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if _, ok := hex4(b, i+2); !ok {
				return 0, false, false
			}
			i += 6
		default:
			return 0, false, false
		}
	}
}
