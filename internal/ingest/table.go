package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// FormatTable is the format of a Source read through OpenTable (a
// database table or query result). It is not a --format value: a source
// is a table by its URI.
const FormatTable Format = "table"

// Default columns of a table source: a Columns field left empty maps to
// its default column when the table has it (matched as header names
// are), else the field is unset (for the text column: an error).
const (
	DefaultIDColumn    = "id"
	DefaultLabelColumn = "label"
	DefaultTimeColumn  = "created_at"
)

// DefaultUserColumns are tried in order for the user of a table row:
// "user" is a reserved word in SQL, so tables call it user_name.
var DefaultUserColumns = []string{"user_name", "user"}

// TableValue is one value of a table row: its text, or Null.
type TableValue struct {
	Text string
	Null bool
}

// TableRows is an opened table or query result, read forward once. Its
// values come as text (the opener renders times as RFC 3339 in UTC).
type TableRows interface {
	// Columns names the columns, in the order of the values of Next.
	Columns() []string
	// Next reads the next row into dst (reusing its capacity), one value
	// per column; ok is false at the end.
	Next(ctx context.Context, dst []TableValue) (row []TableValue, ok bool, err error)
	Close() error
}

// readTable maps the rows of a table to tweets with the parser's columns
// and label map. A row's line is its 1-based position in the result.
func (p *parser) readTable(rows TableRows) error {
	header := rows.Columns()
	find := func(flag, name string, defaults ...string) (int, error) {
		if name != "" {
			i := columnIndex(header, name)
			if i < 0 {
				return -1, fmt.Errorf("column %q (--%s-column) is not in the result; the columns are %s", name, flag, quoteList(header))
			}
			return i, nil
		}
		for _, d := range defaults {
			if i := columnIndex(header, d); i >= 0 {
				return i, nil
			}
		}
		return -1, nil
	}
	cols := p.cols
	textCol, err := find("text", cols.TextColumn())
	if err != nil {
		return err
	}
	labelCol, err := find("label", cols.Label, DefaultLabelColumn)
	if err != nil {
		return err
	}
	idCol, err := find("id", cols.ID, DefaultIDColumn)
	if err != nil {
		return err
	}
	timeCol, err := find("time", cols.Time, DefaultTimeColumn)
	if err != nil {
		return err
	}
	userCol, err := find("user", cols.User, DefaultUserColumns...)
	if err != nil {
		return err
	}
	var vals []TableValue
	for line := 1; ; line++ {
		var ok bool
		if vals, ok, err = rows.Next(p.ctx, vals); err != nil {
			return fmt.Errorf("reading row %d: %w", line, err)
		}
		if !ok {
			return nil
		}
		if err := p.tick(); err != nil {
			return err
		}
		if len(vals) != len(header) {
			return fmt.Errorf("reading row %d: %d values for %d columns", line, len(vals), len(header))
		}
		p.cur = nil
		if err := p.tableRow(line, header, vals, textCol, labelCol, idCol, timeCol, userCol); err != nil {
			return err
		}
	}
}

// tableRow maps one row to a tweet, or reports it as a bad row (its Raw
// is the row as a JSON object).
func (p *parser) tableRow(line int, header []string, v []TableValue, textCol, labelCol, idCol, timeCol, userCol int) error {
	bad := func(format string, args ...any) error {
		p.cur = rowJSON(header, v)
		return p.badRow(line, format, args...)
	}
	text := v[textCol]
	switch {
	case text.Null:
		return bad("NULL text in column %q", header[textCol])
	case strings.TrimSpace(text.Text) == "":
		return bad("empty text in column %q", header[textCol])
	}
	var id string
	if idCol >= 0 {
		if v[idCol].Null {
			return bad("NULL id in column %q", header[idCol])
		}
		if id = strings.TrimSpace(v[idCol].Text); id == "" {
			return bad("empty id in column %q", header[idCol])
		}
	} else {
		id = p.name + ":" + strconv.Itoa(line)
	}
	label := ""
	if labelCol >= 0 && !v[labelCol].Null {
		if raw := strings.TrimSpace(v[labelCol].Text); raw != "" {
			var ok bool
			if label, ok = p.lm.Map(raw); !ok {
				return bad("column %q: %s", header[labelCol], p.lm.unknown(raw))
			}
		}
	}
	var created time.Time
	if timeCol >= 0 && !v[timeCol].Null {
		var err error
		if created, err = ParseTime(v[timeCol].Text); err != nil {
			return bad("column %q: %v", header[timeCol], err)
		}
	}
	user := ""
	if userCol >= 0 && !v[userCol].Null {
		user = strings.TrimSpace(v[userCol].Text)
	}
	p.t = dataset.Tweet{ID: id, CreatedAt: created, User: user, Text: text.Text, Label: label, Source: p.source(line)}
	return p.emit(&p.t)
}

// rowJSON renders a row as a JSON object (NULL as null), for BadRow.Raw.
func rowJSON(header []string, v []TableValue) []byte {
	b := []byte{'{'}
	for i, h := range header {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(h)
		b = append(append(b, k...), ':')
		if v[i].Null {
			b = append(b, "null"...)
			continue
		}
		s, _ := json.Marshal(v[i].Text)
		b = append(b, s...)
	}
	return append(b, '}')
}

// ReadTable reads an opened table like Read reads a stream: each good row
// goes to emit, each bad row (a NULL or empty text or id, a label outside
// the label map, a bad time) to bad, with its 1-based row number. The
// columns come from opts.Columns; a field left empty takes its default
// column when the result has it (id, label, created_at, user_name or
// user; text is required), a named column that is missing is an error
// listing the columns. Without an id column a row's id is
// "<name>:<row>". opts.Format is ignored; opts.LabelMap nil keeps labels
// (sentiment names normalised) as CSV does.
func ReadTable(ctx context.Context, rows TableRows, opts ReadOptions, emit func(*dataset.Tweet) error, bad func(BadRow) error) error {
	lm := opts.LabelMap
	if lm == nil {
		lm = DefaultLabelMap(FormatCSV)
	}
	p := &parser{ctx: ctx, name: opts.Name, lm: lm, cols: opts.Columns, emit: emit, bad: bad}
	return p.readTable(rows)
}
