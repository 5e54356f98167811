package ingest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// realData is the shared data folder: shared/ beside the repository (as
// in CI and on developer machines), else /work/shared/data; tests that
// need it skip when neither exists.
var realData = func() string {
	for _, d := range []string{"../../../shared/data", "/work/shared/data"} {
		if st, err := os.Stat(filepath.Join(d, "semeval2017-task4a")); err == nil && st.IsDir() {
			abs, _ := filepath.Abs(d)
			return abs
		}
	}
	return "/work/shared/data"
}()

// countLines counts physical lines (a last line without "\n" counts).
func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := bytes.Count(b, []byte{'\n'})
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}

// TestRealFiles ingests every file of the shared data with format
// detection and checks rows out = records - bad rows, where records are the
// physical lines less the known multi-line record.
func TestRealFiles(t *testing.T) {
	if _, err := os.Stat(realData); err != nil {
		t.Skipf("no real data at %s", realData)
	}
	// The sentiment folders; other shared folders (ssp-ai-tweets) have their own tests.
	files, err := ExpandLocal([]string{filepath.Join(realData, "nltk-twitter-samples"),
		filepath.Join(realData, "semeval2017-task4a"), filepath.Join(realData, "sentiment140")})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 15 {
		t.Errorf("found %d data files, want 15 (11 semeval, 2 sentiment140, 2 nltk): %v", len(files), files)
	}
	// Records spanning two lines, found by looking at the files.
	multiLine := map[string]int{"twitter-2016test-A.txt": 1}
	wantFormat := map[string]Format{
		"nltk-twitter-samples": FormatNLTK, "semeval2017-task4a": FormatSemEval, "sentiment140": FormatSentiment140,
	}
	for _, f := range files {
		f := f
		t.Run(filepath.Base(f), func(t *testing.T) {
			var bad []BadRow
			labels := map[string]int{}
			ids := map[string]bool{}
			st, err := Ingest(context.Background(), LocalSources([]string{f}, FormatAuto, nil), func(tw *dataset.Tweet) error {
				labels[tw.Label]++
				if tw.ID == "" || tw.Text == "" || tw.Source == "" {
					t.Fatalf("incomplete row %+v", tw)
				}
				ids[tw.ID] = true
				return nil
			}, Options{MaxBadRows: -1, OnBadRow: func(b BadRow) { bad = append(bad, b) }})
			if err != nil {
				t.Fatal(err)
			}
			records := countLines(t, f) - multiLine[filepath.Base(f)]
			if st.RowsIn != int64(records) || st.RowsOut+st.BadRows != st.RowsIn {
				t.Errorf("rows in %d (out %d + bad %d), want %d records", st.RowsIn, st.RowsOut, st.BadRows, records)
			}
			if want := wantFormat[filepath.Base(filepath.Dir(f))]; st.Sources[0].Format != want {
				t.Errorf("detected %s, want %s", st.Sources[0].Format, want)
			}
			fi, _ := os.Stat(f)
			if st.BytesRead != fi.Size() {
				t.Errorf("bytes read %d, file size %d", st.BytesRead, fi.Size())
			}
			for _, b := range bad {
				t.Errorf("bad row: %v", b.Error()) // every shared file is clean under the documented rules
			}
			t.Logf("%s: %d rows, %d bad, %d unique ids, labels %v", st.Sources[0].Format, st.RowsOut, st.BadRows, len(ids), labels)
		})
	}
}

// TestRealSpotChecks checks decoded values of known rows of the real files.
func TestRealSpotChecks(t *testing.T) {
	if _, err := os.Stat(realData); err != nil {
		t.Skipf("no real data at %s", realData)
	}
	rows := func(rel string) map[string]dataset.Tweet {
		out := map[string]dataset.Tweet{}
		p := filepath.Join(realData, rel)
		_, err := Ingest(context.Background(), LocalSources([]string{p}, FormatAuto, nil), func(tw *dataset.Tweet) error {
			out[tw.Source[len(p)+1:]] = *tw // by line number
			return nil
		}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	s16 := rows("semeval2017-task4a/twitter-2016test-A.txt")
	s13 := rows("semeval2017-task4a/twitter-2013train-A.txt")
	s140 := rows("sentiment140/s140_subset10k_ArchanaBS-1233.csv")
	neg := rows("nltk-twitter-samples/negative_tweets.txt")
	for _, tc := range []struct {
		name string
		got  dataset.Tweet
		want func(dataset.Tweet) bool
	}{
		{"2016test record over two lines keeps its line break", s16["11064"], func(tw dataset.Tweet) bool {
			return tw.ID == "638435681832960000" && strings.HasPrefix(tw.Text, " @SkyNews: Kanye West") && strings.HasSuffix(tw.Text, "President!\n")
		}},
		{"2016test line 11066 is the record after it", s16["11066"], func(tw dataset.Tweet) bool { return tw.ID != "" && s16["11065"].ID == "" }},
		{"CSV quotes stripped", s16["1"], func(tw dataset.Tweet) bool {
			return strings.HasPrefix(tw.Text, "Picturehouse's, Pink Floyd's") && strings.HasSuffix(tw.Text, "look...")
		}},
		{"4th field date", s16["2719"], func(tw dataset.Tweet) bool {
			return tw.CreatedAt.Equal(time.Date(2015, 7, 29, 12, 1, 22, 0, time.UTC)) && strings.HasSuffix(tw.Text, "http://t.co/qZguV92V85")
		}},
		{"no date is zero", s16["1"], func(tw dataset.Tweet) bool { return tw.CreatedAt.IsZero() }},
		{"escapes decoded", s13["1"], func(tw dataset.Tweet) bool { return !strings.Contains(tw.Text, `\u`) }},
		{"s140 date to UTC", s140["1"], func(tw dataset.Tweet) bool {
			return tw.CreatedAt.Equal(time.Date(2009, 4, 7, 5, 19, 45, 0, time.UTC)) && tw.User == "_TheSpecialOne_" && tw.Label == "negative" && tw.ID == "1467810369"
		}},
		{"nltk CR becomes a space", neg["874"], func(tw dataset.Tweet) bool {
			return tw.Text == "@lukelegs69 that wouldn't be right :((" && tw.ID == "negative_tweets.txt:874"
		}},
	} {
		if !tc.want(tc.got) {
			t.Errorf("%s: got %+v", tc.name, tc.got)
		}
	}
	// every \u escape of twitter-2013train decodes: no "\u" left, and the
	// decoded file has as many commas/apostrophes as the escapes promised.
	raw, _ := os.ReadFile(filepath.Join(realData, "semeval2017-task4a/twitter-2013train-A.txt"))
	var apos int
	for _, tw := range s13 {
		apos += strings.Count(tw.Text, "\u2019")
		if strings.Contains(tw.Text, `\u`) {
			t.Errorf("undecoded escape in %s", tw.Source)
		}
	}
	if want := bytes.Count(raw, []byte(`\u2019`)) + bytes.Count(raw, []byte("\u2019")); apos != want {
		t.Errorf("%d U+2019 after decoding, want %d", apos, want)
	}
}
