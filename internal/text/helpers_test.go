package text

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const semevalDir = "/work/shared/data/semeval2017-task4a"

var (
	semevalOnce  sync.Once
	semevalTexts []string
)

// decodeEscapes decodes the \uXXXX escapes of the SemEval files.
func decodeEscapes(s string) string {
	if !strings.Contains(s, `\u`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+6 <= len(s) && s[i+1] == 'u' {
			if v, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
				b.WriteRune(rune(v))
				i += 5
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// loadSemEval returns the texts of every SemEval-2017 task 4A file, or
// skips the test when the data is not there.
func loadSemEval(tb testing.TB) []string {
	tb.Helper()
	semevalOnce.Do(func() {
		files, _ := filepath.Glob(filepath.Join(semevalDir, "*-A.txt"))
		for _, name := range files {
			f, err := os.Open(name)
			if err != nil {
				continue
			}
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				fields := strings.Split(sc.Text(), "\t")
				if len(fields) >= 3 {
					semevalTexts = append(semevalTexts, decodeEscapes(fields[2]))
				}
			}
			f.Close()
		}
	})
	if len(semevalTexts) == 0 {
		tb.Skipf("no SemEval data in %s", semevalDir)
	}
	return semevalTexts
}

func mustCleaner(tb testing.TB, opts ...Option) *Cleaner {
	tb.Helper()
	c, err := NewCleaner(opts...)
	if err != nil {
		tb.Fatalf("NewCleaner: %v", err)
	}
	return c
}

// allOptions enumerates every valid combination of options.
func allOptions() []Options {
	var out []Options
	for _, u := range []Mode{ModeToken, ModeRemove} {
		for _, m := range []Mode{ModeToken, ModeRemove} {
			for _, e := range []Mode{ModeKeep, ModeToken, ModeRemove} {
				for bits := 0; bits < 16; bits++ {
					o := DefaultOptions()
					o.URLs, o.Mentions, o.Emojis = u, m, e
					o.StripRT = bits&1 != 0
					o.Lowercase = bits&2 != 0
					o.SqueezeRepeats = bits&4 != 0
					o.StripHashSign = bits&8 != 0
					out = append(out, o)
					if !o.StripHashSign {
						for _, th := range []Mode{ModeToken, ModeRemove} {
							o.TrailingHashtags = th
							out = append(out, o)
						}
					}
				}
			}
		}
	}
	return out
}
