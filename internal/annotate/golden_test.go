package annotate

import (
	"reflect"
	"testing"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name  string
		votes []Vote
		want  Resolution
	}{
		{"single annotator", []Vote{{1, "ann", "AI"}, {2, "ann", "OTHER"}},
			Resolution{Decisions: []Decision{{1, "AI", 1, 1}, {2, "OTHER", 1, 1}}}},
		{"majority of three", []Vote{{1, "a", "AI"}, {1, "b", "OTHER"}, {1, "c", "AI"}},
			Resolution{Decisions: []Decision{{1, "AI", 3, 2}}}},
		{"two annotators disagree: tie", []Vote{{1, "a", "AI"}, {1, "b", "OTHER"}, {2, "a", "AI"}, {2, "b", "AI"}},
			Resolution{Decisions: []Decision{{2, "AI", 2, 2}}, Ties: []int64{1}}},
		{"skip does not vote", []Vote{{1, "a", ""}, {1, "b", "OTHER"}},
			Resolution{Decisions: []Decision{{1, "OTHER", 1, 1}}}},
		{"all skips", []Vote{{3, "a", ""}, {3, "b", ""}}, Resolution{Skipped: []int64{3}}},
		{"later vote of the same annotator wins", []Vote{{1, "a", "AI"}, {1, "a", "OTHER"}},
			Resolution{Decisions: []Decision{{1, "OTHER", 1, 1}}}},
		{"tasks sorted by id", []Vote{{9, "a", "x"}, {4, "a", "y"}},
			Resolution{Decisions: []Decision{{4, "y", 1, 1}, {9, "x", 1, 1}}}},
		{"no votes", nil, Resolution{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Resolve(tc.votes); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Resolve = %+v, want %+v", got, tc.want)
			}
		})
	}
}
