package text

import (
	"html"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// Cleaner normalises tweet texts. It is immutable and safe for concurrent
// use. Build it with NewCleaner.
type Cleaner struct {
	opts Options
	pool sync.Pool // *scratch
}

type scratch struct {
	norm []byte
	out  []byte
}

// NewCleaner returns a Cleaner configured by DefaultOptions changed by opts.
func NewCleaner(opts ...Option) (*Cleaner, error) {
	o := DefaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	c := &Cleaner{opts: o.normalized()}
	c.pool.New = func() any { return &scratch{norm: make([]byte, 0, 512), out: make([]byte, 0, 512)} }
	return c, nil
}

// Options returns the options the Cleaner was built with.
func (c *Cleaner) Options() Options { return c.opts }

// Clean returns the normalised form of a raw tweet text (see the package
// documentation for every step). Clean is idempotent:
// Clean(Clean(s)) == Clean(s), and its result is valid UTF-8 with single
// spaces and no leading or trailing space.
func (c *Cleaner) Clean(s string) string {
	sc := c.pool.Get().(*scratch)
	sc.out = c.appendClean(sc.out[:0], s, sc)
	res := string(sc.out)
	c.pool.Put(sc)
	return res
}

// AppendClean appends Clean(s) to dst and returns the extended slice. It
// allocates nothing for most texts once dst has room.
func (c *Cleaner) AppendClean(dst []byte, s string) []byte {
	sc := c.pool.Get().(*scratch)
	dst = c.appendClean(dst, s, sc)
	c.pool.Put(sc)
	return dst
}

func (c *Cleaner) appendClean(dst []byte, s string, sc *scratch) []byte {
	start := len(dst)
	dst = c.cleanOnce(dst, s, sc)
	// Squeezing and removals can create an HTML character reference that
	// was not in the input ("&gggg;" squeezes to "&ggg;", which is "⋙").
	// Clean again until none is left, so that Clean stays idempotent. Rare:
	// only texts whose output still holds a decodable '&' reference pay.
	for iter := 0; iter < 8; iter++ {
		out := unsafe.String(unsafe.SliceData(dst[start:]), len(dst)-start)
		if strings.IndexByte(out, '&') < 0 || html.UnescapeString(out) == out {
			break
		}
		again := c.cleanOnce(nil, out, sc)
		dst = append(dst[:start], again...)
	}
	if m := c.opts.TrailingHashtags; m == ModeToken || m == ModeRemove {
		dst = rewriteTagBlock(dst, start, m)
	}
	return dst
}

// rewriteTagBlock applies TrailingHashtags mode m to the cleaned text
// dst[start:]: it finds the trailing tag block (the tokens after the last
// word and the punctuation right after it: hashtags, placeholders, emoji,
// emoticons, punctuation, with at least one hashtag) and drops it (ModeRemove) or writes TokenTagBlock
// before it and TagBlockPrefix instead of each hashtag's '#' (ModeToken).
// The result ends with a word or is empty, so applying it again changes
// nothing and Clean stays idempotent.
func rewriteTagBlock(dst []byte, start int, m Mode) []byte {
	s := string(dst[start:])
	t := tokenizer{s: s}
	blockStart, hashtags := -1, 0
	for {
		tok, k, ok := t.next()
		if !ok {
			break
		}
		switch k {
		case kWord:
			blockStart, hashtags = -1, 0
		case kHashtag:
			hashtags++
			fallthrough
		default:
			if blockStart < 0 && k != kPunct { // punctuation right after the last word ends the sentence
				blockStart = t.i - len(tok)
			}
		}
	}
	if hashtags == 0 {
		return dst
	}
	dst = dst[:start]
	head := strings.TrimRight(s[:blockStart], " ")
	dst = append(dst, head...)
	if m == ModeRemove {
		return dst
	}
	if len(head) > 0 {
		dst = append(dst, ' ')
	}
	dst = append(dst, TokenTagBlock...)
	t = tokenizer{s: s[blockStart:]}
	for {
		tok, k, ok := t.next()
		if !ok {
			return dst
		}
		dst = append(dst, ' ')
		if k == kHashtag {
			dst = append(dst, TagBlockPrefix...)
			tok = tok[1:]
		}
		dst = append(dst, tok...)
	}
}

// cleanOnce runs the two passes: normalise (only when the text holds
// non-ASCII bytes or '&') then scan.
func (c *Cleaner) cleanOnce(dst []byte, s string, sc *scratch) []byte {
	if needsNormalize(s) {
		sc.norm = c.normalize(sc.norm[:0], s)
		x := unsafe.String(unsafe.SliceData(sc.norm), len(sc.norm))
		if strings.IndexByte(x, '&') >= 0 {
			for {
				u := html.UnescapeString(x)
				if u == x {
					break
				}
				x = string(c.normalize(nil, u))
			}
		}
		s = x
	}
	return c.scan(dst, s)
}

func needsNormalize(s string) bool {
	const (
		lo   = 0x0101010101010101
		hi   = 0x8080808080808080
		amps = 0x2626262626262626 // '&' in every byte
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		x := w ^ amps // a zero byte where w has '&'
		if (w|((x-lo)&^x))&hi != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || s[i] == '&' {
			return true
		}
	}
	return false
}

// normalize is the rune-level pass: invalid UTF-8 becomes U+FFFD, control
// and space runes become ' ', curly quotes become ASCII quotes, '…' becomes
// "...", format characters (Cf) other than ZWJ and tag characters (which
// emoji sequences use) are dropped, and runes are lowercased if asked.
func (c *Cleaner) normalize(dst []byte, s string) []byte {
	lower := c.opts.Lowercase
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case b < 0x20 || b == 0x7f:
				b = ' '
			case lower && b >= 'A' && b <= 'Z':
				b += 'a' - 'A'
			}
			dst = append(dst, b)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError:
			dst = append(dst, "\uFFFD"...)
		case r == '\u2018' || r == '\u2019' || r == '\u201B':
			dst = append(dst, '\'')
		case r == '\u201C' || r == '\u201D' || r == '\u201E':
			dst = append(dst, '"')
		case r == '\u2026':
			dst = append(dst, "..."...)
		case r < 0xA0 || unicode.IsSpace(r):
			dst = append(dst, ' ')
		case r == zwj || isTag(r):
			dst = utf8.AppendRune(dst, r)
		case unicode.Is(unicode.Cf, r):
			// dropped: soft hyphen, zero-width space, bidi marks, BOM...
		default:
			if lower {
				r = unicode.ToLower(r)
			}
			dst = utf8.AppendRune(dst, r)
		}
	}
	return dst
}

// emitter writes the output of scan, collapsing spaces and squeezing runs.
// Decisions that depend on the left context (word boundaries, runs) look at
// what has been written, not at the input, so that cleaning the output
// again takes the same decisions: that is what makes Clean idempotent.
type emitter struct {
	dst      []byte
	start    int
	last     rune // last rune written as plain text; -1 after a space or emoji
	run      int  // length of the run of last
	prevWord bool // last rune written is a word rune
	squeeze  bool
	lower    bool
}

func (e *emitter) space() {
	if len(e.dst) > e.start && e.dst[len(e.dst)-1] != ' ' {
		e.dst = append(e.dst, ' ')
	}
	e.last, e.run, e.prevWord = -1, 0, false
}

func (e *emitter) plainByte(b byte) {
	cls := byteClass[b]
	if e.lower && cls&clsUpper != 0 {
		b += 'a' - 'A'
	}
	if r := rune(b); r == e.last {
		if e.squeeze && e.run >= 3 && cls&clsDigit == 0 {
			return
		}
		e.run++
	} else {
		e.last, e.run = r, 1
	}
	e.dst = append(e.dst, b)
	e.prevWord = cls&clsWord != 0
}

func (e *emitter) plainRune(r rune) {
	if r == e.last {
		if e.squeeze && e.run >= 3 && !unicode.IsDigit(r) {
			return
		}
		e.run++
	} else {
		e.last, e.run = r, 1
	}
	e.dst = utf8.AppendRune(e.dst, r)
	e.prevWord = isWordRune(r)
}

// token writes a placeholder exactly as if it were plain text, since that is
// how a second Clean reads it.
func (e *emitter) token(t string) {
	for i := 0; i < len(t); i++ {
		e.plainByte(t[i])
	}
}

func (e *emitter) emoji(seq string) {
	e.dst = append(e.dst, seq...)
	e.last, e.run, e.prevWord = -1, 0, false
}

// scan is the entity pass over normalised text (or ASCII text, which it
// lowercases itself).
func (c *Cleaner) scan(dst []byte, s string) []byte {
	o := &c.opts
	e := emitter{dst: dst, start: len(dst), last: -1, squeeze: o.SqueezeRepeats, lower: o.Lowercase}
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if e.prevWord && byteClass[b]&clsWord != 0 && (i+1 == len(s) || s[i+1] < 0xE2) {
				// inside a word, not a keycap: nothing can start here
				e.plainByte(b)
				i++
				continue
			}
			if b <= ' ' || b == 0x7f {
				e.space()
				i++
				continue
			}
			if !e.prevWord {
				switch b {
				case 'r', 'R':
					if o.StripRT {
						if n := rtLen(s[i:]); n > 0 {
							e.space()
							i += n
							continue
						}
					}
				case '@':
					if n := mentionLen(s[i:]); n > 0 {
						if o.Mentions == ModeToken {
							e.token(TokenUser)
						} else {
							e.space()
						}
						i += n
						continue
					}
				}
				switch b | 0x20 {
				case 'h', 'w', 't':
					if n := urlLen(s[i:]); n > 0 {
						if o.URLs == ModeToken {
							e.token(TokenURL)
						} else {
							e.space()
						}
						i += n
						continue
					}
				}
			}
			if b == '#' || b == '*' || b >= '0' && b <= '9' {
				if n := emojiLen(s[i:]); n > 0 {
					c.emitEmoji(&e, s[i:i+n])
					i += n
					continue
				}
			}
			if b == '#' && !e.prevWord {
				j := i
				for j < len(s) && s[j] == '#' && emojiLen(s[j:]) == 0 {
					j++
				}
				if o.StripHashSign && j < len(s) && s[j] != '#' && emojiLen(s[j:]) == 0 {
					if r, _ := decodeRune(s[j:]); isWordRune(r) {
						// A hashtag: drop the '#'s, keep the word. After
						// anything but a space, leave a space instead, or
						// the word would glue to what precedes it
						// ("http://#www.x" must not become a link).
						e.space()
						i = j
						continue
					}
				}
				for ; i < j; i++ {
					e.plainByte('#')
				}
				continue
			}
			e.plainByte(b)
			i++
			continue
		}
		if n := emojiLen(s[i:]); n > 0 {
			c.emitEmoji(&e, s[i:i+n])
			i += n
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if isEmojiComponent(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cc, r) {
			e.space()
			continue
		}
		e.plainRune(r)
	}
	if n := len(e.dst); n > e.start && e.dst[n-1] == ' ' {
		e.dst = e.dst[:n-1]
	}
	return e.dst
}

func (c *Cleaner) emitEmoji(e *emitter, seq string) {
	switch c.opts.Emojis {
	case ModeKeep:
		e.emoji(seq)
	case ModeToken:
		e.token(TokenEmoji)
	default:
		e.space()
	}
}

func isNameByte(b byte) bool { return byteClass[b]&clsWord != 0 }

// mentionLen returns the length of "@name" at the start of s, or 0. Names
// are ASCII letters, digits and '_'.
func mentionLen(s string) int {
	j := 1
	for j < len(s) && isNameByte(s[j]) {
		j++
	}
	if j == 1 {
		return 0
	}
	return j
}

// rtLen returns the length of a retweet marker at the start of s: "rt" in
// any case, an optional ':', one or more spaces, a mention and an optional
// ':'; or 0.
func rtLen(s string) int {
	if !hasPrefixFold(s, "rt") {
		return 0
	}
	j := 2
	if j < len(s) && s[j] == ':' {
		j++
	}
	k := j
	for k < len(s) && (s[k] == ' ' || s[k] < ' ' || s[k] == 0x7f) {
		k++
	}
	if k == j || k >= len(s) || s[k] != '@' {
		return 0
	}
	m := mentionLen(s[k:])
	if m == 0 {
		return 0
	}
	k += m
	if k < len(s) && s[k] == ':' {
		k++
	}
	return k
}

// Byte classes of ASCII bytes.
const (
	clsWord  = 1 << iota // letter, digit, '_'
	clsUpper             // 'A'..'Z'
	clsDigit             // '0'..'9'
)

var byteClass = func() (t [256]uint8) {
	for c := 0; c < 128; c++ {
		b := byte(c)
		if isAlnumByte(b) || b == '_' {
			t[c] |= clsWord
		}
		if b >= 'A' && b <= 'Z' {
			t[c] |= clsUpper
		}
		if b >= '0' && b <= '9' {
			t[c] |= clsDigit
		}
	}
	return t
}()

// isWordByte reports ASCII letters, digits and '_'.
func isWordByte(b byte) bool { return byteClass[b]&clsWord != 0 }

// isWordRune reports letters, digits, marks and '_'.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isWordByte(byte(r))
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func decodeRune(s string) (rune, int) {
	if s == "" {
		return utf8.RuneError, 0
	}
	if s[0] < utf8.RuneSelf {
		return rune(s[0]), 1
	}
	return utf8.DecodeRuneInString(s)
}
