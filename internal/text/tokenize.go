package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	kWord        tokKind = iota // letters, digits, marks, '_' with inner joiners
	kHashtag                    // "#word"
	kMention                    // "@name"
	kPlaceholder                // "<url>", "<user>", "<emoji>"
	kEmoji                      // one emoji sequence
	kEmoticon                   // ":)", ":-(", "<3", "^_^", ...
	kPunct                      // a run of one punctuation or symbol rune
)

var placeholders = [...]string{TokenURL, TokenUser, TokenEmoji}

// eastern emoticons recognised verbatim (the letter ones such as "t_t" are
// words anyway).
var eastern = [...]string{"^_^", "^.^", "^-^", "^^", "-_-", "-.-", ">_<", ">.<", ";_;"}

// Tokenize splits a cleaned text into tokens. It is the one tokenizer used
// by training and serving; apply it to Cleaner.Clean output. Rules, tried in
// this order at each position (whitespace and control runes separate tokens
// and are dropped, as are invalid UTF-8 bytes and stray emoji components):
//
//  1. the placeholders "<url>", "<user>", "<emoji>" (exact, lower case);
//  2. one emoji sequence (ZWJ sequences, skin tones, flags, keycaps, tag
//     sequences), e.g. "👨‍👩‍👧";
//  3. an emoticon: eyes [:;=], optional nose [-'^o], then a run of one mouth
//     rune from )(][DdPpOo/\|*@$SsXx<>{} (3 only after ':'), not followed by
//     a letter, digit or '_' (":)", ":-(", ":'(", ":ddd", ":)))"; "=" eyes
//     only at a word boundary); reversed "(:" "):" "(-:" at a word boundary;
//     hearts "<3" "</3" "<333" (not followed by a digit); and ^_^ ^.^ ^-^ ^^
//     -_- -.- >_< >.< ;_;
//  4. a hashtag "#word" or mention "@word" when the sign is at a word
//     boundary and a word follows;
//  5. a word: letters, digits, marks and '_', joined across an apostrophe
//     (' or ’) between a letter or digit and a letter ("don't",
//     "rock'n'roll", "90's") and across '.',
//     ',' or ':' between two digits ("3.5", "1,000", "10:30");
//  6. otherwise a run of one repeated rune ("!", "!!!", "...", "?", "$").
//
// Tokens are substrings of s (no copying); none is empty or holds
// whitespace.
func Tokenize(s string) []string {
	return AppendTokens(make([]string, 0, len(s)/5+1), s)
}

// AppendTokens appends the tokens of s to dst (see Tokenize).
func AppendTokens(dst []string, s string) []string {
	t := tokenizer{s: s}
	for {
		tok, _, ok := t.next()
		if !ok {
			return dst
		}
		dst = append(dst, tok)
	}
}

type tokenizer struct {
	s        string
	i        int
	prevWord bool // the rune before i is a word rune (no space between)
}

func (t *tokenizer) emit(j int, k tokKind) (string, tokKind, bool) {
	tok := t.s[t.i:j]
	t.i = j
	r, _ := utf8.DecodeLastRuneInString(tok)
	t.prevWord = isWordRune(r)
	return tok, k, true
}

// emitWord emits a word, which always ends with a word rune.
func (t *tokenizer) emitWord(j int) (string, tokKind, bool) {
	tok := t.s[t.i:j]
	t.i = j
	t.prevWord = true
	return tok, kWord, true
}

var emoticonStart = func() (t [256]bool) {
	for _, c := range ":;=()^->" {
		t[c] = true
	}
	return t
}()

func (t *tokenizer) next() (string, tokKind, bool) {
	s := t.s
	for t.i < len(s) {
		i := t.i
		b := s[i]
		if b < utf8.RuneSelf {
			if b <= ' ' || b == 0x7f {
				t.i++
				t.prevWord = false
				continue
			}
			if b == '<' {
				for _, p := range placeholders {
					if strings.HasPrefix(s[i:], p) {
						return t.emit(i+len(p), kPlaceholder)
					}
				}
				if n := heartLen(s[i:]); n > 0 {
					return t.emit(i+n, kEmoticon)
				}
			}
			if b == '#' || b == '*' || b >= '0' && b <= '9' {
				if n := emojiLen(s[i:]); n > 0 {
					return t.emit(i+n, kEmoji)
				}
			}
			if isWordByte(b) && (i+1 == len(s) || s[i+1] < 0xE2) { // not a keycap
				return t.emitWord(i + wordLen(s[i:]))
			}
			if emoticonStart[b] {
				if n := emoticonLen(s[i:], t.prevWord); n > 0 {
					return t.emit(i+n, kEmoticon)
				}
			}
			if (b == '#' || b == '@') && !t.prevWord && emojiLen(s[i+1:]) == 0 {
				if n := wordLen(s[i+1:]); n > 0 {
					k := kHashtag
					if b == '@' {
						k = kMention
					}
					return t.emit(i+1+n, k)
				}
			}
			if isWordByte(b) {
				return t.emitWord(i + wordLen(s[i:]))
			}
			j := i + 1
			for j < len(s) && s[j] == b {
				j++
			}
			return t.emit(j, kPunct)
		}
		if n := emojiLen(s[i:]); n > 0 {
			return t.emit(i+n, kEmoji)
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || unicode.IsSpace(r) || unicode.Is(unicode.Cc, r) ||
			isEmojiComponent(r) || unicode.Is(unicode.Cf, r) {
			t.i += n
			t.prevWord = false
			continue
		}
		if isWordRune(r) {
			return t.emitWord(i + wordLen(s[i:]))
		}
		j := i + n
		for {
			r2, n2 := utf8.DecodeRuneInString(s[j:])
			if n2 == 0 || r2 != r || r2 == utf8.RuneError {
				break
			}
			j += n2
		}
		return t.emit(j, kPunct)
	}
	return "", 0, false
}

// wordLen returns the length of the word at the start of s (0 if none).
func wordLen(s string) int {
	i := 0
	var prev rune = -1
	for i < len(s) {
		b := s[i]
		if byteClass[b]&clsWord != 0 {
			prev = rune(b)
			i++
			continue
		}
		if b < utf8.RuneSelf && b != '\'' && b != '.' && b != ',' && b != ':' {
			break // neither a word rune nor a joiner
		}
		r, n := decodeRune(s[i:])
		if r >= utf8.RuneSelf && isWordRune(r) {
			prev = r
			i += n
			continue
		}
		if prev < 0 {
			return 0
		}
		// joiners
		next, _ := decodeRune(s[i+n:])
		switch r {
		case '\'', '\u2019':
			if (unicode.IsLetter(prev) || isDigitRune(prev)) && unicode.IsLetter(next) {
				i += n
				prev = r
				continue
			}
		case '.', ',', ':':
			if isDigitRune(prev) && isDigitRune(next) {
				i += n
				prev = r
				continue
			}
		}
		break
	}
	return i
}

func isDigitRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= '0' && r <= '9'
	}
	return unicode.IsDigit(r)
}

func heartLen(s string) int {
	j := 1
	if j < len(s) && s[j] == '/' {
		j++
	}
	k := j
	for k < len(s) && s[k] == '3' {
		k++
	}
	if k == j || k < len(s) && s[k] >= '0' && s[k] <= '9' {
		return 0
	}
	return k
}

var mouthByte = func() (t [256]bool) {
	for _, c := range ")(][DdPpOo/\\|*@$SsXx<>{}3" {
		t[c] = true
	}
	return t
}()

func isNose(b byte) bool { return b == '-' || b == '\'' || b == '^' || b == 'o' }

func isEyes(b byte) bool { return b == ':' || b == ';' || b == '=' }

// followsWord reports whether s starts with a word rune.
func followsWord(s string) bool {
	r, n := decodeRune(s)
	return n > 0 && isWordRune(r) && !(r == utf8.RuneError && n == 1)
}

// emoticonLen returns the length of the emoticon at the start of s, or 0.
func emoticonLen(s string, prevWord bool) int {
	for _, e := range eastern {
		if strings.HasPrefix(s, e) {
			return len(e)
		}
	}
	b := s[0]
	switch {
	case isEyes(b):
		if b == '=' && prevWord {
			return 0
		}
		j := 1
		if j+1 < len(s) && isNose(s[j]) && mouthByte[s[j+1]] {
			j++
		}
		if j >= len(s) || !mouthByte[s[j]] || s[j] == '3' && b != ':' {
			return 0
		}
		m := s[j]
		for j < len(s) && s[j] == m {
			j++
		}
		if followsWord(s[j:]) {
			return 0
		}
		return j
	case (b == '(' || b == ')') && !prevWord:
		j := 1
		if j+1 < len(s) && isNose(s[j]) && isEyes(s[j+1]) {
			j++
		}
		if j >= len(s) || !isEyes(s[j]) {
			return 0
		}
		j++
		if followsWord(s[j:]) {
			return 0
		}
		return j
	}
	return 0
}
