package serving

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
	"unsafe"
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
// The common single-text body {"text": "..."} without escapes is parsed by
// hand, and its text aliases b; everything else goes through encoding/json.
func decodePredict(b []byte, texts []string) (predictReq, *apiError) {
	if t, ok := fastText(b); ok {
		return predictReq{texts: append(texts, t), field: "text"}, nil
	}
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

// fastText parses exactly {"text":"..."} (any JSON white space) whose
// string has no escapes or control characters.
func fastText(b []byte) (string, bool) {
	i := 0
	skip := func() {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
	}
	skip()
	if i >= len(b) || b[i] != '{' {
		return "", false
	}
	i++
	skip()
	if !bytes.HasPrefix(b[i:], []byte(`"text"`)) {
		return "", false
	}
	i += len(`"text"`)
	skip()
	if i >= len(b) || b[i] != ':' {
		return "", false
	}
	i++
	skip()
	if i >= len(b) || b[i] != '"' {
		return "", false
	}
	i++
	start := i
	for i < len(b) && b[i] != '"' {
		if b[i] == '\\' || b[i] < 0x20 {
			return "", false
		}
		i++
	}
	if i >= len(b) {
		return "", false
	}
	end := i
	i++
	skip()
	if i >= len(b) || b[i] != '}' {
		return "", false
	}
	i++
	skip()
	if i != len(b) {
		return "", false
	}
	if end == start {
		return "", true
	}
	return unsafe.String(&b[start], end-start), true
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
