package ingest

import (
	"unicode/utf8"
)

// cp1252High maps bytes 0x80-0x9F of Windows-1252 to Unicode. The five
// bytes Windows leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to the
// C1 control with the same value, as the WHATWG encoding standard does.
// Bytes 0xA0-0xFF are Latin-1: the code point equals the byte.
var cp1252High = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, // 80-87
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F, // 88-8F
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, // 90-97
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178, // 98-9F
}

// decodeCP1252 appends the UTF-8 encoding of Windows-1252 bytes b to dst.
func decodeCP1252(dst, b []byte) []byte {
	for _, c := range b {
		switch {
		case c < 0x80:
			dst = append(dst, c)
		case c < 0xA0:
			dst = utf8.AppendRune(dst, cp1252High[c-0x80])
		default:
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return dst
}

// toUTF8 returns line unchanged when it is valid UTF-8 (ASCII included)
// and its Windows-1252 decoding otherwise, using scratch as the buffer.
func toUTF8(line, scratch []byte) ([]byte, bool) {
	if utf8.Valid(line) {
		return line, false
	}
	return decodeCP1252(scratch[:0], line), true
}
