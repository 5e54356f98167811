package ingest

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// maxJoinedLines caps how many physical lines one SemEval record may span.
const maxJoinedLines = 5

// semeval reads `id<TAB>label<TAB>text` lines with an optional 4th field:
// twitter-2016test-A.txt ends every line with a tab, and 10 of its lines
// carry the tweet date there ("Wed Jul 29 12:01:22 +0000 2015"), which
// becomes CreatedAt. Texts are decoded in this order:
//
//  1. CSV-style quoting: a text that starts and ends with '"' and whose
//     inner quotes are all doubled is unquoted ("" -> "). Texts with bare
//     inner quotes ("Arriving Tuesday" is ...) are kept as they are.
//  2. A quoted text left open at the end of a line continues on the next
//     line(s) when those do not start a record (one record of
//     twitter-2016test-A.txt spans two lines); the line break is kept.
//  3. Escapes: \uXXXX (surrogate pairs joined into one rune) and \" -> ".
//     Other backslashes (\m/, =\) are literal text. A malformed \u escape
//     or a lone surrogate makes the row bad.
func (p *parser) semeval(lr *lineReader) error {
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
		rec := string(raw)
		id, label, text, date, ok := splitSemEval(rec)
		longAt := 0 // a too-long line met while looking ahead
		for joined := 1; ok && joined < maxJoinedLines && openQuote(text); joined++ {
			next, err := lr.next()
			if err != nil {
				if err != io.EOF && err != errLineTooLong {
					return fmt.Errorf("reading line %d: %w", line+joined, err)
				}
				if err == errLineTooLong {
					longAt = lr.line
				}
				break
			}
			if looksLikeSemEvalRecord(next) || !utf8.Valid(next) {
				lr.unread(next)
				break
			}
			cand := rec + "\n" + string(next)
			cid, clabel, ctext, cdate, cok := splitSemEval(cand)
			if !cok {
				lr.unread(next)
				break
			}
			rec, id, label, text, date = cand, cid, clabel, ctext, cdate
		}
		if !ok {
			err = p.badRow(line, "wrong field count: %d fields, want 3 or 4 (id, label, text[, date])", strings.Count(rec, "\t")+1)
		} else {
			err = p.semevalRow(line, id, label, text, date)
		}
		if err != nil {
			return err
		}
		if longAt > 0 {
			if err := p.badRow(longAt, "%v", errLineTooLong); err != nil {
				return err
			}
		}
	}
}

func (p *parser) semevalRow(line int, id, rawLabel, text, date string) error {
	if !isDigits([]byte(id)) {
		return p.badRow(line, "bad id %q: want digits", id)
	}
	label, ok := p.lm.Map(rawLabel)
	if !ok {
		return p.badRow(line, "%s", p.lm.unknown(rawLabel))
	}
	text = unquoteCSV(text)
	text, err := decodeEscapes(text)
	if err != nil {
		return p.badRow(line, "%v", err)
	}
	if strings.TrimSpace(text) == "" {
		return p.badRow(line, "empty text")
	}
	created, err := parseTwitterDate(strings.TrimSpace(date))
	if err != nil {
		return p.badRow(line, "%v", err)
	}
	p.t = dataset.Tweet{ID: id, CreatedAt: created, Text: text, Label: label, Source: p.source(line)}
	return p.emit(&p.t)
}

// splitSemEval splits a record into id, label, text and the optional 4th
// field (a date, or empty for the trailing tab of twitter-2016test-A.txt).
func splitSemEval(rec string) (id, label, text, date string, ok bool) {
	i := strings.IndexByte(rec, '\t')
	if i < 0 {
		return "", "", "", "", false
	}
	j := strings.IndexByte(rec[i+1:], '\t')
	if j < 0 {
		return "", "", "", "", false
	}
	id, label, text = rec[:i], rec[i+1:i+1+j], rec[i+2+j:]
	if k := strings.IndexByte(text, '\t'); k >= 0 {
		text, date = text[:k], text[k+1:]
		if strings.IndexByte(date, '\t') >= 0 {
			return "", "", "", "", false
		}
	}
	return id, label, text, date, true
}

// looksLikeSemEvalRecord reports whether line starts with "<digits>\t".
func looksLikeSemEvalRecord(line []byte) bool {
	for i, c := range line {
		if c == '\t' {
			return i > 0
		}
		if c < '0' || c > '9' {
			return false
		}
	}
	return false
}

// openQuote reports whether s starts a CSV-quoted field that is not closed.
func openQuote(s string) bool {
	if s == "" || s[0] != '"' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] == '"' {
			if i+1 < len(s) && s[i+1] == '"' {
				i++
				continue
			}
			return false
		}
	}
	return true
}

// unquoteCSV strips CSV quoting from s when s is entirely one quoted field:
// it starts and ends with '"' and every inner quote is doubled.
func unquoteCSV(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	inner := s[1 : len(s)-1]
	for i := 0; i < len(inner); i++ {
		if inner[i] == '"' {
			if i+1 < len(inner) && inner[i+1] == '"' {
				i++
				continue
			}
			return s // a bare quote: the quotes are part of the text
		}
	}
	return strings.ReplaceAll(inner, `""`, `"`)
}

// decodeEscapes decodes \uXXXX (with surrogate pairs) and \" in s.
func decodeEscapes(s string) (string, error) {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		b.WriteString(s[:i])
		s = s[i:]
		switch {
		case len(s) >= 2 && s[1] == '"':
			b.WriteByte('"')
			s = s[2:]
		case len(s) >= 2 && s[1] == 'u':
			r, ok := hex4(s[2:])
			if !ok {
				return "", fmt.Errorf("bad escape %q: want \\u and 4 hex digits", prefix(s, 6))
			}
			n := 6
			switch {
			case utf16.IsSurrogate(r) && r < 0xDC00:
				lo, ok := rune(0), false
				if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
					lo, ok = hex4(s[8:])
				}
				if !ok || lo < 0xDC00 || lo > 0xDFFF {
					return "", fmt.Errorf("bad escape %q: high surrogate without a low one", prefix(s, 12))
				}
				r = utf16.DecodeRune(r, lo)
				n = 12
			case utf16.IsSurrogate(r):
				return "", fmt.Errorf("bad escape %q: lone low surrogate", prefix(s, 6))
			}
			b.WriteRune(r)
			s = s[n:]
		default:
			b.WriteByte('\\')
			s = s[1:]
		}
		i = strings.IndexByte(s, '\\')
	}
	b.WriteString(s)
	return b.String(), nil
}

func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for i := 0; i < 4; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func prefix(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
