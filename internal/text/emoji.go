package text

import (
	"unicode"
	"unicode/utf8"
)

// Emoji sequences are recognised after UTS #51, simplified so that a
// sequence is always one contiguous run:
//
//	sequence := keycap | flag | element (ZWJ element)*
//	keycap   := [0-9#*] U+FE0F? U+20E3                  1️⃣ #️⃣
//	flag     := RI RI? (a lone regional indicator too)  🇫🇷
//	element  := (Extended_Pictographic | skin tone) (U+FE0E | U+FE0F | skin tone | tag)*
//	                                                     👍🏽 ❤️ 🏴󠁧󠁢󠁥󠁮󠁧󠁿
//	ZWJ element joins only when the rune after the ZWJ starts an element (👨‍👩‍👧).
//
// Components outside a sequence (a lone U+FE0F, ZWJ, U+20E3 or tag
// character) are not emoji; Clean turns them into spaces.

const (
	zwj        = 0x200D
	keycapMark = 0x20E3
)

func isRI(r rune) bool   { return r >= 0x1F1E6 && r <= 0x1F1FF }
func isSkin(r rune) bool { return r >= 0x1F3FB && r <= 0x1F3FF }
func isTag(r rune) bool  { return r >= 0xE0020 && r <= 0xE007F }
func isVS(r rune) bool   { return r == 0xFE0E || r == 0xFE0F }

// isPict reports whether r has the Extended_Pictographic property (no ASCII
// rune has it).
func isPict(r rune) bool { return r >= 0xA9 && unicode.Is(extPict, r) }

// isEmojiComponent reports runes that only have a meaning inside an emoji
// sequence.
func isEmojiComponent(r rune) bool {
	return isVS(r) || r == zwj || r == keycapMark || isTag(r)
}

// emojiLen returns the byte length of the emoji sequence at the start of s,
// or 0 when s does not start with one.
func emojiLen(s string) int {
	if s == "" {
		return 0
	}
	if b := s[0]; b < utf8.RuneSelf {
		if b != '#' && b != '*' && (b < '0' || b > '9') {
			return 0
		}
		i := 1
		if len(s) >= 4 && s[1:4] == "\uFE0F" {
			i = 4
		}
		if len(s) >= i+3 && s[i:i+3] == "\u20E3" {
			return i + 3
		}
		return 0
	}
	r, n := utf8.DecodeRuneInString(s)
	if isRI(r) {
		if r2, n2 := utf8.DecodeRuneInString(s[n:]); isRI(r2) {
			return n + n2
		}
		return n
	}
	if !isPict(r) && !isSkin(r) {
		return 0
	}
	i := n
	for {
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if !isVS(r) && !isSkin(r) && !isTag(r) {
				break
			}
			i += n
		}
		if len(s) < i+3 || s[i:i+3] != "\u200D" {
			return i
		}
		r, n := utf8.DecodeRuneInString(s[i+3:])
		if !isPict(r) && !isSkin(r) {
			return i
		}
		i += 3 + n
	}
}
