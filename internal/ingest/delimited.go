package ingest

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// DefaultTextColumn is the text column of a delimited file when
// Columns.Text is empty.
const DefaultTextColumn = "text"

// Columns maps the header columns of a delimited file (FormatCSV,
// FormatTSV) to tweet fields. Text is required ("" means
// DefaultTextColumn); the others are optional: without Label rows are
// unlabeled, without ID a row's id is "<file base name>:<line>", without
// Time CreatedAt is unknown, without User it is empty. Names match a header
// field exactly, else case-insensitively when exactly one field matches.
// Other formats ignore Columns.
type Columns struct {
	Text, Label, ID, Time, User string
}

// TextColumn returns the text column name ("" gives DefaultTextColumn).
func (c Columns) TextColumn() string {
	if c.Text == "" {
		return DefaultTextColumn
	}
	return c.Text
}

// String renders the mapping as "text=..., label=..." (set columns only).
func (c Columns) String() string {
	parts := []string{"text=" + c.TextColumn()}
	for _, kv := range [][2]string{{"label", c.Label}, {"id", c.ID}, {"time", c.Time}, {"user", c.User}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, ", ")
}

// maxRecordBytes and maxRecordLines cap one record of a delimited file (all
// its physical lines); a quote left open longer than that is reported as
// a bad row. They also bound the work a stray quote causes: its record's
// lines are read again, at most maxRecordLines of them.
const (
	maxRecordBytes = maxLineBytes
	maxRecordLines = 1000
)

// csvReader splits a delimited stream into RFC 4180 records: fields
// separated by sep, a field starting with '"' is quoted (a doubled quote
// inside is one quote; separators and line breaks inside are text; each
// line break becomes "\n"), a quote inside an unquoted field is literal.
// Physical lines of a record that fails (a quote never closed before the
// end of the stream, maxRecordLines or maxRecordBytes) are read again as
// the start of new records, so a stray quote costs one bad row, not the
// rest of the file.
type csvReader struct {
	p   *parser
	lr  *lineReader
	sep byte

	// Continuation lines of quoted fields are kept (copied) in lines;
	// lines[head:] are still to be read again before lr. A record that
	// fails rewinds head to its second line.
	lines  []heldLine
	head   int
	rec    []byte // decoded fields, concatenated
	ends   []int  // end offset in rec of each field
	fields []string
	conv   []byte // cp1252 decoding scratch
	raw    []byte // the first physical line of the record
}

type heldLine struct {
	b    []byte
	line int
}

// physical returns the next physical line and its number, io.EOF at the
// end, or errLineTooLong.
func (r *csvReader) physical() ([]byte, int, error) {
	if r.head < len(r.lines) {
		h := r.lines[r.head]
		r.head++
		return h.b, h.line, nil
	}
	b, err := r.lr.next()
	return b, r.lr.line, err
}

// continuation returns the next physical line of a record whose quoted
// field goes on, keeping a copy so that a failing record can rewind.
func (r *csvReader) continuation() ([]byte, int, error) {
	if r.head < len(r.lines) {
		return r.physical()
	}
	b, err := r.lr.next()
	if err != nil {
		return nil, r.lr.line, err
	}
	r.lines = append(r.lines, heldLine{append([]byte(nil), b...), r.lr.line})
	r.head = len(r.lines)
	return b, r.lr.line, nil
}

// utf8Line decodes a physical line as sentiment140 does: valid UTF-8 is
// kept, anything else is Windows-1252.
func (r *csvReader) utf8Line(b []byte) []byte {
	d, conv := toUTF8(b, r.conv)
	if conv && cap(d) > cap(r.conv) {
		r.conv = d[:0]
	}
	return d
}

// next reads one record. It returns its first line; reason is set for a
// broken record (a bad row); done at the end of the stream. r.fields
// holds the fields (valid until the next call).
func (r *csvReader) next() (line int, reason string, done bool, err error) {
	var b []byte
	r.p.cur = nil
	for {
		b, line, err = r.physical()
		if err == io.EOF {
			return 0, "", true, nil
		}
		if err == errLineTooLong {
			return line, err.Error(), false, nil
		}
		if err != nil {
			return line, "", false, fmt.Errorf("reading line %d: %w", line+1, err)
		}
		if err := r.p.tick(); err != nil {
			return line, "", false, err
		}
		if !isBlank(b) {
			break
		}
	}
	// The line is kept for BadRow.Raw: b is overwritten by the reads of
	// continuation lines.
	r.raw = append(r.raw[:0], b...)
	r.p.cur = r.raw
	if r.head == len(r.lines) {
		r.lines, r.head = r.lines[:0], 0 // nothing to read again
	}
	start := r.head // where a failing record rewinds to
	r.rec, r.ends = r.rec[:0], r.ends[:0]
	b = r.utf8Line(b)
	i := 0
	for {
		if i < len(b) && b[i] == '"' {
			i++
			for {
				j := bytes.IndexByte(b[i:], '"')
				if j < 0 { // the quoted field goes on on the next line
					r.rec = append(append(r.rec, b[i:]...), '\n')
					nb, nline, nerr := r.continuation()
					if nerr == nil && (len(r.rec)+len(nb) > maxRecordBytes || nline-line >= maxRecordLines) {
						nerr = errLineTooLong
					}
					if nerr != nil {
						if nerr != io.EOF && nerr != errLineTooLong {
							return line, "", false, fmt.Errorf("reading line %d: %w", nline+1, nerr)
						}
						until := "the end of the file"
						if nerr == errLineTooLong {
							until = fmt.Sprintf("%d lines or 1 MiB", maxRecordLines)
						}
						r.head = start // read its other lines again
						return line, fmt.Sprintf("unterminated quoted field %d: the quote opened on line %d is not closed within %s", len(r.ends)+1, line, until), false, nil
					}
					b, i = r.utf8Line(nb), 0
					continue
				}
				r.rec = append(r.rec, b[i:i+j]...)
				i += j + 1
				if i < len(b) && b[i] == '"' {
					r.rec = append(r.rec, '"')
					i++
					continue
				}
				break
			}
			r.ends = append(r.ends, len(r.rec))
			if i == len(b) {
				break
			}
			if b[i] != r.sep {
				return line, fmt.Sprintf("text after the closing quote of field %d", len(r.ends)), false, nil
			}
			i++
			continue
		}
		j := bytes.IndexByte(b[i:], r.sep)
		if j < 0 {
			r.rec = append(r.rec, b[i:]...)
			r.ends = append(r.ends, len(r.rec))
			break
		}
		r.rec = append(r.rec, b[i:i+j]...)
		r.ends = append(r.ends, len(r.rec))
		i += j + 1
	}
	all := string(r.rec)
	r.fields = r.fields[:0]
	from := 0
	for _, e := range r.ends {
		r.fields = append(r.fields, all[from:e])
		from = e
	}
	return line, "", false, nil
}

// columnIndex finds name in header: an exact match, else the only
// case-insensitive one; -1 when absent or ambiguous.
func columnIndex(header []string, name string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	found := -1
	for i, h := range header {
		if strings.EqualFold(h, name) {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}

// delimited reads a delimited file with a header (sep ',' or '\t'). Like
// the other readers' errors, a header error does not name the source:
// Ingest wraps it as `reading source "<name>": ...`.
func (p *parser) delimited(lr *lineReader, sep byte) error {
	r := &csvReader{p: p, lr: lr, sep: sep}
	line, reason, done, err := r.next()
	if err != nil || done {
		return err // an empty file has no rows
	}
	if reason != "" {
		return fmt.Errorf("reading the header (line %d): %s", line, reason)
	}
	header := make([]string, len(r.fields))
	for i, f := range r.fields {
		header[i] = strings.TrimSpace(f)
	}
	find := func(flag, name string, required bool) (int, error) {
		if name == "" && !required {
			return -1, nil
		}
		i := columnIndex(header, name)
		if i < 0 {
			return -1, fmt.Errorf("column %q (--%s-column) is not in the header (line %d); the columns are %s",
				name, flag, line, quoteList(header))
		}
		return i, nil
	}
	cols := p.cols
	textCol, err := find("text", cols.TextColumn(), true)
	if err != nil {
		return err
	}
	labelCol, err := find("label", cols.Label, false)
	if err != nil {
		return err
	}
	idCol, err := find("id", cols.ID, false)
	if err != nil {
		return err
	}
	timeCol, err := find("time", cols.Time, false)
	if err != nil {
		return err
	}
	userCol, err := find("user", cols.User, false)
	if err != nil {
		return err
	}
	base := path.Base(p.name)
	for {
		line, reason, done, err := r.next()
		if err != nil || done {
			return err
		}
		if reason == "" && len(r.fields) != len(header) {
			reason = fmt.Sprintf("wrong field count: %d fields, the header has %d", len(r.fields), len(header))
		}
		if reason != "" {
			if err := p.badRow(line, "%s", reason); err != nil {
				return err
			}
			continue
		}
		if err := p.delimitedRow(line, base, r.fields, header, textCol, labelCol, idCol, timeCol, userCol); err != nil {
			return err
		}
	}
}

// delimitedRow maps one record with the right field count to a tweet.
func (p *parser) delimitedRow(line int, base string, f, header []string, textCol, labelCol, idCol, timeCol, userCol int) error {
	text := f[textCol]
	if strings.TrimSpace(text) == "" {
		return p.badRow(line, "empty text in column %q", header[textCol])
	}
	var id string
	if idCol >= 0 {
		if id = strings.TrimSpace(f[idCol]); id == "" {
			return p.badRow(line, "empty id in column %q", header[idCol])
		}
	} else {
		id = base + ":" + strconv.Itoa(line)
	}
	label := ""
	if labelCol >= 0 {
		if raw := strings.TrimSpace(f[labelCol]); raw != "" {
			var ok bool
			if label, ok = p.lm.Map(raw); !ok {
				return p.badRow(line, "column %q: %s", header[labelCol], p.lm.unknown(raw))
			}
		}
	}
	var created time.Time
	if timeCol >= 0 {
		var err error
		if created, err = ParseTime(f[timeCol]); err != nil {
			return p.badRow(line, "column %q: %v", header[timeCol], err)
		}
	}
	user := ""
	if userCol >= 0 {
		user = strings.TrimSpace(f[userCol])
	}
	p.t = dataset.Tweet{ID: id, CreatedAt: created, User: user, Text: text, Label: label, Source: p.source(line)}
	return p.emit(&p.t)
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// timeLayouts are the layouts ParseTime tries, in order, before the
// Twitter layout and unix time.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05 -0700",     // the Kaggle airline file's tweet_created
	"2006-01-02 15:04:05Z07:00",     // RFC 3339 with a space
	"2006-01-02 15:04:05.999999999", // no zone: UTC
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}

// ParseTime parses a time in the formats delimited files carry, to UTC:
// RFC 3339 ("2009-04-06T22:19:45Z"), "2015-02-24 11:35:52 -0800", the
// same without a zone or with a "T" (UTC), a date "2015-02-24",
// Twitter's "Mon Apr 06 22:19:45 +0000 2009" (or a zone abbreviation as
// Sentiment140 has), and unix time as an integer: seconds, or
// milliseconds when it has 12 or more digits (Twitter's timestamp_ms).
// Spaces around it are ignored; an empty string is the zero time.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if isDigits([]byte(s)) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err == nil && len(s) <= 16 {
			if len(s) >= 12 {
				return time.UnixMilli(n).UTC(), nil
			}
			return time.Unix(n, 0).UTC(), nil
		}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	if t, err := parseTwitterDate(s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("bad time %q: want RFC 3339 (2009-04-06T22:19:45Z), \"2015-02-24 11:35:52 -0800\", \"Mon Apr 06 22:19:45 +0000 2009\" or unix seconds", s)
}

// headerHas reports whether first, a line split at sep (fields trimmed of
// spaces and surrounding quotes), looks like a header with column col: a
// field equal to col in any case, and no all-digit field (empty fields
// are allowed: pandas writes an unnamed index column).
func headerHas(first []byte, sep byte, col string) bool {
	like, has := headerLike(first, sep, col)
	return like && has
}

// headerLike reports whether first looks like a header (no all-digit
// field) and whether it has column col.
func headerLike(first []byte, sep byte, col string) (like, has bool) {
	if len(bytes.TrimSpace(first)) == 0 {
		return false, false
	}
	for _, f := range bytes.Split(first, []byte{sep}) {
		f = bytes.TrimSpace(f)
		if len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' {
			f = bytes.TrimSpace(f[1 : len(f)-1])
		}
		if isDigits(f) {
			return false, false
		}
		if bytes.EqualFold(f, []byte(col)) {
			has = true
		}
	}
	return true, has
}

// headerMaps reports whether cols names a column besides the text column
// and the comma-separated header first has every column cols names: the
// user mapped this header explicitly.
func headerMaps(first []byte, cols Columns) bool {
	named := false
	for _, c := range []string{cols.Label, cols.ID, cols.Time, cols.User} {
		if c == "" {
			continue
		}
		named = true
		if !headerHas(first, ',', c) {
			return false
		}
	}
	return named && headerHas(first, ',', cols.TextColumn())
}
