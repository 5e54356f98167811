package ingest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/dataset"
)

func readString(t *testing.T, f Format, name, input string, lm *LabelMap) ([]dataset.Tweet, []BadRow) {
	t.Helper()
	var rows []dataset.Tweet
	var bad []BadRow
	err := Read(context.Background(), strings.NewReader(input), ReadOptions{Name: name, Format: f, LabelMap: lm},
		func(tw *dataset.Tweet) error { rows = append(rows, *tw); return nil },
		func(b BadRow) error { bad = append(bad, b); return nil })
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return rows, bad
}

// badCase is one input whose only row is bad, with a reason substring.
type badCase struct {
	name, input, reason string
	line                int
}

func checkBad(t *testing.T, f Format, cases []badCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, bad := readString(t, f, "in", tc.input, nil)
			if len(bad) != 1 {
				t.Fatalf("bad rows %v (rows %v), want 1", bad, rows)
			}
			if !strings.Contains(bad[0].Reason, tc.reason) || bad[0].Line != tc.line || bad[0].Source != "in" {
				t.Errorf("bad row %+v, want line %d reason containing %q", bad[0], tc.line, tc.reason)
			}
			if len(rows) != strings.Count(tc.input, "\n")-1 && !strings.Contains(tc.name, "multi") {
				t.Errorf("%d good rows from %q", len(rows), tc.input)
			}
		})
	}
}

const s140Good = `"4","2193602064","Tue Jun 16 08:40:49 PDT 2009","NO_QUERY","tiny","Happy 38th ""Birthday"", you"` + "\n"

func TestSentiment140(t *testing.T) {
	rows, bad := readString(t, FormatSentiment140, "a.csv", s140Good+
		"\"0\",\"1\",\"Mon Apr 06 22:19:45 PDT 2009\",\"q, with comma\",\"u\",\"caf\xe9 \x93quoted\x94 \x80\"\r\n"+ // cp1252
		"\"2\",\"2\",\"Mon Apr 06 22:19:45 +0100 2009\",\"q\",\"u\",\"already UTF-8: café 😀\"\n"+
		"\"0\",\"3\",\"\",\"q\",\"\",\"stray \"quote\" inside\"\n"+
		"\n", nil)
	if len(bad) != 0 {
		t.Fatalf("bad rows %v", bad)
	}
	want := []dataset.Tweet{
		{ID: "2193602064", CreatedAt: time.Date(2009, 6, 16, 15, 40, 49, 0, time.UTC), User: "tiny", Text: `Happy 38th "Birthday", you`, Label: "positive", Source: "a.csv:1"},
		{ID: "1", CreatedAt: time.Date(2009, 4, 7, 5, 19, 45, 0, time.UTC), User: "u", Text: "café “quoted” €", Label: "negative", Source: "a.csv:2"},
		{ID: "2", CreatedAt: time.Date(2009, 4, 6, 21, 19, 45, 0, time.UTC), User: "u", Text: "already UTF-8: café 😀", Label: "neutral", Source: "a.csv:3"},
		{ID: "3", Text: `stray "quote" inside`, Label: "negative", Source: "a.csv:4"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows:\n%+v\nwant\n%+v", rows, want)
	}
	checkBad(t, FormatSentiment140, []badCase{
		{"too few fields", s140Good + `"0","1","Mon Apr 06 22:19:45 PDT 2009","q","text"` + "\n", "wrong field count: 5", 2},
		{"too many fields", s140Good + `"0","1","Mon Apr 06 22:19:45 PDT 2009","q","u","t","x"` + "\n", "wrong field count", 2},
		{"bad id", s140Good + `"0","12a","Mon Apr 06 22:19:45 PDT 2009","q","u","t"` + "\n", `bad id "12a"`, 2},
		{"unknown label", s140Good + `"1","12","Mon Apr 06 22:19:45 PDT 2009","q","u","t"` + "\n", `unknown label "1"`, 2},
		{"bad date", s140Good + `"0","12","Mon Apr 36 22:19:45 PDT 2009","q","u","t"` + "\n", "bad date", 2},
		{"bad zone", s140Good + `"0","12","Mon Apr 06 22:19:45 XYZ 2009","q","u","t"` + "\n", "unknown time zone XYZ", 2},
		{"unterminated quote", s140Good + `"0,"12","Mon Apr 06 22:19:45 PDT 2009","q","u","t` + "\n", "text after the closing quote", 2},
		{"empty text", s140Good + `"0","12","Mon Apr 06 22:19:45 PDT 2009","q","u"," "` + "\n", "empty text", 2},
	})
}

func TestCP1252(t *testing.T) {
	var all []byte
	for b := 0x80; b <= 0xFF; b++ {
		all = append(all, byte(b))
	}
	got := string(decodeCP1252(nil, all))
	if !strings.HasPrefix(got, "€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ\u00a0¡") || !strings.HasSuffix(got, "ýþÿ") {
		t.Errorf("decoded %q", got)
	}
	if s, changed := toUTF8([]byte("naïve"), nil); changed || string(s) != "naïve" {
		t.Errorf("valid UTF-8 changed: %q", s)
	}
}

func TestSemEval(t *testing.T) {
	in := "\xef\xbb\xbf1\tpositive\tplain text\n" +
		"2\tNEGATIVE\tcomma\\u002c apostrophe\\u2019s emoji \\ud83d\\ude00 \\m/ =\\ \\\"q\\\"\n" +
		"3\tneutral\t\"Excited to read \"\"Go Set a Watchman\"\"\"\t\n" +
		"4\tneutral\t\"Arriving Tuesday\" is \"bare\"\t\n" +
		"5\tneutral\t\" open quote over\n\"\t\n" +
		"6\tpositive\t\"left open on one line\n" +
		"7\tnegative\twith a date\tWed Jul 29 12:01:22 +0000 2015\n"
	rows, bad := readString(t, FormatSemEval, "s.txt", in, nil)
	if len(bad) != 0 {
		t.Fatalf("bad: %v", bad)
	}
	want := []dataset.Tweet{
		{ID: "1", Text: "plain text", Label: "positive", Source: "s.txt:1"},
		{ID: "2", Text: "comma, apostrophe’s emoji 😀 \\m/ =\\ \"q\"", Label: "negative", Source: "s.txt:2"},
		{ID: "3", Text: `Excited to read "Go Set a Watchman"`, Label: "neutral", Source: "s.txt:3"},
		{ID: "4", Text: `"Arriving Tuesday" is "bare"`, Label: "neutral", Source: "s.txt:4"},
		{ID: "5", Text: " open quote over\n", Label: "neutral", Source: "s.txt:5"},
		{ID: "6", Text: `"left open on one line`, Label: "positive", Source: "s.txt:7"},
		{ID: "7", Text: "with a date", Label: "negative", CreatedAt: time.Date(2015, 7, 29, 12, 1, 22, 0, time.UTC), Source: "s.txt:8"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows:\n%+v\nwant\n%+v", rows, want)
	}
	good := "1\tpositive\tok\n"
	checkBad(t, FormatSemEval, []badCase{
		{"two fields", good + "2\tpositive\n", "wrong field count: 2", 2},
		{"five fields", good + "2\tpositive\ta\tb\tc\n", "wrong field count: 5", 2},
		{"bad id", good + "x2\tpositive\tt\n", `bad id "x2"`, 2},
		{"unknown label", good + "2\tobjective\tt\n", `unknown label "objective"`, 2},
		{"bad escape", good + "2\tpositive\tbad \\u12g4 here\n", `bad escape "\\u12g4`, 2},
		{"short escape", good + "2\tpositive\tend \\u12\n", `bad escape`, 2},
		{"lone high surrogate", good + "2\tpositive\t\\ud83d alone\n", "high surrogate without a low one", 2},
		{"lone low surrogate", good + "2\tpositive\t\\ude00 alone\n", "lone low surrogate", 2},
		{"invalid utf8", good + "2\tpositive\tbad \xff byte\n", "invalid UTF-8", 2},
		{"empty text", good + "2\tpositive\t\"\"\n", "empty text", 2},
		{"bad date", good + "2\tpositive\tt\tyesterday\n", "bad date", 2},
	})
}

func TestNLTK(t *testing.T) {
	rows, bad := readString(t, FormatNLTK, "dir/neg.txt", "@a\rthat's bad :(\tnegative\n\"quoted\" text\twith tab\tpositive\r\nlast\tNegative", nil)
	if len(bad) != 0 {
		t.Fatalf("bad: %v", bad)
	}
	want := []dataset.Tweet{
		{ID: "neg.txt:1", Text: "@a that's bad :(", Label: "negative", Source: "dir/neg.txt:1"},
		{ID: "neg.txt:2", Text: "\"quoted\" text\twith tab", Label: "positive", Source: "dir/neg.txt:2"},
		{ID: "neg.txt:3", Text: "last", Label: "negative", Source: "dir/neg.txt:3"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows:\n%+v\nwant\n%+v", rows, want)
	}
	good := "ok :)\tpositive\n"
	checkBad(t, FormatNLTK, []badCase{
		{"no tab", good + "no label here\n", "no tab", 2},
		{"unknown label", good + "meh\tmixed\n", `unknown label "mixed"`, 2},
		{"invalid utf8", good + "bad \xc3\tpositive\n", "invalid UTF-8", 2},
		{"empty text", good + " \tpositive\n", "empty text", 2},
	})
}

func TestJSONL(t *testing.T) {
	in := `{"id":"1","text":"hello 😀","created_at":"2020-05-01T10:00:00.000Z","author_id":"42","lang":"en","label":"Positive"}
{"data":{"id":"2","text":"in an envelope","created_at":"2020-05-01T12:00:00+02:00"},"sentiment":"negative"}
{"id":3,"text":"numeric id and label","label":0}

{"id":"4","text":"unlabeled"}
`
	lm, err := ParseLabelMap("0->negative,positive->positive,negative->negative")
	if err != nil {
		t.Fatal(err)
	}
	rows, bad := readString(t, FormatJSONL, "t.jsonl", in, lm)
	if len(bad) != 0 {
		t.Fatalf("bad: %v", bad)
	}
	want := []dataset.Tweet{
		{ID: "1", CreatedAt: time.Date(2020, 5, 1, 10, 0, 0, 0, time.UTC), User: "42", Text: "hello 😀", Label: "positive", Source: "t.jsonl:1"},
		{ID: "2", CreatedAt: time.Date(2020, 5, 1, 10, 0, 0, 0, time.UTC), Text: "in an envelope", Label: "negative", Source: "t.jsonl:2"},
		{ID: "3", Text: "numeric id and label", Label: "negative", Source: "t.jsonl:3"},
		{ID: "4", Text: "unlabeled", Source: "t.jsonl:5"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows:\n%+v\nwant\n%+v", rows, want)
	}
	good := `{"id":"1","text":"ok"}` + "\n"
	checkBad(t, FormatJSONL, []badCase{
		{"bad json", good + `{"id":"2","text":"unterminated}` + "\n", "bad JSON", 2},
		{"missing id", good + `{"text":"t"}` + "\n", `missing "id"`, 2},
		{"bad id", good + `{"id":"12x","text":"t"}` + "\n", "bad id", 2},
		{"missing text", good + `{"id":"2"}` + "\n", `missing or empty "text"`, 2},
		{"bad time", good + `{"id":"2","text":"t","created_at":"yesterday"}` + "\n", "bad created_at", 2},
		{"bad label type", good + `{"id":"2","text":"t","label":{"x":1}}` + "\n", "bad label", 2},
		{"invalid utf8", good + "{\"id\":\"2\",\"text\":\"\xff\"}\n", "invalid UTF-8", 2},
	})
}

func TestParquetSource(t *testing.T) {
	dir := t.TempDir()
	in := dataset.Generate(3, 50, dataset.GenerateOptions{Cleaned: true})
	in[4].Label = "Positive" // mapped by the default map
	in[5].Label = ""         // unlabeled stays unlabeled
	in[6].Text = " "         // bad row
	in[7].Label = "meh"      // kept as written: parquet keeps any label
	in[8].Text = ""          // bad row
	w := dataset.NewShardWriter(func(name string) (io.WriteCloser, error) { return os.Create(filepath.Join(dir, name)) })
	for i := range in {
		if err := w.Write(&in[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, dataset.ShardName(0))
	// The spool file of a stream is unlinked as soon as it is made, so a
	// killed process leaves nothing behind: while rows are read, the
	// temporary folder holds no file.
	spool := t.TempDir()
	t.Setenv("TMPDIR", spool)
	for _, viaStream := range []bool{false, true} {
		var rows []dataset.Tweet
		var bad []BadRow
		var visible []string
		src := Source{Name: p, Open: func() (io.ReadCloser, error) {
			if viaStream {
				b, err := os.ReadFile(p)
				return io.NopCloser(bytes.NewReader(b)), err // an io.ReaderAt without Seek: spooled
			}
			return os.Open(p)
		}}
		st, err := Ingest(context.Background(), []Source{src}, func(tw *dataset.Tweet) error {
			if len(rows) == 0 {
				visible, _ = filepath.Glob(filepath.Join(spool, "*"))
			}
			rows = append(rows, *tw)
			return nil
		}, Options{MaxBadRows: 5, OnBadRow: func(b BadRow) { bad = append(bad, b) }})
		if err != nil {
			t.Fatal(err)
		}
		if len(visible) != 0 {
			t.Errorf("stream %v: spool files visible while reading: %q", viaStream, visible)
		}
		if st.Sources[0].Format != FormatParquet || len(rows) != 48 || len(bad) != 2 || bad[0].Line != 7 || bad[1].Line != 9 {
			t.Fatalf("stream %v: format %s, %d rows, bad %v", viaStream, st.Sources[0].Format, len(rows), bad)
		}
		if rows[4].Label != "positive" || rows[5].Label != "" || rows[6].Label != "meh" || !reflect.DeepEqual(rows[0], in[0]) {
			t.Errorf("rows %+v %+v %+v %+v", rows[0], rows[4], rows[5], rows[6])
		}
		if fi, _ := os.Stat(p); st.BytesRead != fi.Size() {
			t.Errorf("stream %v: %d bytes counted, file has %d", viaStream, st.BytesRead, fi.Size())
		}
	}
}

func TestDetectFormat(t *testing.T) {
	for _, tc := range []struct {
		name, head string
		want       Format
	}{
		{"a.parquet", "", FormatParquet},
		{"a.bin", "PAR1xxxx", FormatParquet},
		{"x.JSONL", "", FormatJSONL},
		{"x.ndjson", "", FormatJSONL},
		{"x", "  {\"id\":\"1\"}\n", FormatJSONL},
		{"s140.csv", "", FormatSentiment140},
		{"s140", "\"0\",\"1\",\"d\",\"q\",\"u\",\"t\"\r\n", FormatSentiment140},
		{"twitter-2016test-A.txt", "123\tneutral\ttext\t\n", FormatSemEval},
		{"x.tsv", "123\tneutral\ttext\n", FormatSemEval},
		{"neg.txt", "text here\tnegative\n", FormatNLTK},
		{"s3://b/k/neg_tweets.txt", "text here\tnegative\n", FormatNLTK},
	} {
		got, err := DetectFormat(tc.name, []byte(tc.head))
		if err != nil || got != tc.want {
			t.Errorf("DetectFormat(%q, %q) = %v, %v; want %v", tc.name, tc.head, got, err, tc.want)
		}
	}
	if _, err := DetectFormat("notes.txt", []byte("just prose\n")); err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("undetectable: err %v", err)
	}
}

func TestLabelMap(t *testing.T) {
	lm, err := ParseLabelMap(" 0->negative, 4 -> Positive ,2->neutral")
	if err != nil {
		t.Fatal(err)
	}
	for raw, want := range map[string]string{"0": "negative", "4": "positive", " 2 ": "neutral"} {
		if got, ok := lm.Map(raw); !ok || got != want {
			t.Errorf("Map(%q) = %q, %v", raw, got, ok)
		}
	}
	if _, ok := lm.Map("1"); ok {
		t.Error("strict map accepted an unknown label")
	}
	perm, _ := ParseLabelMap("0->negative,*")
	if got, ok := perm.Map(" Mixed "); !ok || got != "Mixed" {
		t.Errorf("permissive Map(Mixed) = %q, %v", got, ok)
	}
	if got, ok := DefaultLabelMap(FormatSemEval).Map("POSITIVE"); !ok || got != "positive" {
		t.Errorf("default semeval map: %q %v", got, ok)
	}
	if _, ok := DefaultLabelMap(FormatSemEval).Map("objective"); ok {
		t.Error("default map accepted objective")
	}
	for _, bad := range []string{"0=negative", "->x", "0->", "0->a,0->b"} {
		if _, err := ParseLabelMap(bad); err == nil {
			t.Errorf("ParseLabelMap(%q) accepted", bad)
		}
	}
	if s := perm.String(); s != "0->negative,*" {
		t.Errorf("String() = %q", s)
	}
}

func TestIngestBadRowLimit(t *testing.T) {
	src := func(name, body string) Source {
		return Source{Name: name, Format: FormatSemEval, Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }}
	}
	sources := []Source{
		src("a.txt", "1\tpositive\tok\nx\tpositive\tbad id\n2\tpositive\tok\n"),
		src("b.txt", "3\tmeh\tbad label\n4\tnegative\tok\n5\tpositive\n"),
	}
	n := 0
	sink := func(*dataset.Tweet) error { n++; return nil }
	st, err := Ingest(context.Background(), sources, sink, Options{MaxBadRows: 3})
	if err != nil || st.BadRows != 3 || st.RowsOut != 3 || n != 3 || st.RowsIn != 6 || len(st.BadExamples) != 3 {
		t.Fatalf("limit 3: err %v stats %+v", err, st)
	}
	if st.Sources[1].BadRows != 2 || st.Sources[1].RowsOut != 1 || st.Sources[1].Bytes == 0 {
		t.Errorf("source stats %+v", st.Sources[1])
	}
	_, err = Ingest(context.Background(), sources, sink, Options{MaxBadRows: 2})
	if !errors.Is(err, ErrTooManyBadRows) {
		t.Fatalf("limit 2: err %v", err)
	}
	for _, want := range []string{"--max-bad-rows", `"a.txt" line 2: bad id "x"`, `"b.txt" line 1: unknown label "meh"`, `"b.txt" line 3: wrong field count`, "more than 2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := Ingest(context.Background(), sources, sink, Options{MaxBadRows: -1}); err != nil {
		t.Errorf("unlimited: %v", err)
	}
	stop := errors.New("sink full")
	if _, err := Ingest(context.Background(), sources, func(*dataset.Tweet) error { return stop }, Options{MaxBadRows: -1}); err != stop {
		t.Errorf("sink error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Ingest(ctx, sources, sink, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	_, err = Ingest(context.Background(), []Source{{Name: "gone", Open: func() (io.ReadCloser, error) { return nil, os.ErrNotExist }}}, sink, Options{})
	if err == nil || !strings.Contains(err.Error(), `opening source "gone"`) {
		t.Errorf("open error: %v", err)
	}
}

func TestLongLine(t *testing.T) {
	in := "1\tpositive\tok\n2\tpositive\t" + strings.Repeat("x", maxLineBytes+10) + "\n3\tnegative\tfine\n"
	rows, bad := readString(t, FormatSemEval, "l.txt", in, nil)
	if len(rows) != 2 || len(bad) != 1 || bad[0].Line != 2 || rows[1].Source != "l.txt:3" {
		t.Fatalf("rows %d bad %v", len(rows), bad)
	}
}

func TestExpandLocal(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a/x.txt", "a/README.txt", "a/.hidden", "a/_SUCCESS.json", "a/sub/y.csv", "b.jsonl"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	got, err := ExpandLocal([]string{filepath.Join(dir, "a"), filepath.Join(dir, "*.jsonl"), filepath.Join(dir, "a/x.txt")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a/sub/y.csv"), filepath.Join(dir, "a/x.txt"), filepath.Join(dir, "b.jsonl")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	for _, bad := range []string{filepath.Join(dir, "*.nope"), filepath.Join(dir, "missing.txt")} {
		if _, err := ExpandLocal([]string{bad}); err == nil {
			t.Errorf("ExpandLocal(%q) succeeded", bad)
		}
	}
}

func TestExpandStore(t *testing.T) {
	ctx := context.Background()
	st, err := artifact.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	put := func(key, body string) {
		w, err := st.Create(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	put("inputs/semeval/a.txt", "1\tpositive\tok\n")
	put("inputs/semeval/README.md", "docs")
	put("inputs/s140.csv", s140Good)
	srcs, err := ExpandStore(ctx, st, "inputs/")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range srcs {
		names = append(names, strings.TrimPrefix(s.Name, st.URI("")))
	}
	if !reflect.DeepEqual(names, []string{"/inputs/s140.csv", "/inputs/semeval/a.txt"}) {
		t.Fatalf("names %v", names)
	}
	stats, err := Ingest(ctx, srcs, func(*dataset.Tweet) error { return nil }, Options{})
	if err != nil || stats.RowsOut != 2 {
		t.Fatalf("ingest from store: %v %+v", err, stats)
	}
	one, err := ExpandStore(ctx, st, "inputs/s140.csv")
	if err != nil || len(one) != 1 {
		t.Fatalf("single key: %v %v", one, err)
	}
	// a committed output lists only its manifest files
	out := artifact.NewOutput(st, "runs/r/ingest/tweets")
	if err := out.WriteFile(ctx, "part-00000.parquet", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	srcs, err = ExpandStore(ctx, st, "runs/r/ingest/tweets")
	if err != nil || len(srcs) != 1 || !strings.HasSuffix(srcs[0].Name, "tweets/part-00000.parquet") {
		t.Fatalf("committed: %v %v", srcs, err)
	}
	if _, err := ExpandStore(ctx, st, "nothing/here"); err == nil {
		t.Error("empty prefix accepted")
	}
}
