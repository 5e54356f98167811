package badinput

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Labels are the labels of the corpus's good rows.
var Labels = []string{"AI", "OTHER"}

// MaxBadRows is the bad-row limit every component runs the corpus with.
const MaxBadRows = 10

// Case is one broken input and what reading it must give.
type Case struct {
	Name string
	// Make writes the input under dir and returns the path a component
	// gets (a file, folder, FIFO or missing path).
	Make func(t testing.TB, dir string) string
	// Good and Bad are the good and bad rows read.
	Good, Bad int
	// Exit is the exit code; 0 means the rows are published (but see
	// NeedsRows).
	Exit int
	// Msgs must all appear in the component's stderr; "{path}" is
	// replaced by the input path. Bad rows are logged with line=N and
	// their reason.
	Msgs []string
	// NUL marks inputs with NUL characters in the text: the cleaned text
	// the model sees must hold none.
	NUL bool
}

// Row renders good row i as JSONL, labeled alternately AI and OTHER.
func Row(i int, text string) string {
	b, _ := json.Marshal(map[string]string{"id": fmt.Sprint(1000 + i), "text": text, "label": Labels[i%2]})
	return string(b) + "\n"
}

// Rows renders n good JSONL rows from from.
func Rows(from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		b.WriteString(Row(i, fmt.Sprintf("tweet %d about neural networks and the weather", i)))
	}
	return b.String()
}

func write(name, body string) func(testing.TB, string) string {
	return func(t testing.TB, dir string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

// Cases returns the corpus.
func Cases() []Case {
	long := func(n int) string { return Row(2, strings.Repeat("a", n)) }
	return []Case{
		{Name: "jsonl-good", Make: write("good.jsonl", Rows(0, 4)), Good: 4},
		{Name: "no-newline-at-eof", Make: write("noeol.jsonl", strings.TrimSuffix(Rows(0, 3), "\n")), Good: 3},
		{Name: "crlf-jsonl", Make: write("crlf.jsonl", strings.ReplaceAll(Rows(0, 3), "\n", "\r\n")), Good: 3},
		{Name: "crlf-tsv", Make: write("crlf.tsv", "id\ttext\tlabel\r\n1\tgood morning\tAI\r\n2\tbad night\tOTHER\r\n"), Good: 2},
		{Name: "bom-tsv", Make: write("bom.tsv", "\xef\xbb\xbfid\ttext\tlabel\n1\tgood morning\tAI\n2\tbad night\tOTHER\n"), Good: 2},
		{Name: "bom-csv", Make: write("bom.csv", "\xef\xbb\xbfid,text,label\n1,good morning,AI\n2,bad night,OTHER\n"), Good: 2},
		{Name: "bom-jsonl", Make: write("bom.jsonl", "\xef\xbb\xbf"+Rows(0, 2)), Good: 2},
		{Name: "bom-semeval", Make: write("bom.txt", "\xef\xbb\xbf1\tAI\tgood morning\n2\tOTHER\tbad night\n"), Good: 2},
		{Name: "sentiment140-header", Make: write("s140.csv", "polarity,id,date,query,user,text\n"+
			`"AI","1","Mon Apr 06 22:19:45 PDT 2009","NO_QUERY","u","good morning"`+"\n"+
			`"OTHER","2","Mon Apr 06 22:19:45 PDT 2009","NO_QUERY","u","bad night"`+"\n"), Good: 2},
		// Windows-1252 bytes of delimited files are decoded; JSON must be UTF-8.
		{Name: "cp1252-tsv", Make: write("cp1252.tsv", "id\ttext\tlabel\n1\tcaf\xe9 \x93quoted\x94\tAI\n2\tna\xefve\tOTHER\n"), Good: 2},
		{Name: "invalid-utf8-jsonl", Make: write("latin1.jsonl", Rows(0, 2)+`{"id":"9","text":"caf`+"\xe9\xff"+`","label":"OTHER"}`+"\n"), Good: 2, Bad: 1,
			Msgs: []string{"latin1.jsonl", "line=3", "invalid UTF-8"}},
		{Name: "nul-jsonl", Make: write("nul.jsonl", `{"id":"1","text":"nul\u0000inside","label":"AI"}`+"\n"+Rows(1, 1)), Good: 2, NUL: true},
		{Name: "nul-byte-tsv", Make: write("nul.tsv", "id\ttext\tlabel\n1\tnul\x00byte\tAI\n2\tplain\tOTHER\n"), Good: 2, NUL: true},
		{Name: "control-chars-jsonl", Make: write("ctl.jsonl", `{"id":"1","text":"bell\u0007 esc\u001b[31m del\u007f c1\u0085 end","label":"AI"}`+"\n"+Rows(1, 1)), Good: 2, NUL: true},
		{Name: "wrong-field-count-semeval", Make: write("fields.txt", "1\tAI\tgood morning\n2\tOTHER\n3\tOTHER\tbad night\n"), Good: 2, Bad: 1,
			Msgs: []string{"fields.txt", "line=2", "field"}},
		{Name: "wrong-field-count-csv", Make: write("fields.csv", "id,text,label\n1,good morning,AI\n2,too,many,fields,OTHER\n3,bad night,OTHER\n"), Good: 2, Bad: 1,
			Msgs: []string{"fields.csv", "line=3", "field"}},
		{Name: "field-1MiB", Make: write("1mib.jsonl", Rows(0, 2)+long(1<<20)+Rows(3, 1)), Good: 3, Bad: 1,
			Msgs: []string{"1mib.jsonl", "line=3", "longer than 1 MiB"}},
		{Name: "field-20MiB", Make: write("20mib.jsonl", Rows(0, 2)+long(20<<20)+Rows(3, 1)), Good: 3, Bad: 1,
			Msgs: []string{"20mib.jsonl", "line=3", "longer than 1 MiB"}},
		// No row at all fails (a warning per empty source when others
		// have rows); rows that are all bad fail even under the limit.
		{Name: "empty-file", Make: write("empty.jsonl", ""), Exit: 1,
			Msgs: []string{"empty source", "every source is empty", "empty.jsonl"}},
		{Name: "header-only-csv", Make: write("header.csv", "id,text,label\n"), Exit: 1,
			Msgs: []string{"empty source", "every source is empty", "header.csv"}},
		{Name: "binary-few-bad-rows", Make: write("few.jsonl", "\x89PNG\x00\x1a\n\x00\x01\x02\n\xff\xfe junk\nnot json\n{still not json\n"), Bad: 5, Exit: 1,
			Msgs: []string{"no good row", "all 5 rows read were bad", `few.jsonl" line 1`}},
		{Name: "unterminated-quote-csv", Make: write("quote.csv", "id,text,label\n1,good morning,AI\n2,\"never closed,OTHER\n3,bad night,OTHER\n"), Good: 2, Bad: 1,
			Msgs: []string{"quote.csv", "line=3", "quote"}},
		{Name: "invalid-json", Make: write("broken.jsonl", Rows(0, 1)+`{"id":"2","text":`+"\n"+Rows(1, 1)), Good: 2, Bad: 1,
			Msgs: []string{"broken.jsonl", "line=2"}},
		{Name: "wrong-json-types", Make: write("types.jsonl", Rows(0, 1)+`{"id":"2","text":123,"label":"AI"}`+"\n"+`[1,2]`+"\n"+Rows(3, 1)), Good: 2, Bad: 2,
			Msgs: []string{"types.jsonl", "line=2", "line=3"}},
		{Name: "huge-integer-id", Make: write("bigid.jsonl", `{"id":123456789012345678901234567890,"text":"huge id","label":"AI"}`+"\n"+Rows(1, 1)), Good: 2},
		{Name: "too-many-bad-rows", Make: write("mostlybad.jsonl", Rows(0, 3)+strings.Repeat("{not json\n", 20)), Good: 3, Bad: MaxBadRows + 1, Exit: 1,
			Msgs: []string{"too many bad rows", "more than 10", `mostlybad.jsonl" line 4`}},
		{Name: "binary-named-jsonl", Make: binary("image.jsonl", 64<<10), Bad: MaxBadRows + 1, Exit: 1,
			Msgs: []string{"too many bad rows", `image.jsonl" line 1`}},
		{Name: "fifo", Make: fifo("pipe.jsonl"), Exit: 2, Msgs: []string{"{path}", "named pipe (FIFO)", "regular files only"}},
		{Name: "missing-path", Make: func(_ testing.TB, dir string) string { return filepath.Join(dir, "nope.jsonl") }, Exit: 2,
			Msgs: []string{"{path}", "no such file or directory"}},
		{Name: "symlink-loop", Make: loop("loop.jsonl"), Exit: 2, Msgs: []string{"{path}", "symbolic link loop"}},
	}
}

// binary writes n pseudo-random bytes (seeded) after a PNG signature,
// with a newline every 100 bytes or so: many bad lines, no good one.
func binary(name string, n int) func(testing.TB, string) string {
	return func(t testing.TB, dir string) string {
		r := rand.New(rand.NewPCG(11, 12))
		b := []byte("\x89PNG\r\n\x1a\n")
		for len(b) < n {
			c := byte(r.UintN(256))
			if c == '{' || c == '[' {
				c = 0xff
			}
			if r.UintN(100) == 0 {
				c = '\n'
			}
			b = append(b, c)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

func fifo(name string) func(testing.TB, string) string {
	return func(t testing.TB, dir string) string {
		p := filepath.Join(dir, name)
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		return p
	}
}

func loop(name string) func(testing.TB, string) string {
	return func(t testing.TB, dir string) string {
		a, b := filepath.Join(dir, name), filepath.Join(dir, "other-"+name)
		if err := os.Symlink(b, a); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(a, b); err != nil {
			t.Fatal(err)
		}
		return a
	}
}

// Outcome is what a component did with a case.
type Outcome struct {
	Code      int
	Stderr    string
	Published int    // rows published (or evaluated); -1 when nothing was
	BadRows   int    // bad_rows of the run summary
	CleanText string // every cleaned text it saw, concatenated (NUL cases)
}

// Check compares an outcome with the case. needsRows is true for a
// component that fails (exit 1, noRowsMsg in stderr) when no good row
// is read.
func Check(t *testing.T, c Case, path string, o Outcome, needsRows bool, noRowsMsg string) {
	t.Helper()
	exit, msgs := c.Exit, c.Msgs
	if exit == 0 && c.Good == 0 && needsRows {
		exit, msgs = 1, append(msgs, noRowsMsg)
	}
	if o.Code != exit {
		t.Fatalf("exit %d, want %d\n%s", o.Code, exit, o.Stderr)
	}
	for _, m := range msgs {
		m = strings.ReplaceAll(m, "{path}", path)
		if !strings.Contains(o.Stderr, m) {
			t.Errorf("stderr lacks %q:\n%s", m, o.Stderr)
		}
	}
	if exit != 0 {
		if o.Published != -1 {
			t.Errorf("a failed run published %d rows", o.Published)
		}
		if c.Exit == 1 && o.BadRows != c.Bad {
			t.Errorf("summary bad_rows %d, want %d", o.BadRows, c.Bad)
		}
		return
	}
	if o.Published != c.Good || o.BadRows != c.Bad {
		t.Errorf("published %d rows, %d bad; want %d and %d\n%s", o.Published, o.BadRows, c.Good, c.Bad, o.Stderr)
	}
	if c.NUL {
		for _, r := range o.CleanText {
			if r == 0 || (r < 0x20 && r != '\t' && r != '\n') || (r >= 0x7f && r < 0xa0) {
				t.Errorf("cleaned text holds control character %U: %q", r, o.CleanText)
				break
			}
		}
	}
}
