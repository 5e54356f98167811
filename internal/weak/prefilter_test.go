package weak

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/tweetflow/tweetflow/internal/testutil/shareddata"
)

func TestRequiredLiterals(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string // in fold form; nil: no filter
	}{
		{`(?i)\bdataset(s)?\b`, []string{"DATASET"}},
		{`(?i)#(jobs|hiring)\b`, []string{"JOBS", "HIRING"}},
		{`(?i)\b(ml|ai)\s+(engineer|scientist)s?\b`, []string{"ENGINEER", "SCIENTIST"}},
		{`(?i)a+b{2,}`, []string{"A"}}, // a+ and b both require a one-letter literal: the first wins
		{`(?i)x*`, nil},
		{`(?i)(foo|x*)`, nil},
		{`(?i)[a-z]+`, nil},
		{`abc`, []string{"ABC"}},
	} {
		got := requiredLiterals(tc.expr)
		// The parser may factor alternations; compare as sets.
		g, w := slices.Clone([]string(got)), slices.Clone(tc.want)
		slices.Sort(g)
		slices.Sort(w)
		if !slices.Equal(g, w) {
			t.Errorf("%s: %q, want %q", tc.expr, got, tc.want)
		}
	}
	// Case folding beyond ASCII: the Kelvin sign and long s fold like k, s.
	if !requiredLiterals(`(?i)kiss`).mayMatch(foldString("\u212aiſs")) || !regexp.MustCompile(`(?i)kiss`).MatchString("\u212aiſs") {
		t.Error("the Kelvin sign and long s must fold to k and s")
	}
}

// The filter never skips a text the expression matches: every pattern of
// the example rules and some of its own, on the committed demo stream.
func TestLiteralFilterIsNecessary(t *testing.T) {
	root := shareddata.RepoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "examples", "labeling", "ai-tweets.rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ParseRules("ai-tweets.rules.yaml", data, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var res []*regexp.Regexp
	var lits []litFilter
	for _, lf := range rs.LFs {
		if r, ok := lf.(*ruleLF); ok {
			res = append(res, r.regex...)
			lits = append(lits, r.regexLits...)
		}
	}
	for _, p := range []string{`(?i)\bai\b`, `(?i)(deep|machine)\s+learning`, `(?i)#\w+`, `(?i)data`} {
		res, lits = append(res, regexp.MustCompile(p)), append(lits, requiredLiterals(p))
	}
	matched, skipped, texts := 0, 0, 0
	for _, raw := range demoTexts(t, 0) {
		texts++
		folded := foldString(raw)
		for i, re := range res {
			may, does := lits[i].mayMatch(folded), re.MatchString(raw)
			if does && !may {
				t.Fatalf("%s matches %q but its filter %q skips it", re, raw, lits[i])
			}
			if does {
				matched++
			}
			if !may {
				skipped++
			}
		}
	}
	if texts < 1000 || matched == 0 || skipped == 0 {
		t.Fatalf("%d texts, %d matches, %d skipped: the check checked nothing", texts, matched, skipped)
	}
	t.Logf("%d texts x %d patterns: %d matches, %d skipped by the filters", texts, len(res), matched, skipped)
}
