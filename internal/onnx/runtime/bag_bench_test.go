package runtime

import (
	"fmt"
	"math/rand/v2"
	goruntime "runtime"
	"testing"
)

// bagFixture is an embedding table and bags of random row offsets.
func bagFixture(rows, dim, bags, perBag int) (table []float32, offs, ends []int) {
	r := rand.New(rand.NewPCG(1, 2))
	table = make([]float32, rows*dim)
	for i := range table {
		table[i] = r.Float32() - 0.5
	}
	offs = make([]int, bags*perBag)
	for i := range offs {
		offs[i] = r.IntN(rows) * dim
	}
	for b := range bags {
		ends = append(ends, (b+1)*perBag)
	}
	return table, offs, ends
}

// BenchmarkSumBags sums bags of 150 random 50-d rows (a tweet of
// tweetflow's demo model) from a table that fits the L2 cache (2k rows) and
// from one the size of the demo model's (116k rows, 23 MB), one bag per call
// (single predictions) and 32 bags per call (a batch chunk), with the kernel
// of this machine ("asm" on amd64 with AVX2) and the portable one. ns/op is
// per bag.
func BenchmarkSumBags(b *testing.B) {
	const dim, bags, per = 50, 1024, 150
	for _, rows := range []int{2000, 115729} {
		table, offs, ends := bagFixture(rows, dim, bags, per)
		out := make([]float32, bags*dim)
		for _, chunk := range []int{1, 32} {
			for _, k := range []struct {
				name string
				f    func(out, table []float32, offs, ends []int, dim int)
			}{{"asm", sumBags}, {"go", sumBagsGo}} {
				if k.name == "asm" && !useBagAsm {
					continue
				}
				ce := ends[:chunk]
				b.Run(fmt.Sprintf("rows%d/chunk%d/%s", rows, chunk, k.name), func(b *testing.B) {
					// The thread's CPU time is steadier than wall time on a
					// shared machine (memory stalls count as CPU time).
					goruntime.LockOSThread()
					defer goruntime.UnlockOSThread()
					i := 0
					cpu0 := threadCPUTime()
					for b.Loop() {
						k.f(out, table, offs[i*per:(i+chunk)*per], ce, dim)
						i = (i + chunk) % (bags - chunk)
					}
					if cpu0 >= 0 {
						b.ReportMetric(float64(threadCPUTime()-cpu0)/float64(b.N*chunk), "cpu-ns/bag")
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*chunk), "ns/bag")
				})
			}
		}
	}
}
