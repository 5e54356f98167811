package component

import (
	"slices"
	"testing"
)

func TestSplitList(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"a.csv, b.csv,,", []string{"a.csv", "b.csv"}},
		{"a.csv,postgres://u@h/db?table=t,b.csv", []string{"a.csv", "postgres://u@h/db?table=t", "b.csv"}},
		{"a.csv,postgres://u@h/db?query=SELECT id, text FROM t ", []string{"a.csv", "postgres://u@h/db?query=SELECT id, text FROM t"}},
	} {
		if got := splitList(c.in); !slices.Equal(got, c.want) {
			t.Errorf("splitList(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
