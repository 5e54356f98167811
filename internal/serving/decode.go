package serving

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/tweetflow/tweetflow/internal/jsonstr"
)

// predictReq is a decoded /predict body.
type predictReq struct {
	texts []string
	batch bool   // texts or instances (answer with predictions)
	field string // "text", "texts" or "instances"
	model string
}

// decodePredict decodes a /predict body (valid UTF-8, checked by the
// caller), appending the texts to texts. Unknown fields are ignored.
//
// The common bodies are parsed by hand (fastDecode), their texts aliasing b
// or *arena; everything else goes through encoding/json.
func decodePredict(b []byte, texts []string, arena *[]byte) (predictReq, *apiError) {
	if fast, a, ok := fastDecode(b, texts, (*arena)[:0]); ok {
		*arena = a
		return fast, nil
	}
	return slowDecode(b, texts)
}

// slowDecode decodes any /predict body with encoding/json.
func slowDecode(b []byte, texts []string) (predictReq, *apiError) {
	var raw struct {
		Text      json.RawMessage `json:"text"`
		Texts     json.RawMessage `json:"texts"`
		Instances json.RawMessage `json:"instances"`
		Model     json.RawMessage `json:"model"`
	}
	if e := unmarshal(b, &raw, ""); e != nil {
		return predictReq{}, e
	}
	var req predictReq
	if isSet(raw.Model) {
		if e := unmarshalString(raw.Model, &req.model, "model"); e != nil {
			return req, e
		}
	}
	n := 0
	for _, r := range []json.RawMessage{raw.Text, raw.Texts, raw.Instances} {
		if isSet(r) {
			n++
		}
	}
	if n != 1 {
		msg := "send one of text, texts or instances"
		if n > 1 {
			msg = "send only one of text, texts or instances"
		}
		return req, badRequest("text", msg)
	}
	switch {
	case isSet(raw.Text):
		req.field = "text"
		var t string
		if e := unmarshalString(raw.Text, &t, "text"); e != nil {
			return req, e
		}
		req.texts = append(texts, t)
	case isSet(raw.Texts):
		req.field, req.batch = "texts", true
		var items []json.RawMessage
		if e := unmarshal(raw.Texts, &items, "texts"); e != nil {
			return req, e
		}
		if len(items) == 0 {
			return req, badRequest("texts", "texts is empty")
		}
		for i, it := range items {
			var t string
			if e := unmarshalString(it, &t, "texts["+strconv.Itoa(i)+"]"); e != nil {
				return req, e
			}
			texts = append(texts, t)
		}
		req.texts = texts
	default:
		req.field, req.batch = "instances", true
		var items []json.RawMessage
		if e := unmarshal(raw.Instances, &items, "instances"); e != nil {
			return req, e
		}
		if len(items) == 0 {
			return req, badRequest("instances", "instances is empty")
		}
		for i, it := range items {
			field := "instances[" + strconv.Itoa(i) + "]"
			var t string
			if len(it) > 0 && it[0] == '{' {
				var obj struct {
					Text json.RawMessage `json:"text"`
				}
				if e := unmarshal(it, &obj, field); e != nil {
					return req, e
				}
				if !isSet(obj.Text) {
					return req, badRequest(field+".text", field+".text is missing")
				}
				if e := unmarshalString(obj.Text, &t, field+".text"); e != nil {
					return req, e
				}
			} else if e := unmarshalString(it, &t, field); e != nil {
				return req, badRequest(field, field+" must be a string or an object with a text field")
			}
			texts = append(texts, t)
		}
		req.texts = texts
	}
	return req, nil
}

// isSet reports whether a raw field was present and not null.
func isSet(r json.RawMessage) bool { return len(r) > 0 && !bytes.Equal(r, []byte("null")) }

func unmarshal(b []byte, v any, field string) *apiError {
	err := json.Unmarshal(b, v)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return badRequest(field, "malformed JSON at byte "+strconv.FormatInt(se.Offset, 10)+": "+se.Error())
	case errors.As(err, &te):
		f := field
		if te.Field != "" {
			if f != "" {
				f += "."
			}
			f += te.Field
		}
		what := "the request body"
		if f != "" {
			what = f
		}
		want := "a JSON object"
		if field != "" && f == field {
			want = "a JSON " + jsonKind(v)
		}
		return badRequest(f, what+" must be "+want+", not "+te.Value)
	}
	return badRequest(field, "malformed JSON: "+err.Error())
}

func jsonKind(v any) string {
	switch v.(type) {
	case *[]json.RawMessage:
		return "array"
	case *string:
		return "string"
	}
	return "object"
}

func unmarshalString(b json.RawMessage, dst *string, field string) *apiError {
	if len(b) == 0 || b[0] != '"' {
		return badRequest(field, field+" must be a string")
	}
	return unmarshal(b, dst, field)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// fastDecode parses the common bodies {"text": "..."} and
// {"texts": ["...", ...]}, each with an optional "model": "..." and any
// JSON white space, without reflection. Strings without escapes alias b;
// escaped ones are decoded into arena (returned, possibly grown). Anything
// else (other keys, duplicates, nulls, wrong types, bad escapes) returns
// ok == false and goes through encoding/json, which also makes the error
// messages.
func fastDecode(b []byte, texts []string, arena []byte) (req predictReq, _ []byte, ok bool) {
	p := fastParser{b: b, arena: arena}
	var haveText, haveTexts, haveModel bool
	p.ws()
	if !p.byte('{') {
		return req, p.arena, false
	}
	for first := true; ; first = false {
		p.ws()
		if p.byte('}') {
			if first {
				return req, p.arena, false
			}
			break
		}
		if !first && !(p.byte(',') && p.wsThen()) {
			return req, p.arena, false
		}
		key, ok := p.str()
		if !ok {
			return req, p.arena, false
		}
		p.ws()
		if !p.byte(':') {
			return req, p.arena, false
		}
		p.ws()
		switch {
		case key == "text" && !haveText:
			haveText = true
			t, ok := p.str()
			if !ok {
				return req, p.arena, false
			}
			texts = append(texts, t)
		case key == "texts" && !haveTexts:
			haveTexts = true
			if !p.byte('[') {
				return req, p.arena, false
			}
			for n := 0; ; n++ {
				p.ws()
				if p.byte(']') {
					if n == 0 {
						return req, p.arena, false
					}
					break
				}
				if n > 0 && !(p.byte(',') && p.wsThen()) {
					return req, p.arena, false
				}
				t, ok := p.str()
				if !ok {
					return req, p.arena, false
				}
				texts = append(texts, t)
			}
		case key == "model" && !haveModel:
			haveModel = true
			m, ok := p.str()
			if !ok {
				return req, p.arena, false
			}
			req.model = m
		default:
			return req, p.arena, false
		}
	}
	p.ws()
	if p.i != len(b) || haveText == haveTexts {
		return req, p.arena, false
	}
	req.texts = texts
	req.field = "text"
	if haveTexts {
		req.field, req.batch = "texts", true
	}
	return req, p.arena, true
}

type fastParser struct {
	b     []byte
	i     int
	arena []byte
}

func (p *fastParser) ws() {
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

func (p *fastParser) wsThen() bool { p.ws(); return true }

func (p *fastParser) byte(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str parses a JSON string at the cursor.
func (p *fastParser) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			if len(s) == 0 {
				return "", true
			}
			return unsafe.String(&s[0], len(s)), true
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return "", false
		}
		p.i++
	}
	return "", false
}

// escaped decodes a string with escapes into the arena (package
// jsonstr): p.i is at its first backslash, start at its content.
func (p *fastParser) escaped(start int) (string, bool) {
	a0 := len(p.arena)
	p.arena = append(p.arena, p.b[start:p.i]...)
	var n int
	var ok bool
	if p.arena, n, ok = jsonstr.Append(p.arena, p.b[p.i:]); !ok {
		return "", false
	}
	p.i += n
	s := p.arena[a0:]
	if len(s) == 0 {
		return "", true
	}
	return unsafe.String(&s[0], len(s)), true
}

// appendString appends s as a JSON string (invalid UTF-8 becomes U+FFFD).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
