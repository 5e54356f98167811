package ingest

import (
	"bytes"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// nltk reads `text<TAB>label` lines (the NLTK twitter_samples export).
// The label is after the last tab. A CR inside the text (the files have a
// few stray ones) becomes a space; a CR at the end of the line is dropped.
// The format has no tweet id: the id is "<file base name>:<line>", unique
// and stable for a given file name.
func (p *parser) nltk(lr *lineReader) error {
	base := path.Base(strings.ReplaceAll(p.name, "\\", "/"))
	var idBuf []byte
	for {
		raw, line, done, err := p.nextLine(lr)
		if done || err != nil {
			return err
		}
		if !utf8.Valid(raw) {
			if err := p.badRow(line, "invalid UTF-8"); err != nil {
				return err
			}
			continue
		}
		tab := bytes.LastIndexByte(raw, '\t')
		if tab < 0 {
			if err := p.badRow(line, "wrong field count: no tab (want text<TAB>label)"); err != nil {
				return err
			}
			continue
		}
		rawLabel := string(bytes.Trim(raw[tab+1:], " \r"))
		text := raw[:tab]
		s := string(text)
		if bytes.IndexByte(text, '\r') >= 0 {
			s = strings.ReplaceAll(s, "\r", " ")
		}
		label, ok := p.lm.Map(rawLabel)
		switch {
		case !ok:
			err = p.badRow(line, "%s", p.lm.unknown(rawLabel))
		case strings.TrimSpace(s) == "":
			err = p.badRow(line, "empty text")
		default:
			idBuf = strconv.AppendInt(append(append(idBuf[:0], base...), ':'), int64(line), 10)
			p.t = dataset.Tweet{ID: string(idBuf), Text: s, Label: label, Source: p.source(line)}
			err = p.emit(&p.t)
		}
		if err != nil {
			return err
		}
	}
}
