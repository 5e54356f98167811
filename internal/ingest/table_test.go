package ingest

import (
	"context"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// sliceRows is a TableRows over values in memory ("\x00" is NULL).
type sliceRows struct {
	cols []string
	rows [][]string
	i    int
}

func (s *sliceRows) Columns() []string { return s.cols }
func (s *sliceRows) Close() error      { return nil }
func (s *sliceRows) Next(_ context.Context, dst []TableValue) ([]TableValue, bool, error) {
	if s.i >= len(s.rows) {
		return nil, false, nil
	}
	dst = dst[:0]
	for _, v := range s.rows[s.i] {
		dst = append(dst, TableValue{Text: v, Null: v == "\x00"})
	}
	s.i++
	return dst, true, nil
}

func TestReadTable(t *testing.T) {
	for _, c := range []struct {
		name    string
		cols    []string
		rows    [][]string
		columns Columns
		want    []string // "id|text|label|user|created" of good rows
		bad     []string // "row: reason" of bad rows
		err     string
	}{
		{name: "defaults", cols: []string{"ID", "text", "label", "created_at", "user_name", "other"},
			rows: [][]string{{"1", "hi", "positive", "2026-01-02T03:04:05Z", "ann", "x"}, {"2", "yo", "\x00", "\x00", "\x00", "y"}},
			want: []string{"1|hi|positive|ann|2026-01-02T03:04:05Z", "2|yo|||0001-01-01T00:00:00Z"}},
		{name: "no id column", cols: []string{"text"}, rows: [][]string{{"a"}, {"b"}},
			want: []string{"t:1|a|||0001-01-01T00:00:00Z", "t:2|b|||0001-01-01T00:00:00Z"}},
		{name: "mapped", cols: []string{"tid", "body", "who", "sentiment"}, columns: Columns{Text: "body", ID: "tid", User: "who", Label: "sentiment"},
			rows: [][]string{{"7", "x", "bob", "NEGATIVE"}}, want: []string{"7|x|negative|bob|0001-01-01T00:00:00Z"}},
		{name: "bad rows", cols: []string{"id", "text", "label", "created_at"},
			rows: [][]string{{"1", "\x00", "", ""}, {"2", "  ", "", ""}, {"\x00", "t", "", ""}, {"4", "t", "", "yesterday"}, {"5", "ok", "", ""}},
			want: []string{"5|ok|||0001-01-01T00:00:00Z"},
			bad:  []string{`1: NULL text in column "text"`, `2: empty text in column "text"`, `3: NULL id in column "id"`, `4: column "created_at": bad time "yesterday"`}},
		{name: "missing text", cols: []string{"id", "body"}, err: `column "text" (--text-column) is not in the result; the columns are "id", "body"`},
		{name: "missing named", cols: []string{"id", "text"}, columns: Columns{Label: "y"}, err: `column "y" (--label-column)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got, bad []string
			err := ReadTable(context.Background(), &sliceRows{cols: c.cols, rows: c.rows}, ReadOptions{Name: "t", Columns: c.columns},
				func(tw *dataset.Tweet) error {
					got = append(got, strings.Join([]string{tw.ID, tw.Text, tw.Label, tw.User, tw.CreatedAt.Format("2006-01-02T15:04:05Z07:00")}, "|"))
					return nil
				}, func(b BadRow) error {
					if !strings.HasPrefix(string(b.Raw), "{") {
						t.Errorf("bad row %d raw %q, want the row as JSON", b.Line, b.Raw)
					}
					bad = append(bad, strings.SplitN(b.Error(), "line ", 2)[1])
					return nil
				})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			for i := range c.bad {
				if i >= len(bad) || !strings.HasPrefix(bad[i], c.bad[i]) {
					t.Errorf("bad rows %q, want %q", bad, c.bad)
					break
				}
			}
			if len(bad) != len(c.bad) {
				t.Errorf("bad rows %q, want %q", bad, c.bad)
			}
		})
	}
}
