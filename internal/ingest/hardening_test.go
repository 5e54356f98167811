package ingest

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// A read error during format detection is a read error, not "format not
// recognised" (issue 11, defect 6).
func TestDetectionSurfacesReadErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    func() io.Reader
	}{
		{"fails at once", func() io.Reader { return iotest.ErrReader(syscall.EIO) }},
		{"fails after some bytes", func() io.Reader {
			return io.MultiReader(strings.NewReader("1\tpositive\tgood"), iotest.ErrReader(syscall.EIO))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Read(context.Background(), tc.r(), ReadOptions{Name: "broken.dat"},
				func(*dataset.Tweet) error { return nil }, func(BadRow) error { return nil })
			if !errors.Is(err, syscall.EIO) || strings.Contains(err.Error(), "not recognised") || !strings.Contains(err.Error(), `"broken.dat"`) {
				t.Errorf("Read: %v, want a read error naming the file and wrapping EIO", err)
			}
			src := Source{Name: "broken.dat", Open: func() (io.ReadCloser, error) { return io.NopCloser(tc.r()), nil }}
			_, err = Ingest(context.Background(), []Source{src}, func(*dataset.Tweet) error { return nil }, Options{MaxBadRows: -1})
			if !errors.Is(err, syscall.EIO) || strings.Contains(err.Error(), "not recognised") || !strings.Contains(err.Error(), `reading source "broken.dat"`) {
				t.Errorf("Ingest: %v, want a read error naming the file and wrapping EIO", err)
			}
		})
	}
}

// A leading UTF-8 byte order mark changes nothing, whatever the format and
// however it is chosen (issue 11, defect 7).
func TestBOMEveryFormat(t *testing.T) {
	const bom = "\xef\xbb\xbf"
	for _, tc := range []struct {
		name, body string
		format     Format
		cols       Columns
	}{
		{"a.tsv", "id\ttext\tlabel\n1\thello there\tpositive\n2\tawful\tnegative\n", FormatAuto, Columns{Label: "label", ID: "id"}},
		{"a.tsv", "id\ttext\tlabel\r\n1\thello there\tpositive\r\n", FormatTSV, Columns{Label: "label", ID: "id"}},
		{"h.tsv", "text\tlabel\nhello\tpositive\n", FormatAuto, Columns{}},
		{"s.tsv", "123\tpositive\thello world\n", FormatAuto, Columns{}},
		{"s.txt", "123\tpositive\thello world\n", FormatSemEval, Columns{}},
		{"n.tsv", "hello world\tpositive\n", FormatAuto, Columns{}},
		{"n.tsv", "hello world\tpositive\n", FormatNLTK, Columns{}},
		{"a.csv", "id,text,label\n1,hello,positive\n", FormatAuto, Columns{Label: "label", ID: "id"}},
		{"a.csv", "id,text,label\n1,hello,positive\n", FormatCSV, Columns{Label: "label", ID: "id"}},
		{"s.csv", s140Good, FormatAuto, Columns{}},
		{"s.csv", s140Good, FormatSentiment140, Columns{}},
		{"noext", s140Good, FormatAuto, Columns{}},
		{"a.jsonl", `{"id":"1","text":"hi","label":"positive"}` + "\n", FormatAuto, Columns{}},
		{"noext", `{"id":"1","text":"hi","label":"positive"}` + "\n", FormatAuto, Columns{}},
		{"a.jsonl", `{"id":"1","text":"hi","label":"positive"}` + "\n", FormatJSONL, Columns{}},
	} {
		t.Run(tc.name+"/"+string(tc.format), func(t *testing.T) {
			read := func(body string) ([]dataset.Tweet, []BadRow, Format) {
				var rows []dataset.Tweet
				var bad []BadRow
				src := Source{Name: tc.name, Format: tc.format, Columns: tc.cols,
					Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }}
				st, err := Ingest(context.Background(), []Source{src}, func(tw *dataset.Tweet) error { rows = append(rows, *tw); return nil },
					Options{MaxBadRows: -1, OnBadRow: func(b BadRow) { bad = append(bad, b) }})
				if err != nil {
					t.Fatalf("Ingest: %v", err)
				}
				return rows, bad, st.Sources[0].Format
			}
			want, wantBad, wantF := read(tc.body)
			got, gotBad, gotF := read(bom + tc.body)
			if len(want) == 0 || len(wantBad) != 0 {
				t.Fatalf("without a BOM: rows %v, bad %v", want, wantBad)
			}
			if gotF != wantF || len(gotBad) != 0 || len(got) != len(want) {
				t.Fatalf("with a BOM: format %s rows %v bad %v; without: format %s rows %v", gotF, got, gotBad, wantF, want)
			}
			for i := range got {
				if got[i].ID != want[i].ID || got[i].Text != want[i].Text || got[i].Label != want[i].Label {
					t.Errorf("row %d with a BOM %+v, without %+v", i, got[i], want[i])
				}
			}
		})
	}
}

// FIFOs and other special files are refused up front, and opening one
// never blocks (issue 11, defect 5).
func TestFIFORefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "tweets.jsonl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan struct{})
	var expandErr, openErr error
	go func() {
		defer close(done)
		_, expandErr = ExpandLocal([]string{fifo})
		var f *os.File
		if f, openErr = OpenRegular(fifo); f != nil {
			f.Close()
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		// Unblock the goroutine so the test can end.
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("expanding or opening a FIFO blocked")
	}
	for name, err := range map[string]error{"ExpandLocal": expandErr, "OpenRegular": openErr} {
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "named pipe (FIFO)") || !strings.Contains(err.Error(), fifo) {
			t.Errorf("%s: %v, want a not-a-regular-file error naming the FIFO", name, err)
		}
	}
	// The ingest of a source opened through LocalSources fails the same way.
	_, err := Ingest(context.Background(), LocalSources([]string{fifo}, FormatAuto, nil), func(*dataset.Tweet) error { return nil }, Options{})
	if !errors.Is(err, ErrNotRegular) {
		t.Errorf("Ingest: %v, want ErrNotRegular", err)
	}
}

// A symbolic link loop names itself.
func TestSymlinkLoopMessage(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	if err := os.Symlink(b, a); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(a, b); err != nil {
		t.Fatal(err)
	}
	_, err := ExpandLocal([]string{a})
	if !errors.Is(err, syscall.ELOOP) || !strings.Contains(err.Error(), "symbolic link loop") || !strings.Contains(err.Error(), a) {
		t.Errorf("ExpandLocal: %v", err)
	}
	_, err = OpenRegular(a)
	if !errors.Is(err, syscall.ELOOP) || !strings.Contains(err.Error(), "symbolic link loop") {
		t.Errorf("OpenRegular: %v", err)
	}
}

// A Sentiment140 header line is detected and skipped, not a bad row
// (issue 11, defect 9).
func TestSentiment140Header(t *testing.T) {
	row2 := `"0","1467810369","Mon Apr 06 22:19:45 PDT 2009","NO_QUERY","u","is upset"` + "\n"
	for _, header := range []string{
		`"polarity","id","date","query","user","text"` + "\n",
		"polarity,id,date,query,user,text\r\n",
		"target,ids,date,flag,user,text\n",
	} {
		for _, f := range []Format{FormatSentiment140, FormatAuto} {
			for _, name := range []string{"s140.csv", "s140"} {
				var rows []dataset.Tweet
				var bad []BadRow
				src := Source{Name: name, Format: f, Open: func() (io.ReadCloser, error) {
					return io.NopCloser(strings.NewReader(header + s140Good + row2)), nil
				}}
				st, err := Ingest(context.Background(), []Source{src}, func(tw *dataset.Tweet) error { rows = append(rows, *tw); return nil },
					Options{MaxBadRows: -1, OnBadRow: func(b BadRow) { bad = append(bad, b) }})
				if err != nil {
					t.Fatalf("%q %s %s: %v", header, f, name, err)
				}
				if st.Sources[0].Format != FormatSentiment140 || len(bad) != 0 || len(rows) != 2 ||
					rows[0].Label != "positive" || rows[1].Label != "negative" || rows[1].Source != name+":3" {
					t.Errorf("%q %s %s: format %s rows %+v bad %v", header, f, name, st.Sources[0].Format, rows, bad)
				}
			}
		}
	}
	// Only the first line can be a header.
	var bad []BadRow
	_ = Read(context.Background(), strings.NewReader(s140Good+"polarity,id,date,query,user,text\n"), ReadOptions{Name: "x", Format: FormatSentiment140},
		func(*dataset.Tweet) error { return nil }, func(b BadRow) error { bad = append(bad, b); return nil })
	if len(bad) != 1 || bad[0].Line != 2 {
		t.Errorf("a header-like line 2: bad rows %v, want line 2", bad)
	}
}

// An explicit column mapping that the Sentiment140 header satisfies wins:
// the file is then read as CSV.
func TestSentiment140HeaderColumns(t *testing.T) {
	head := []byte("polarity,id,date,query,user,text\n")
	for _, tc := range []struct {
		cols Columns
		want Format
	}{
		{Columns{}, FormatSentiment140},
		{Columns{Label: "label", ID: "id"}, FormatSentiment140},
		{Columns{Label: "polarity"}, FormatCSV},
	} {
		if f, err := DetectFormatColumns("x.csv", head, tc.cols); err != nil || f != tc.want {
			t.Errorf("%+v: %s %v, want %s", tc.cols, f, err, tc.want)
		}
	}
}

// FuzzBOMInvariant: with auto detection, a leading byte order mark never
// changes the detected format, the rows or the bad rows (defect 7), and
// no input makes the readers panic.
func FuzzBOMInvariant(f *testing.F) {
	for _, s := range []string{
		"id\ttext\tlabel\n1\thello\tpositive\n", "123\tpositive\thello\n", "hello\tpositive\n",
		"id,text\n1,hi\n", s140Good, `{"id":"1","text":"hi","label":"positive"}` + "\n",
		"polarity,id,date,query,user,text\n" + s140Good, "\x89PNG\r\n\x1a\n\x00\x00", "",
	} {
		f.Add(s, "x.tsv")
		f.Add(s, "x")
	}
	f.Fuzz(func(t *testing.T, body, name string) {
		if strings.HasPrefix(body, "\xef\xbb\xbf") || strings.HasSuffix(name, ".parquet") || strings.HasPrefix(body, "PAR1") {
			return
		}
		read := func(b string) (string, error) {
			var out strings.Builder
			src := Source{Name: name, LabelMap: mustLabelMap(t, "*"), Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(b)), nil }}
			st, err := Ingest(context.Background(), []Source{src}, func(tw *dataset.Tweet) error {
				out.WriteString(tw.ID + "\x1f" + tw.Text + "\x1f" + tw.Label + "\x1f" + tw.Source + "\n")
				return nil
			}, Options{MaxBadRows: -1, OnBadRow: func(b BadRow) { out.WriteString(b.Error() + "\n") }})
			if len(st.Sources) > 0 {
				out.WriteString(string(st.Sources[0].Format))
			}
			return out.String(), err
		}
		want, werr := read(body)
		got, gerr := read("\xef\xbb\xbf" + body)
		if (werr == nil) != (gerr == nil) || got != want {
			t.Errorf("with a BOM:\n%s (%v)\nwithout:\n%s (%v)", got, gerr, want, werr)
		}
	})
}

func mustLabelMap(t *testing.T, spec string) *LabelMap {
	lm, err := ParseLabelMap(spec)
	if err != nil {
		t.Fatal(err)
	}
	return lm
}
