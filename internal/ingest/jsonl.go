package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// jsonTweet is a Twitter API v2 tweet object, or the {"data": {...}}
// envelope around one. Only the fields tweetflow uses are decoded.
type jsonTweet struct {
	Data      *jsonTweet      `json:"data"`
	ID        json.RawMessage `json:"id"` // a string (v2) or a number
	Text      *string         `json:"text"`
	CreatedAt string          `json:"created_at"`
	AuthorID  string          `json:"author_id"`
	Lang      string          `json:"lang"` // accepted, not stored
	Label     json.RawMessage `json:"label"`
	Sentiment json.RawMessage `json:"sentiment"`
}

// jsonl reads one tweet object per line. The label comes from "label" or
// else "sentiment" (a string or a number), on the tweet or on the
// envelope; a row without either is unlabeled (Label ""). created_at is
// RFC 3339; the user is author_id.
func (p *parser) jsonl(lr *lineReader) error {
	for {
		raw, line, done, err := p.nextLine(lr)
		if done || err != nil {
			return err
		}
		if err := p.jsonRow(line, raw); err != nil {
			return err
		}
	}
}

// jsonRow handles one line: by the fast scanner when it can (see
// jsonfast.go), else through encoding/json.
func (p *parser) jsonRow(line int, raw []byte) error {
	if !p.stdJSON {
		if handled, err := p.jsonRowFast(line, raw); handled {
			return err
		}
	}
	return p.jsonRowStd(line, raw)
}

// jsonRowStd decodes one line with encoding/json; it is the reference
// behaviour, and the only path for lines the fast scanner declines.
func (p *parser) jsonRowStd(line int, raw []byte) error {
	if !utf8.Valid(raw) {
		return p.badRow(line, "invalid UTF-8")
	}
	var env jsonTweet
	if err := json.Unmarshal(raw, &env); err != nil {
		return p.badRow(line, "bad JSON: %v", err)
	}
	tw := &env
	if env.Data != nil {
		tw = env.Data
	}
	id, err := jsonID(tw.ID)
	if err != nil {
		return p.badRow(line, "%v", err)
	}
	if tw.Text == nil || strings.TrimSpace(*tw.Text) == "" {
		return p.badRow(line, "missing or empty \"text\"")
	}
	var created time.Time
	if tw.CreatedAt != "" {
		created, err = time.Parse(time.RFC3339Nano, tw.CreatedAt)
		if err != nil {
			return p.badRow(line, "bad created_at %q: want RFC 3339 like 2009-04-06T22:19:45.000Z", tw.CreatedAt)
		}
		created = created.UTC()
	}
	rawLabel := ""
	for _, l := range []json.RawMessage{tw.Label, tw.Sentiment, env.Label, env.Sentiment} {
		if len(l) > 0 && string(l) != "null" {
			if rawLabel, err = jsonScalar(l); err != nil {
				return p.badRow(line, "bad label %s: want a string or a number", l)
			}
			break
		}
	}
	label := ""
	if rawLabel != "" {
		var ok bool
		if label, ok = p.lm.Map(rawLabel); !ok {
			return p.badRow(line, "%s", p.lm.unknown(rawLabel))
		}
	}
	p.t = dataset.Tweet{ID: id, CreatedAt: created, User: tw.AuthorID, Text: *tw.Text, Label: label, Source: p.source(line)}
	return p.emit(&p.t)
}

// jsonID accepts "123" or 123 (digits only).
func jsonID(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", fmt.Errorf("missing \"id\"")
	}
	s, err := jsonScalar(raw)
	if err != nil || !isDigits([]byte(s)) {
		return "", fmt.Errorf("bad id %s: want a string of digits", raw)
	}
	return s, nil
}

// jsonScalar renders a JSON string or number as text.
func jsonScalar(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", err
	}
	return n.String(), nil
}
