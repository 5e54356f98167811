package pgident

import (
	"strings"
	"testing"
)

func TestParseTable(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // the sanitized SQL, or the error's text
		ok   bool
	}{
		{"tweet_scores", `"tweet_scores"`, true},
		{"analytics.raw_tweet_dataset_0", `"analytics"."raw_tweet_dataset_0"`, true},
		{"_x9", `"_x9"`, true},
		{"", "is not a plain identifier", false},
		{"a.b.c", "want table or schema.table", false},
		{"x; drop", `"x; drop" is not a plain identifier`, false},
		{"9lives", "is not a plain identifier", false},
		{"Ünïcode", "is not a plain identifier", false},
		{strings.Repeat("a", 64), "is not a plain identifier", false},
	} {
		id, err := ParseTable(tc.in)
		if tc.ok {
			if err != nil || id.Sanitize() != tc.want {
				t.Errorf("ParseTable(%q) = %v, %v; want %s", tc.in, id, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseTable(%q) error %v, want %q", tc.in, err, tc.want)
		}
	}
}
