package labelset

import (
	"slices"
	"strings"
	"testing"
)

func TestParseAndLabels(t *testing.T) {
	seen := []string{"sadness", "", "joy", "anger", "joy", "optimism"}
	for _, tc := range []struct {
		in      string
		want    []string
		str     string
		all     bool
		none    bool
		wantErr string
	}{
		{in: "three-class", want: []string{"negative", "neutral", "positive"}, str: "three-class"},
		{in: " binary ", want: []string{"negative", "positive"}, str: "binary"},
		{in: "all", want: []string{"anger", "joy", "optimism", "sadness"}, str: "all", all: true},
		{in: "AI,OTHER", want: []string{"AI", "OTHER"}, str: "AI,OTHER"},
		{in: "OTHER, AI", want: []string{"OTHER", "AI"}, str: "OTHER,AI"},
		{in: "anger,joy,optimism,sadness", want: []string{"anger", "joy", "optimism", "sadness"}, str: "anger,joy,optimism,sadness"},
		{in: "b,a,c", want: []string{"b", "a", "c"}, str: "b,a,c"},
		{in: "none", str: "none", none: true, wantErr: "unlabeled"},
		{in: "", wantErr: "empty label set"},
		{in: "AI", wantErr: "fewer than 2"},
		{in: "three-clas", wantErr: "fewer than 2"},
		{in: "AI,", wantErr: "label 2 is empty"},
		{in: ",AI,OTHER", wantErr: "label 1 is empty"},
		{in: "AI,OTHER,AI", wantErr: `"AI" is named twice`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			s, err := Parse(tc.in)
			if err == nil {
				if s.String() != tc.str || s.IsAll() != tc.all || s.IsNone() != tc.none {
					t.Errorf("Parse(%q) = %s all=%v none=%v", tc.in, s, s.IsAll(), s.IsNone())
				}
				var got []string
				got, err = s.Labels(seen)
				if err == nil && !slices.Equal(got, tc.want) {
					t.Errorf("Labels = %q, want %q", got, tc.want)
				}
			}
			if tc.wantErr == "" && err != nil {
				t.Fatalf("error %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestAllNeedsTwoLabels(t *testing.T) {
	for _, seen := range [][]string{nil, {"", ""}, {"AI", "AI", ""}} {
		if got, err := MustParse("all").Labels(seen); err == nil || !strings.Contains(err.Error(), "at least 2") {
			t.Errorf("all of %q = %q, %v; want an error", seen, got, err)
		}
	}
}

func TestLabelsIsACopy(t *testing.T) {
	l, _ := MustParse("binary").Labels(nil)
	l[0] = "x"
	if BinaryLabels[0] != "negative" {
		t.Fatal("Labels returned the package's slice")
	}
}

func TestPositive(t *testing.T) {
	for _, tc := range []struct {
		labels        []string
		declared, def string
		want          int
		wantErr       string
	}{
		{[]string{"AI", "OTHER"}, "", MustParse("AI,OTHER").DefaultPositive(), 0, ""},
		{[]string{"OTHER", "AI"}, "", MustParse("OTHER,AI").DefaultPositive(), 0, ""},
		{[]string{"AI", "OTHER"}, "OTHER", "AI", 1, ""},
		{[]string{"negative", "positive"}, "", MustParse("binary").DefaultPositive(), 1, ""},
		{[]string{"negative", "positive"}, "negative", "", 0, ""},
		{[]string{"a", "b"}, "", MustParse("all").DefaultPositive(), -1, ""},
		{[]string{"a", "b"}, "", "gone", -1, ""},
		{[]string{"negative", "neutral", "positive"}, "", "positive", -1, ""},
		{[]string{"AI", "OTHER"}, "ai", "", -1, `"ai" is not one of`},
		{[]string{"negative", "neutral", "positive"}, "positive", "", -1, "only a two-class model"},
	} {
		got, err := Positive(tc.labels, tc.declared, tc.def)
		if got != tc.want || (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("Positive(%q, %q, %q) = %d, %v; want %d, %q", tc.labels, tc.declared, tc.def, got, err, tc.want, tc.wantErr)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"three-class", "all", "AI,OTHER", "a,,b", " x , y ", "none"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(sp.String())
		if err != nil || again.String() != sp.String() {
			t.Fatalf("%q -> %q does not parse back: %v", s, sp.String(), err)
		}
		if sp.IsAll() || sp.IsNone() {
			return
		}
		l, err := sp.Labels(nil)
		if err != nil || len(l) < 2 {
			t.Fatalf("%q: labels %q, %v", s, l, err)
		}
		for _, n := range l {
			if n == "" || n != strings.TrimSpace(n) {
				t.Fatalf("%q: bad name %q", s, n)
			}
		}
	})
}
