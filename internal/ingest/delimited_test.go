package ingest

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// byodDir holds the bring-your-own-data fixtures.
const byodDir = "../../testdata/byod"

func readCols(t *testing.T, f Format, name, input string, cols Columns, lm *LabelMap) ([]dataset.Tweet, []BadRow, error) {
	t.Helper()
	var rows []dataset.Tweet
	var bad []BadRow
	err := Read(context.Background(), strings.NewReader(input), ReadOptions{Name: name, Format: f, LabelMap: lm, Columns: cols},
		func(tw *dataset.Tweet) error { rows = append(rows, *tw); return nil },
		func(b BadRow) error { bad = append(bad, b); return nil })
	return rows, bad, err
}

func TestDelimited(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	full := Columns{Text: "body", Label: "Sentiment", ID: "tid", Time: "when", User: "who"}
	tests := []struct {
		name   string
		format Format
		cols   Columns
		input  string
		want   []dataset.Tweet
	}{
		{"csv any column order, quoted, doubled quotes, multi-line", FormatCSV, full,
			"who,when,tid,sentiment,body\n" +
				`ann,2015-02-24 11:35:52 -0800,10,positive,"say ""hi"", then
go on
"` + "\n" +
				`"bob, jr",,11,,plain text` + "\n",
			[]dataset.Tweet{
				{ID: "10", CreatedAt: utc("2015-02-24T19:35:52Z"), User: "ann", Text: "say \"hi\", then\ngo on\n", Label: "positive", Source: "f.csv:2"},
				{ID: "11", User: "bob, jr", Text: "plain text", Source: "f.csv:5"},
			}},
		{"csv CRLF, BOM, blank lines, no id column", FormatCSV, Columns{Label: "label"},
			"\xef\xbb\xbftext,label\r\n\r\n\"two\r\nlines\",Negative\r\nx,\r\n",
			[]dataset.Tweet{
				{ID: "f.csv:3", Text: "two\nlines", Label: "negative", Source: "f.csv:3"},
				{ID: "f.csv:5", Text: "x", Source: "f.csv:5"},
			}},
		{"tsv with quotes and unix time", FormatTSV, Columns{Text: "TEXT", Time: "ts", ID: "id"},
			"id\tts\ttext\n1\t1428357585\t\"tab\tinside\"\n2\t1428357585123\ta \"bare\" quote\n",
			[]dataset.Tweet{
				{ID: "1", CreatedAt: time.Unix(1428357585, 0).UTC(), Text: "tab\tinside", Source: "f.csv:2"},
				{ID: "2", CreatedAt: time.UnixMilli(1428357585123).UTC(), Text: `a "bare" quote`, Source: "f.csv:3"},
			}},
		{"empty header field (pandas index) and twitter time", FormatAuto, Columns{Time: "created_at"},
			",created_at,text\n0,Mon Apr 06 22:19:45 +0000 2009,hello\n",
			[]dataset.Tweet{{ID: "f.csv:2", CreatedAt: utc("2009-04-06T22:19:45Z"), Text: "hello", Source: "f.csv:2"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, bad, err := readCols(t, tc.format, "f.csv", tc.input, tc.cols, nil)
			if err != nil || len(bad) != 0 {
				t.Fatalf("err %v, bad %v", err, bad)
			}
			if !reflect.DeepEqual(rows, tc.want) {
				t.Fatalf("rows\n%+v\nwant\n%+v", rows, tc.want)
			}
		})
	}
}

func TestDelimitedBadRows(t *testing.T) {
	head := "id,label,text,created\n"
	tests := []struct {
		name, input string
		line        int
		reason      string
		good        int
	}{
		{"field count", head + "1,positive,a\n2,positive,ok,\n", 2, "wrong field count: 3 fields, the header has 4", 1},
		{"empty text", head + "1,positive, ,\n2,positive,ok,\n", 2, `empty text in column "text"`, 1},
		{"empty id", head + " ,positive,x,\n2,positive,ok,\n", 2, `empty id in column "id"`, 1},
		{"bad time", head + "1,positive,x,yesterday\n2,positive,ok,\n", 2, `column "created": bad time "yesterday"`, 1},
		{"after closing quote", head + "1,positive,\"x\"y,\n2,positive,ok,\n", 2, "text after the closing quote of field 3", 1},
		{"multi-line record keeps its first line", head + "1,positive,ok,\n2,positive,\"a\nb\nc\",\n3,positive,x,later\n", 6, `bad time "later"`, 2},
		// The open quote runs to the end; its lines are read again as records.
		{"unterminated quote costs one row", head + "1,positive,\"open,\n2,positive,ok,\n3,positive,ok too,\n", 2,
			"unterminated quoted field 3: the quote opened on line 2 is not closed within the end of the file", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, bad, err := readCols(t, FormatCSV, "f.csv", tc.input, Columns{ID: "id", Label: "label", Time: "created"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(bad) != 1 || bad[0].Line != tc.line || bad[0].Source != "f.csv" || !strings.Contains(bad[0].Reason, tc.reason) {
				t.Fatalf("bad rows %+v, want one at line %d with %q", bad, tc.line, tc.reason)
			}
			if len(rows) != tc.good {
				t.Fatalf("%d good rows %+v, want %d", len(rows), rows, tc.good)
			}
		})
	}
}

func TestDelimitedUnknownColumn(t *testing.T) {
	in := "tweet_id,airline_sentiment,text\n1,positive,x\n"
	for _, tc := range []struct {
		cols Columns
		want string
	}{
		{Columns{Text: "tweet"}, `column "tweet" (--text-column) is not in the header (line 1); the columns are "tweet_id", "airline_sentiment", "text"`},
		{Columns{Label: "sentiment"}, `column "sentiment" (--label-column) is not in the header`},
		{Columns{ID: "id"}, `column "id" (--id-column)`},
		{Columns{Time: "tweet_created"}, `column "tweet_created" (--time-column)`},
		{Columns{User: "name"}, `column "name" (--user-column)`},
	} {
		_, _, err := readCols(t, FormatCSV, "data/a.csv", in, tc.cols, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.cols, err, tc.want)
		}
	}
	// Through Ingest the error names the source and fails the stage.
	src := []Source{{Name: "a.csv", Columns: Columns{Text: "tweet"}, Open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(in)), nil
	}}}
	_, err := Ingest(context.Background(), src, func(*dataset.Tweet) error { return nil }, Options{})
	if err == nil || !strings.HasPrefix(err.Error(), `reading source "a.csv": column "tweet" (--text-column) is not in the header`) {
		t.Fatalf("Ingest error %v", err)
	}
	// A header-only file has no rows; an empty one neither.
	for _, in := range []string{"text,label\n", ""} {
		rows, bad, err := readCols(t, FormatCSV, "a.csv", in, Columns{}, nil)
		if err != nil || len(rows)+len(bad) != 0 {
			t.Errorf("%q: rows %v bad %v err %v", in, rows, bad, err)
		}
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2015, 2, 24, 19, 35, 52, 0, time.UTC)
	for _, s := range []string{
		"2015-02-24T19:35:52Z", "2015-02-24T11:35:52-08:00", "2015-02-24 11:35:52 -0800", " 2015-02-24 19:35:52 ",
		"2015-02-24T19:35:52", "2015-02-24 11:35:52-08:00", "Tue Feb 24 19:35:52 +0000 2015", "Tue Feb 24 11:35:52 PST 2015",
		"1424806552", "1424806552000",
	} {
		got, err := ParseTime(s)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if got, err := ParseTime("2015-02-24"); err != nil || !got.Equal(time.Date(2015, 2, 24, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date: %v %v", got, err)
	}
	if got, err := ParseTime(""); err != nil || !got.IsZero() {
		t.Errorf("empty: %v %v", got, err)
	}
	for _, s := range []string{"yesterday", "2015-02-30 10:00:00", "12345678901234567890", "Tue Feb 24 19:35:52 XYZ 2015"} {
		if _, err := ParseTime(s); err == nil || !strings.Contains(err.Error(), "bad time") {
			t.Errorf("ParseTime(%q) error %v", s, err)
		}
	}
}

func TestDetectFormatColumns(t *testing.T) {
	tests := []struct {
		name, head string
		cols       Columns
		want       Format
	}{
		{"a.csv", "tweet_id,airline_sentiment,text\n", Columns{}, FormatCSV},
		{"a.csv", "\xef\xbb\xbf\"id\",\"Text\"\n", Columns{}, FormatCSV},
		{"a.csv", "tweet_id,body\n", Columns{Text: "body"}, FormatCSV},
		{"a.csv", "tweet_id,body\n", Columns{}, FormatCSV}, // a header without the text column: reading names it
		{"a.csv", "0,1,x\n", Columns{}, FormatSentiment140},
		{"data", "tweet_id,body\n", Columns{}, ""}, // by content only a header with the text column
		{"a.csv", `"0","1","Mon Apr 06 22:19:45 PDT 2009","NO_QUERY","u","text"` + "\n", Columns{}, FormatSentiment140},
		{"a.tsv", "id\tlabel\ttext\n", Columns{}, FormatTSV},
		{"a.tsv", "123\tneutral\ttext\n", Columns{}, FormatSemEval},
		{"data", "text,label\n", Columns{}, FormatCSV},
		{"data", "id\ttext\n", Columns{}, FormatTSV},
		{"data", "hello there\tpositive\n", Columns{}, FormatNLTK},
		{"data", "12\tpositive\ttext\n", Columns{}, FormatSemEval},
	}
	for _, tc := range tests {
		got, err := DetectFormatColumns(tc.name, []byte(tc.head), tc.cols)
		if tc.want == "" && err != nil {
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("DetectFormatColumns(%q, %q, %+v) = %s, %v; want %s", tc.name, tc.head, tc.cols, got, err, tc.want)
		}
	}
}

// TestAirlineFixture ingests the Kaggle-airline-shaped fixture as a new
// user would and checks every row against encoding/csv's reading of the
// same file (records, fields and start lines).
func TestAirlineFixture(t *testing.T) {
	path := filepath.Join(byodDir, "airline_tweets.csv")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cols := Columns{Text: "text", Label: "airline_sentiment", ID: "tweet_id", Time: "tweet_created", User: "name"}
	st, err := Ingest(context.Background(), []Source{{Name: path, Columns: cols, Open: func() (io.ReadCloser, error) { return os.Open(path) }}},
		func(*dataset.Tweet) error { return nil }, Options{})
	if err != nil || st.Sources[0].Format != FormatCSV || st.BadRows != 0 {
		t.Fatalf("ingest: %v, stats %+v", err, st)
	}
	rows, bad, err := readCols(t, FormatAuto, path, string(data), cols, nil)
	if err != nil || len(bad) != 0 {
		t.Fatalf("err %v bad %v", err, bad)
	}
	ref := csv.NewReader(bytes.NewReader(data))
	header, err := ref.Read()
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{}
	for i, h := range header {
		idx[h] = i
	}
	var want []dataset.Tweet
	multi := 0
	for {
		rec, err := ref.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		line, _ := ref.FieldPos(0)
		created, err := time.Parse("2006-01-02 15:04:05 -0700", rec[idx["tweet_created"]])
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(rec[idx["text"]], "\n") {
			multi++
		}
		want = append(want, dataset.Tweet{ID: rec[idx["tweet_id"]], CreatedAt: created.UTC(), User: rec[idx["name"]],
			Text: rec[idx["text"]], Label: rec[idx["airline_sentiment"]], Source: path + ":" + itoa(line)})
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows differ from encoding/csv:\n%+v\nwant\n%+v", rows, want)
	}
	labels := map[string]int{}
	for _, r := range rows {
		labels[r.Label]++
	}
	if len(rows) < 30 || multi < 2 || len(labels) != 3 {
		t.Fatalf("fixture too small: %d rows, %d multi-line, labels %v", len(rows), multi, labels)
	}
	t.Logf("%d rows (%d multi-line texts), labels %v", len(rows), multi, labels)

	// Without --label-column the same file is unlabeled input.
	rows, bad, err = readCols(t, FormatAuto, path, string(data), Columns{ID: "tweet_id"}, nil)
	if err != nil || len(bad) != 0 || len(rows) != len(want) {
		t.Fatalf("unlabeled: %d rows, bad %v, err %v", len(rows), bad, err)
	}
	for _, r := range rows {
		if r.Label != "" {
			t.Fatalf("unlabeled read has label %q", r.Label)
		}
	}
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

// csvRecords reads input with csvReader: the start line, fields and
// reason of every record.
type csvRec struct {
	line   int
	fields []string
	reason string
}

func csvRecords(input []byte, sep byte) ([]csvRec, error) {
	p := &parser{ctx: context.Background()}
	r := &csvReader{p: p, lr: newLineReader(bufioReader(input)), sep: sep}
	var out []csvRec
	for {
		line, reason, done, err := r.next()
		if err != nil || done {
			return out, err
		}
		rec := csvRec{line: line, reason: reason}
		if reason == "" {
			rec.fields = append([]string{}, r.fields...)
		}
		out = append(out, rec)
	}
}

// FuzzDelimited runs arbitrary input through the header-CSV reader (it
// must not fail or panic, and start lines must increase) and, when
// encoding/csv reads the input without error and the input has none of
// the cases where the two differ by design (CR, blank lines of spaces,
// invalid UTF-8, a BOM), compares records, fields and start lines.
// go test -run '^$' -fuzz FuzzDelimited -fuzztime 3m ./internal/ingest/
func FuzzDelimited(f *testing.F) {
	f.Add([]byte("a,b,text\n1,\"x\ny\",\"q\"\"q\"\n\n2,,z\n"), false)
	f.Add([]byte("id\ttext\n1\t\"tab\there\"\n"), true)
	f.Add([]byte("text\n\"open\nnext\n"), false)
	f.Add([]byte("text\n\"x\"y\n"), false)
	if data, err := os.ReadFile(filepath.Join(byodDir, "airline_tweets.csv")); err == nil {
		f.Add(data, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, tab bool) {
		sep := byte(',')
		if tab {
			sep = '\t'
		}
		recs, err := csvRecords(data, sep)
		if err != nil {
			t.Fatalf("error %v", err)
		}
		last := 0
		for _, r := range recs {
			if r.line <= last {
				t.Fatalf("record lines not increasing: %+v", recs)
			}
			last = r.line
		}
		// Read as a whole must not fail either (bad rows are fine).
		err = Read(context.Background(), bytes.NewReader(data), ReadOptions{Name: "f", Format: FormatCSV, Columns: Columns{Text: "text"}},
			func(*dataset.Tweet) error { return nil }, func(BadRow) error { return nil })
		if err != nil && !strings.Contains(err.Error(), "is not in the header") && !strings.Contains(err.Error(), "reading the header") {
			t.Fatalf("Read: %v", err)
		}
		if bytes.ContainsAny(data, "\r") || !utf8.Valid(data) || bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) || len(data) > 1<<16 {
			return
		}
		for _, l := range bytes.Split(data, []byte{'\n'}) {
			if len(l) > 0 && isBlank(l) {
				return
			}
		}
		ref := csv.NewReader(bytes.NewReader(data))
		ref.Comma = rune(sep)
		ref.FieldsPerRecord = -1
		var want []csvRec
		for {
			rec, err := ref.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return // not RFC 4180 for encoding/csv: no reference
			}
			line, _ := ref.FieldPos(0)
			want = append(want, csvRec{line: line, fields: rec})
		}
		if len(want) == 0 && len(recs) == 0 {
			return
		}
		if !reflect.DeepEqual(recs, want) {
			t.Fatalf("records differ on %q\ngot  %+v\nwant %+v", data, recs, want)
		}
	})
}

// TestDelimitedStrayQuotes: a quote that never closes costs its record
// only; the lines it swallowed are read again. The scan stops after
// maxRecordLines lines (those lines have no quote, so they are read again
// without a scan of their own: a stray quote costs at most twice the work).
func TestDelimitedStrayQuotes(t *testing.T) {
	for _, n := range []int{10, 1500} {
		var b strings.Builder
		b.WriteString("id,text\n1,\"open\n")
		for i := 0; i < n; i++ {
			b.WriteString("2,plain\n")
		}
		rows, bad, err := readCols(t, FormatCSV, "q.csv", b.String(), Columns{ID: "id"}, nil)
		if err != nil || len(rows) != n || len(bad) != 1 || bad[0].Line != 2 {
			t.Fatalf("n=%d: err %v, %d rows, bad %+v", n, err, len(rows), bad)
		}
		want := "not closed within the end of the file"
		if n > maxRecordLines {
			want = "not closed within 1000 lines or 1 MiB"
		}
		if !strings.Contains(bad[0].Reason, want) || rows[0].Source != "q.csv:3" || rows[n-1].Source != "q.csv:"+itoa(n+2) {
			t.Errorf("n=%d: bad %+v, rows %v ... %v", n, bad[0], rows[0].Source, rows[n-1].Source)
		}
	}
}

// The general formats keep any label as written by default; the sentiment
// datasets' formats, and any explicit map without "*", reject unknown ones.
func TestDefaultLabelMapPerFormat(t *testing.T) {
	strict, err := ParseLabelMap("pos->positive,neg->negative")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		format    Format
		lm        *LabelMap
		raw, want string
		ok        bool
	}{
		{FormatJSONL, nil, "AI", "AI", true},
		{FormatCSV, nil, "joy", "joy", true},
		{FormatTSV, nil, "OTHER", "OTHER", true},
		{FormatParquet, nil, "anger", "anger", true},
		{FormatJSONL, nil, "Positive", "positive", true}, // sentiment words are normalised
		{FormatCSV, nil, " NEGATIVE ", "negative", true},
		{FormatSemEval, nil, "objective", "", false},
		{FormatNLTK, nil, "AI", "", false},
		{FormatSentiment140, nil, "1", "", false},
		{FormatSentiment140, nil, "4", "positive", true},
		{FormatCSV, strict, "AI", "", false},
		{FormatCSV, strict, "pos", "positive", true},
	} {
		lm := tc.lm
		if lm == nil {
			lm = DefaultLabelMap(tc.format)
		}
		got, ok := lm.Map(tc.raw)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s map %v: %q -> %q, %v; want %q, %v", tc.format, tc.lm != nil, tc.raw, got, ok, tc.want, tc.ok)
		}
	}
	// Through a CSV file: an explicit strict map still makes an unknown
	// label a bad row naming its column and line.
	_, bad, err := readCols(t, FormatCSV, "f.csv", "id,label,text\n1,AI,x\n2,pos,ok\n", Columns{ID: "id", Label: "label"}, strict)
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) != 1 || bad[0].Line != 2 || !strings.Contains(bad[0].Reason, `column "label": unknown label "AI"`) {
		t.Errorf("bad rows %+v", bad)
	}
}
