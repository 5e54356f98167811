package ingest

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/jsonstr"
)

// The fast JSONL path. jsonRowFast scans one line by hand, picks out the
// fields jsonTweet decodes and skips (while fully validating) every other
// value without allocating. It only answers for lines it understands
// completely and that give a good row; for anything else (a bad row of any
// kind, a type that encoding/json would reject, a duplicate or
// case-folded key, a nested envelope, very deep nesting) it declines and
// jsonRowStd (encoding/json) handles the line, so rows, bad-row messages
// and errors are exactly those of the encoding/json path.

// jsonSpan is the raw bytes of one JSON value as encoding/json would give
// them to a json.RawMessage (no surrounding white space); nil when the key
// is absent.
type jsonSpan []byte

// jsonObj holds the fields of one tweet object (or envelope) that the
// reader uses, as raw values.
type jsonObj struct {
	id, text, createdAt, authorID, label, sentiment jsonSpan
	data                                            jsonSpan // an object (nil when absent or null)
	seen                                            uint16   // keys seen, to decline duplicates
}

const (
	keyID = 1 << iota
	keyText
	keyCreatedAt
	keyAuthorID
	keyLang
	keyLabel
	keySentiment
	keyData
)

// maxFastDepth bounds the nesting the fast scanner follows; deeper lines
// go to encoding/json (which has its own, much larger, limit).
const maxFastDepth = 64

// jsonScanner walks one line. All methods return ok=false when the input
// is not something the fast path accepts.
type jsonScanner struct {
	b []byte
	i int
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// next ends a member of an object or an element of an array (close is
// '}' or ']'): after a ',' it reports more, after close the end; anything
// else is not ok.
func (s *jsonScanner) next(close byte) (more, ok bool) {
	s.skipSpace()
	if s.i >= len(s.b) {
		return false, false
	}
	switch s.b[s.i] {
	case ',':
		s.i++
		s.skipSpace()
		return true, true
	case close:
		s.i++
		return false, true
	}
	return false, false
}

func (s *jsonScanner) skipSpace() {
	for s.i < len(s.b) && isJSONSpace(s.b[s.i]) {
		s.i++
	}
}

// str scans a string starting at the opening quote; it returns the
// content between the quotes and whether it holds a backslash escape.
func (s *jsonScanner) str() (content []byte, escaped, ok bool) {
	start := s.i + 1
	n, escaped, ok := jsonstr.Scan(s.b[start:])
	if !ok {
		return nil, false, false
	}
	s.i = start + n
	return s.b[start : start+n-1], escaped, true
}

// number scans a number of the JSON grammar.
func (s *jsonScanner) number() bool {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i++; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	}
	s.i = i
	return true
}

func (s *jsonScanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return false
	}
	s.i += len(lit)
	return true
}

// value skips one value (s.i at its first byte) and returns its span.
func (s *jsonScanner) value(depth int) (jsonSpan, bool) {
	if s.i >= len(s.b) {
		return nil, false
	}
	start := s.i
	ok := false
	switch c := s.b[s.i]; {
	case c == '"':
		_, _, ok = s.str()
	case c == '{':
		ok = s.skipObject(depth + 1)
	case c == '[':
		ok = s.skipArray(depth + 1)
	case c == 't':
		ok = s.literal("true")
	case c == 'f':
		ok = s.literal("false")
	case c == 'n':
		ok = s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		ok = s.number()
	}
	return s.b[start:s.i], ok
}

func (s *jsonScanner) skipObject(depth int) bool {
	if depth > maxFastDepth {
		return false
	}
	s.i++ // '{'
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return false
		}
		if _, _, ok := s.str(); !ok {
			return false
		}
		s.skipSpace()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.skipSpace()
		if _, ok := s.value(depth); !ok {
			return false
		}
		more, ok := s.next('}')
		if !ok || !more {
			return ok
		}
	}
}

func (s *jsonScanner) skipArray(depth int) bool {
	if depth > maxFastDepth {
		return false
	}
	s.i++ // '['
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return true
	}
	for {
		if _, ok := s.value(depth); !ok {
			return false
		}
		more, ok := s.next(']')
		if !ok || !more {
			return ok
		}
	}
}

// tweetKeys are the names jsonTweet decodes; encoding/json also matches
// them case-insensitively, which the fast path declines.
var tweetKeys = [...]string{"id", "text", "created_at", "author_id", "lang", "label", "sentiment", "data"}

// keyOf returns the key bit of an exactly matching name, 0 for a name
// that matches no field even case-insensitively, or -1 for a name the
// fast path declines (escaped, non-ASCII, or a case-folded field name).
func keyOf(name []byte, escaped bool) int {
	if escaped {
		return -1
	}
	switch string(name) {
	case "id":
		return keyID
	case "text":
		return keyText
	case "created_at":
		return keyCreatedAt
	case "author_id":
		return keyAuthorID
	case "lang":
		return keyLang
	case "label":
		return keyLabel
	case "sentiment":
		return keySentiment
	case "data":
		return keyData
	}
	for _, c := range name {
		if c >= utf8.RuneSelf {
			return -1 // e.g. U+017F folds to 's', U+212A to 'k'
		}
	}
	for _, k := range tweetKeys {
		if len(k) == len(name) && bytes.EqualFold(name, []byte(k)) {
			return -1
		}
	}
	for _, k := range apiKeys {
		if len(k) == len(name) && bytes.EqualFold(name, []byte(k)) {
			return -1
		}
	}
	return 0
}

// apiKeys are the Twitter API fields jsonTweet decodes besides tweetKeys
// (v1.1 objects, v2 expansions): a line with any of them, in any case,
// goes to encoding/json, which picks the full text, the user and the URLs.
var apiKeys = [...]string{"id_str", "full_text", "extended_tweet", "note_tweet", "retweeted_status",
	"entities", "user", "referenced_tweets", "includes"}

// object scans a tweet object (s.i at '{') into o. Envelopes nest once:
// a "data" object inside "data" is declined.
func (s *jsonScanner) object(o *jsonObj, inner bool) bool {
	s.i++ // '{'
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return false
		}
		name, escaped, ok := s.str()
		if !ok {
			return false
		}
		s.skipSpace()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.skipSpace()
		key := keyOf(name, escaped)
		if key < 0 || o.seen&uint16(key) != 0 {
			return false
		}
		o.seen |= uint16(key)
		if s.i >= len(s.b) {
			return false
		}
		c := s.b[s.i]
		switch key {
		case 0: // an unknown field: skipped
			if _, ok := s.value(1); !ok {
				return false
			}
		case keyID, keyLabel, keySentiment: // json.RawMessage: any value
			v, ok := s.value(1)
			if !ok {
				return false
			}
			switch key {
			case keyID:
				o.id = v
			case keyLabel:
				o.label = v
			default:
				o.sentiment = v
			}
		case keyText, keyCreatedAt, keyAuthorID, keyLang: // string or null
			if c != '"' && c != 'n' {
				return false // a type error in encoding/json
			}
			v, ok := s.value(1)
			if !ok {
				return false
			}
			switch key {
			case keyText:
				o.text = v
			case keyCreatedAt:
				o.createdAt = v
			case keyAuthorID:
				o.authorID = v
			}
		case keyData:
			switch {
			case c == 'n':
				if !s.literal("null") {
					return false
				}
			case c == '{' && !inner:
				start := s.i
				var d jsonObj
				if !s.object(&d, true) {
					return false
				}
				o.data = s.b[start:s.i]
			default:
				return false
			}
		}
		more, ok := s.next('}')
		if !ok || !more {
			return ok
		}
	}
}

// isNull reports whether a raw value is absent or null.
func (v jsonSpan) isNull() bool { return len(v) == 0 || string(v) == "null" }

// appendUnquoted appends the decoded content of a string value (with its
// quotes) to dst exactly as encoding/json decodes it (package jsonstr).
// The value was validated by the scanner and the line is valid UTF-8.
func appendUnquoted(dst []byte, v jsonSpan) []byte {
	dst, _, _ = jsonstr.Append(dst, v[1:])
	return dst
}

// jsonScalarFast renders a string or number value as text into dst, like
// jsonScalar; ok is false for any other value.
func jsonScalarFast(dst []byte, v jsonSpan) ([]byte, bool) {
	switch c := v[0]; {
	case c == '"':
		return appendUnquoted(dst, v), true
	case c == '-' || '0' <= c && c <= '9':
		return append(dst, v...), true // validated by the scanner
	}
	return dst, false
}

// jsonRowFast handles line raw when it can: handled is false when the
// encoding/json path must decide instead (any bad row included).
func (p *parser) jsonRowFast(line int, raw []byte) (handled bool, err error) {
	if !utf8.Valid(raw) {
		return false, nil
	}
	s := jsonScanner{b: raw}
	s.skipSpace()
	if s.i >= len(raw) || raw[s.i] != '{' {
		return false, nil
	}
	var env jsonObj
	if !s.object(&env, false) {
		return false, nil
	}
	s.skipSpace()
	if s.i != len(raw) {
		return false, nil // trailing data
	}
	tw := &env
	var inner jsonObj
	if env.data != nil {
		is := jsonScanner{b: env.data}
		is.object(&inner, true) // validated above
		tw = &inner
	}

	// The row's strings share one allocation: id, user, text, source.
	buf := p.scratch[:0]
	if tw.id.isNull() {
		return false, nil
	}
	var ok bool
	if buf, ok = jsonScalarFast(buf, tw.id); !ok || !isDigits(buf) {
		return false, nil
	}
	idEnd := len(buf)
	if !tw.authorID.isNull() {
		buf = appendUnquoted(buf, tw.authorID)
	}
	userEnd := len(buf)
	if tw.text.isNull() {
		return false, nil
	}
	buf = appendUnquoted(buf, tw.text)
	if len(bytes.TrimSpace(buf[userEnd:])) == 0 {
		return false, nil
	}
	textEnd := len(buf)
	var created time.Time
	if !tw.createdAt.isNull() {
		buf = appendUnquoted(buf, tw.createdAt)
		if len(buf) > textEnd {
			created, err = parseJSONTime(string(buf[textEnd:]))
			if err != nil {
				return false, nil
			}
		}
		buf = buf[:textEnd]
	}
	label := ""
	for _, l := range [...]jsonSpan{tw.label, tw.sentiment, env.label, env.sentiment} {
		if !l.isNull() {
			if buf, ok = jsonScalarFast(buf, l); !ok {
				return false, nil
			}
			if len(buf) > textEnd {
				if label, ok = p.lm.mapBytes(buf[textEnd:]); !ok {
					return false, nil
				}
			}
			buf = buf[:textEnd]
			break
		}
	}
	buf = append(append(buf, p.name...), ':')
	buf = strconv.AppendInt(buf, int64(line), 10)
	p.scratch = buf[:0]
	all := string(buf)
	p.t = dataset.Tweet{ID: all[:idEnd], CreatedAt: created, User: all[idEnd:userEnd], Text: all[userEnd:textEnd], Label: label, Source: all[textEnd:]}
	return true, p.emit(&p.t)
}
