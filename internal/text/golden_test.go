package text

import (
	"bufio"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden pins Clean, Tokenize and NormKey (default options) on the
// inputs of testdata/golden/input.txt (one Go-quoted string per line). A
// diff here changes what trained models see: if it is intended, bump
// Version and rewrite the file with
//
//	go test ./internal/text -run TestGolden -update
func TestGolden(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "golden", "input.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := mustCleaner(t)
	var b strings.Builder
	b.WriteString("# text.Version " + strconv.Itoa(Version) + "; per input: quoted input, clean text, tokens (|-separated), NormKey\n")
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		in, err := strconv.Unquote(line)
		if err != nil {
			t.Fatalf("unquoting %q: %v", line, err)
		}
		out := c.Clean(in)
		b.WriteString(strconv.Quote(in) + "\n")
		b.WriteString("  clean:  " + strconv.Quote(out) + "\n")
		b.WriteString("  tokens: " + strconv.Quote(strings.Join(Tokenize(out), " | ")) + "\n")
		b.WriteString("  key:    " + strconv.Quote(NormKey(out)) + "\n")
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden", "output.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading golden file (create it with -update): %v", err)
	}
	if got := b.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("output differs from %s at line %d:\n got  %s\n want %s\n(if intended: bump Version, rerun with -update)", golden, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("output differs from %s in length (%d vs %d lines)", golden, len(gl), len(wl))
	}
}
