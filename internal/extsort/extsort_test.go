package extsort

import (
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

type pair = Pair

var pairCodec = PairCodec

func TestSortMatchesSlicesSort(t *testing.T) {
	for _, tc := range []struct {
		name     string
		n        int
		memory   int64
		keys     uint64 // distinct keys (duplicates when < n)
		wantRuns int
	}{
		{"empty", 0, 1 << 10, 10, 0},
		{"one record", 1, 1 << 10, 10, 0},
		{"in memory", 1000, 1 << 20, 1 << 40, 0},
		{"exactly one buffer", 64, 64 * 16, 1 << 40, 0},
		{"one more than a buffer", 65, 64 * 16, 1 << 40, 2},
		{"many runs", 10000, 100 * 16, 1 << 40, 100},
		{"many duplicates", 5000, 64 * 16, 7, 79},
		{"memory below a record", 10, 1, 1 << 40, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := New(pairCodec, WithDir(dir), WithMemory(tc.memory))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rng := rand.New(rand.NewPCG(1, uint64(tc.n)))
			want := make([]pair, tc.n)
			for i := range want {
				want[i] = pair{A: rng.Uint64N(tc.keys), B: uint64(i)}
				if err := s.Add(want[i]); err != nil {
					t.Fatal(err)
				}
			}
			slices.SortFunc(want, pairCodec.Compare)
			for round := range 2 { // Sort twice: the same records again
				it, err := s.Sort()
				if err != nil {
					t.Fatal(err)
				}
				var got []pair
				for p, ok := it.Next(); ok; p, ok = it.Next() {
					got = append(got, p)
				}
				if err := it.Err(); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("round %d: got %d records, want %d; first difference at %d", round, len(got), len(want), firstDiff(got, want))
				}
			}
			if s.Len() != int64(tc.n) || s.Runs() != tc.wantRuns {
				t.Errorf("Len %d Runs %d, want %d and %d", s.Len(), s.Runs(), tc.n, tc.wantRuns)
			}
			// The run file is unlinked as soon as it is created.
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("the sort left %d files in its folder", len(ents))
			}
			if err := s.Add(pair{}); err == nil {
				t.Error("Add after Sort: no error")
			}
		})
	}
}

func firstDiff(a, b []pair) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestTwoIteratorsInLockstep(t *testing.T) {
	s, err := New(pairCodec, WithDir(t.TempDir()), WithMemory(10*16))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 95 {
		if err := s.Add(pair{A: uint64(95 - i)}); err != nil {
			t.Fatal(err)
		}
	}
	a, err := s.Sort()
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Sort()
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 95; i++ {
		pa, oka := a.Next()
		if i > 3 {
			pb, okb := b.Next()
			if !okb || pb.A != uint64(i-3) {
				t.Fatalf("iterator b at %d: %v %v", i, pb, okb)
			}
		}
		if !oka || pa.A != uint64(i) {
			t.Fatalf("iterator a at %d: %v %v", i, pa, oka)
		}
	}
}

func TestBadDir(t *testing.T) {
	s, err := New(pairCodec, WithDir("/nonexistent/extsort"), WithMemory(16))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(pair{A: 1, B: 1}); err != nil {
		t.Fatal(err) // the first record fits in memory
	}
	err = s.Add(pair{A: 2, B: 2})
	if err == nil {
		t.Fatal("spilling into a missing folder: no error")
	}
	if _, err2 := s.Sort(); err2 == nil {
		t.Error("Sort after a failed spill: no error")
	}
	t.Log(err)
}

func TestNewChecksCodec(t *testing.T) {
	if _, err := New(Codec[pair]{Size: 16}); err == nil {
		t.Error("a codec without functions: no error")
	}
}

func BenchmarkSort(b *testing.B) {
	for _, mem := range []int64{DefaultMemory, 1 << 20} {
		b.Run(map[int64]string{DefaultMemory: "in-memory", 1 << 20: "spilled"}[mem], func(b *testing.B) {
			const n = 1 << 20
			rng := rand.New(rand.NewPCG(1, 2))
			recs := make([]pair, n)
			for i := range recs {
				recs[i] = pair{A: rng.Uint64(), B: uint64(i)}
			}
			b.SetBytes(n * 16)
			for b.Loop() {
				s, _ := New(pairCodec, WithDir(b.TempDir()), WithMemory(mem))
				for _, p := range recs {
					_ = s.Add(p)
				}
				it, err := s.Sort()
				if err != nil {
					b.Fatal(err)
				}
				for _, ok := it.Next(); ok; _, ok = it.Next() {
				}
				s.Close()
			}
		})
	}
}
