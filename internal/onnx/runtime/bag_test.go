package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// TestSumBags checks the embedding-bag kernel used on this machine (AVX2
// assembly on amd64) against the portable one, bit for bit, for row widths
// around the register blocking (8 columns, 64 per pass) and bags of 0 to
// 150 rows.
func TestSumBags(t *testing.T) {
	if !useBagAsm {
		t.Log("no assembly kernel on this machine: comparing the portable kernel with itself")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, dim := range []int{1, 2, 7, 8, 9, 15, 16, 50, 63, 64, 65, 100, 128, 131} {
		t.Run(fmt.Sprint("dim", dim), func(t *testing.T) {
			rows := 37
			table := make([]float32, rows*dim)
			for i := range table {
				// Mixed magnitudes so that the summation order shows.
				table[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(7)-3)))
			}
			var offs, ends []int
			for _, n := range []int{0, 1, 2, 5, 8, 9, 0, 33, 150, 3} {
				for range n {
					offs = append(offs, r.IntN(rows)*dim)
				}
				ends = append(ends, len(offs))
			}
			// The output is poisoned so that unwritten columns show.
			got := slices.Repeat([]float32{float32(math.NaN())}, len(ends)*dim)
			want := make([]float32, len(ends)*dim)
			sumBags(got, table, offs, ends, dim)
			sumBagsGo(want, table, offs, ends, dim)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("bag %d column %d: got %v, want %v", i/dim, i%dim, got[i], want[i])
				}
			}
			// An all-empty batch writes zeros.
			got = slices.Repeat([]float32{1}, 2*dim)
			sumBags(got, table, nil, []int{0, 0}, dim)
			if slices.ContainsFunc(got, func(v float32) bool { return v != 0 }) {
				t.Fatalf("empty bags: got %v, want zeros", got)
			}
		})
	}
}

// TestHugeTable checks that the huge-page copy of a table keeps its values
// and length, and is 2 MiB aligned when it is a copy.
func TestHugeTable(t *testing.T) {
	for _, n := range []int{10, hugeMin/4 - 1, hugeMin/4 + 12345} {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(i) * 0.5
		}
		got := hugeTable(src)
		if !slices.Equal(got, src) || cap(got) != n {
			t.Fatalf("n %d: copy differs (len %d, cap %d)", n, len(got), cap(got))
		}
		copied := &got[0] != &src[0]
		if copied != (n*4 >= hugeMin && hugeCopies) {
			t.Errorf("n %d: copied %v", n, copied)
		}
		if copied && uintptr(unsafe.Pointer(&got[0]))%(2<<20) != 0 {
			t.Errorf("n %d: copy at %p is not 2 MiB aligned", n, &got[0])
		}
	}
}
