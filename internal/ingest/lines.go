package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// maxLineBytes caps one physical line; longer lines are bad rows.
const maxLineBytes = 1 << 20

var errLineTooLong = errors.New("line longer than 1 MiB")

// lineReader splits a stream into lines without loading it whole. Lines
// are returned without the "\n" and without one trailing "\r" (CRLF).
type lineReader struct {
	br      *bufio.Reader
	line    int // 1-based number of the line last returned
	long    []byte
	pending []byte // a pushed-back line
	hasPend bool
}

func newLineReader(br *bufio.Reader) *lineReader { return &lineReader{br: br} }

// next returns the next line, valid until the following call, or io.EOF.
// A line over maxLineBytes is consumed and reported as errLineTooLong.
func (l *lineReader) next() ([]byte, error) {
	if l.hasPend {
		l.hasPend = false
		l.line++
		return l.pending, nil
	}
	b, err := l.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		l.long = append(l.long[:0], b...)
		tooLong := false
		for err == bufio.ErrBufferFull {
			b, err = l.br.ReadSlice('\n')
			if len(l.long)+len(b) > maxLineBytes {
				tooLong = true
			} else {
				l.long = append(l.long, b...)
			}
		}
		if tooLong && (err == nil || err == io.EOF) {
			l.line++
			return nil, errLineTooLong
		}
		b = l.long
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(b) == 0 && err == io.EOF {
		return nil, io.EOF
	}
	l.line++
	if l.line == 1 {
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	}
	b = bytes.TrimSuffix(b, []byte{'\n'})
	b = bytes.TrimSuffix(b, []byte{'\r'})
	return b, nil
}

// unread pushes back line (copied) so the next call returns it again.
func (l *lineReader) unread(line []byte) {
	l.pending = append(l.pending[:0], line...)
	l.hasPend = true
	l.line--
}

// isBlank reports whether b has only spaces, tabs and CRs.
func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// nextLine returns the next non-blank line of lr and its line number, the
// prelude every line-based reader shares: a line over the length limit is
// reported as a bad row and skipped, a read error names the line, and the
// parser's tick (cancellation) runs once a line. done is true at the end.
func (p *parser) nextLine(lr *lineReader) (raw []byte, line int, done bool, err error) {
	for {
		raw, err := lr.next()
		if err == io.EOF {
			return nil, 0, true, nil
		}
		line := lr.line
		p.cur = raw
		if err == errLineTooLong {
			if err := p.badRow(line, "%v", err); err != nil {
				return nil, line, false, err
			}
			continue
		}
		if err != nil {
			return nil, line, false, fmt.Errorf("reading line %d: %w", line+1, err)
		}
		if err := p.tick(); err != nil {
			return nil, line, false, err
		}
		if isBlank(raw) {
			continue
		}
		return raw, line, false, nil
	}
}
