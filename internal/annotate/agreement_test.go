package annotate

import (
	"math"
	"strings"
	"testing"
)

// labels splits a space-separated row; "." is a missing value.
func labels(s string) []string { return strings.Fields(s) }

func TestCohenKappa(t *testing.T) {
	rep := func(n int, l string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = l
		}
		return out
	}
	cat := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name string
		a, b []string
		want float64
	}{
		// Wikipedia "Cohen's kappa", first example: 50 proposals, yes/yes 20,
		// yes/no 5, no/yes 10, no/no 15 -> po 0.7, pe 0.5, kappa 0.4.
		{"wikipedia grant proposals",
			cat(rep(20, "yes"), rep(5, "yes"), rep(10, "no"), rep(15, "no")),
			cat(rep(20, "yes"), rep(5, "no"), rep(10, "yes"), rep(15, "no")), 0.4},
		// Krippendorff (2011) binary example: po 0.6, pe 0.56 -> 0.04/0.44.
		{"krippendorff binary data", labels("0 1 0 0 0 0 0 0 1 0"), labels("1 1 1 0 0 1 0 0 0 0"), 0.04 / 0.44},
		{"perfect", labels("a b c a"), labels("a b c a"), 1},
		{"one label everywhere", labels("a a a"), labels("a a a"), 1},
		// Complete, systematic disagreement: po 0, pe 0.5 -> -1.
		{"opposite", labels("a b a b"), labels("b a b a"), -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CohenKappa(tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("kappa = %.6f, want %.6f", got, tc.want)
			}
		})
	}
	if _, err := CohenKappa(labels("a"), labels("a b")); err == nil {
		t.Error("different lengths: want an error")
	}
	if _, err := CohenKappa(nil, nil); err == nil {
		t.Error("no items: want an error")
	}
}

// units builds reliability data from coder rows ("." = missing).
func units(rows ...string) [][]string {
	var grid [][]string
	for _, r := range rows {
		grid = append(grid, labels(r))
	}
	out := make([][]string, len(grid[0]))
	for _, row := range grid {
		for u, v := range row {
			if v != "." {
				out[u] = append(out[u], v)
			}
		}
	}
	return out
}

func TestKrippendorffAlpha(t *testing.T) {
	tests := []struct {
		name  string
		units [][]string
		want  float64
		tol   float64
	}{
		// Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011),
		// section A: two observers, binary data, alpha = 0.095.
		{"krippendorff 2011 binary", units("0 1 0 0 0 0 0 0 1 0", "1 1 1 0 0 1 0 0 0 0"), 0.095, 5e-4},
		// Section C: four observers, nominal values, missing data, alpha = 0.743.
		{"krippendorff 2011 nominal with missing data", units(
			"1 2 3 3 2 1 4 1 2 . . .",
			"1 2 3 3 2 2 4 1 2 5 . 3",
			". 3 3 3 2 3 4 2 2 5 1 .",
			"1 2 3 3 2 4 4 1 2 5 1 ."), 0.743, 5e-4},
		{"perfect agreement", units("a b c", "a b c", "a b c"), 1, 1e-12},
		{"one label everywhere", units("a a", "a a"), 1, 1e-12},
		// Two coders, two units, full disagreement: Do = 1, De = 4*... ->
		// n=4, o(a,b)=o(b,a)=2, n_a=n_b=2: alpha = 1 - 3*4/(2*2*2) = -0.5.
		{"systematic disagreement", units("a b", "b a"), -0.5, 1e-12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := KrippendorffAlpha(tc.units)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > tc.tol {
				t.Errorf("alpha = %.6f, want %.6f", got, tc.want)
			}
		})
	}
	if _, err := KrippendorffAlpha([][]string{{"a"}, {"b"}}); err == nil {
		t.Error("no pairable unit: want an error")
	}
}

func TestComputeAgreement(t *testing.T) {
	// Tasks 1-4 labeled by ann and bob (agree on 1, 2, 4), task 5 by ann
	// alone, task 6 skipped by bob: only tasks 1-4 are pairable.
	votes := []Vote{
		{1, "ann", "AI"}, {1, "bob", "AI"},
		{2, "ann", "OTHER"}, {2, "bob", "OTHER"},
		{3, "ann", "AI"}, {3, "bob", "OTHER"},
		{4, "ann", "OTHER"}, {4, "bob", "OTHER"},
		{5, "ann", "AI"},
		{6, "ann", "AI"}, {6, "bob", ""},
	}
	ag := ComputeAgreement(votes)
	wantK, _ := CohenKappa(labels("AI OTHER AI OTHER"), labels("AI OTHER OTHER OTHER"))
	wantA, _ := KrippendorffAlpha(units("AI OTHER AI OTHER", "AI OTHER OTHER OTHER"))
	if ag.Units != 4 || !ag.HasAlpha || math.Abs(ag.Alpha-wantA) > 1e-12 {
		t.Errorf("alpha over %d units = %v (%v), want 4 units, %v", ag.Units, ag.Alpha, ag.HasAlpha, wantA)
	}
	if len(ag.Pairs) != 1 || ag.Pairs[0].A != "ann" || ag.Pairs[0].B != "bob" || ag.Pairs[0].Items != 4 || math.Abs(ag.Pairs[0].Kappa-wantK) > 1e-12 {
		t.Errorf("pairs = %+v, want ann/bob on 4 items, kappa %v", ag.Pairs, wantK)
	}
	// po = 0.75, pe = 0.5*0.25 + 0.5*0.75 = 0.5 -> kappa 0.5.
	if math.Abs(wantK-0.5) > 1e-12 {
		t.Errorf("kappa = %v, want 0.5", wantK)
	}
	if ag := ComputeAgreement(votes[8:9]); ag.HasAlpha || ag.Units != 0 || len(ag.Pairs) != 0 {
		t.Errorf("one annotator: %+v, want no agreement", ag)
	}
}
