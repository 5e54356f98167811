package word2vec

import (
	"bufio"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dataDir holds the shared real tweets (see /work/shared/data/README.md).
const dataDir = "/work/shared/data"

// loadTweets returns all tweets of the shared data sets, lowercased and
// whitespace-tokenized, or skips the test when the data is missing.
func loadTweets(tb testing.TB) [][]string {
	tb.Helper()
	var out [][]string
	add := func(text string) {
		if toks := strings.Fields(strings.ToLower(text)); len(toks) > 0 {
			out = append(out, toks)
		}
	}
	semeval, _ := filepath.Glob(filepath.Join(dataDir, "semeval2017-task4a", "twitter-*.txt"))
	nltk, _ := filepath.Glob(filepath.Join(dataDir, "nltk-twitter-samples", "*.txt"))
	s140, _ := filepath.Glob(filepath.Join(dataDir, "sentiment140", "*.csv"))
	if len(semeval)+len(nltk)+len(s140) == 0 {
		tb.Skipf("no tweets under %s", dataDir)
	}
	for _, f := range semeval {
		eachLine(tb, f, func(line string) {
			if parts := strings.SplitN(line, "\t", 3); len(parts) == 3 {
				add(parts[2])
			}
		})
	}
	for _, f := range nltk {
		eachLine(tb, f, func(line string) {
			if i := strings.LastIndexByte(line, '\t'); i >= 0 {
				add(line[:i])
			}
		})
	}
	for _, f := range s140 {
		fh, err := os.Open(f)
		if err != nil {
			tb.Fatal(err)
		}
		r := csv.NewReader(fh)
		r.FieldsPerRecord = -1
		r.LazyQuotes = true
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				tb.Fatalf("reading %s: %v", f, err)
			}
			add(rec[len(rec)-1])
		}
		fh.Close()
	}
	return out
}

func eachLine(tb testing.TB, path string, fn func(string)) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	for sc.Scan() {
		fn(sc.Text())
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("reading %s: %v", path, err)
	}
}
