package ingest

import (
	"bytes"
	"context"
	"errors"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// RecordDecoder decodes single tweet records that arrive one at a time (a
// Kafka message, an HTTP body) with exactly the rules of a JSONL line: a
// plain tweetflow object, a Twitter API v1.1 object or a v2 response for
// one tweet (see FormatJSONL). A record may span several lines (pretty
// printed JSON). It is not safe for concurrent use; a decoder reuses its
// buffers between calls.
type RecordDecoder struct {
	p   parser
	got bool
	bad *BadRow
}

// NewRecordDecoder returns a decoder mapping labels through lm (nil: the
// JSONL default, which keeps labels as they are).
func NewRecordDecoder(lm *LabelMap) *RecordDecoder {
	if lm == nil {
		lm = DefaultLabelMap(FormatJSONL)
	}
	d := &RecordDecoder{}
	d.p = parser{ctx: context.Background(), lm: lm}
	d.p.emit = func(*dataset.Tweet) error { d.got = true; return nil }
	d.p.bad = func(b BadRow) error { d.bad = &b; return nil }
	return d
}

// Decode decodes raw, the record at position pos of the source name (a
// line number, or a Kafka offset); the tweet's Source is "<name>:<pos>".
// A record that is not a good row gives a *BadRow error (with Raw set to
// a copy of raw); the returned tweet's strings do not alias raw.
func (d *RecordDecoder) Decode(name string, pos int64, raw []byte) (dataset.Tweet, error) {
	d.got, d.bad = false, nil
	d.p.name, d.p.cur = name, raw
	if len(bytes.TrimSpace(raw)) == 0 {
		return dataset.Tweet{}, &BadRow{Source: name, Line: int(pos), Reason: "empty record", Raw: append([]byte{}, raw...)}
	}
	if err := d.p.jsonRow(int(pos), raw); err != nil {
		return dataset.Tweet{}, err
	}
	if d.bad != nil {
		return dataset.Tweet{}, d.bad
	}
	if !d.got {
		return dataset.Tweet{}, errors.New("decoding record: no tweet and no error") // cannot happen
	}
	return d.p.t, nil
}
