package text

import (
	"unicode"
	"unicode/utf8"
)

// NormKey returns the deduplication key of a cleaned text: its tokens
// (Tokenize) joined by single spaces, where
//   - punctuation runs, mentions and the "<url>"/"<user>" placeholders are
//     dropped (two tweets that differ only in links, addressees or
//     punctuation are duplicates);
//   - hashtags lose their '#' ("#happy" and "happy" are the same word);
//   - words and emoticons are lowercased;
//   - emoji lose their variation selectors (❤️ and ❤ are the same);
//   - emoticons, emoji, "<emoji>" and numbers are kept (":)" and ":(" differ).
//
// The key is "" when the text has no content token; the clean stage drops
// such rows as empty.
func NormKey(cleanText string) string {
	return string(AppendNormKey(nil, cleanText))
}

// AppendNormKey appends NormKey(cleanText) to dst.
func AppendNormKey(dst []byte, cleanText string) []byte {
	t := tokenizer{s: cleanText}
	start := len(dst)
	for {
		tok, k, ok := t.next()
		if !ok {
			return dst
		}
		switch k {
		case kPunct, kMention:
			continue
		case kPlaceholder:
			if tok != TokenEmoji {
				continue
			}
		case kHashtag:
			tok = tok[1:]
		}
		if len(dst) > start {
			dst = append(dst, ' ')
		}
		if k == kEmoji {
			for _, r := range tok {
				if !isVS(r) {
					dst = utf8.AppendRune(dst, r)
				}
			}
			continue
		}
		for i := 0; i < len(tok); {
			b := tok[i]
			if b < utf8.RuneSelf {
				if b >= 'A' && b <= 'Z' {
					b += 'a' - 'A'
				}
				dst = append(dst, b)
				i++
				continue
			}
			r, n := utf8.DecodeRuneInString(tok[i:])
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
			i += n
		}
	}
}
