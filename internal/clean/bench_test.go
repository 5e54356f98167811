package clean

import (
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// cpuTime returns the CPU time (user+system) used by the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the process CPU time per unit: wall-clock ns/op is
// meaningless on a loaded 2-core machine, CPU time much less so.
func reportCPU(b *testing.B, start time.Duration, units int, unit string) {
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(units), "cpu-ns/"+unit)
}

// BenchmarkProcessStreaming measures one streaming pass (clean, links,
// key, dedupe) over the SemEval rows, starting a fresh Processor at each
// pass over the data; one op is one row.
func BenchmarkProcessStreaming(b *testing.B) {
	rows := readSemEvalTB(b)
	p, err := NewProcessor()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start := cpuTime()
	i := 0
	for b.Loop() {
		t := rows[i]
		p.Process(&t)
		if i++; i == len(rows) {
			i = 0
			p, _ = NewProcessor()
		}
	}
	reportCPU(b, start, b.N, "op")
}

// BenchmarkTwoPass runs Observe then Process over all SemEval rows with a
// fresh Processor; one op is the whole data set.
func BenchmarkTwoPass(b *testing.B) {
	rows := readSemEvalTB(b)
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		p, err := NewProcessor()
		if err != nil {
			b.Fatal(err)
		}
		for i := range rows {
			if err := p.Observe(&rows[i]); err != nil {
				b.Fatal(err)
			}
		}
		for i := range rows {
			t := rows[i]
			p.Process(&t)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(rows)), "ns/row")
	reportCPU(b, start, b.N*len(rows), "row")
}

// BenchmarkMemoryPerKey reports the heap held by a Processor per unique key
// (and id) after a streaming pass over synthetic unique rows; one op is one
// row.
func BenchmarkMemoryPerKey(b *testing.B) {
	const n = 200000
	rows := make([]dataset.Tweet, n)
	for i := range rows {
		s := strconv.Itoa(i)
		rows[i] = dataset.Tweet{ID: s, Label: "neutral", Text: "tweet number " + s + " is unique"}
	}
	var held float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		p, err := NewProcessor()
		if err != nil {
			b.Fatal(err)
		}
		for i := range rows {
			t := rows[i]
			if !p.Process(&t) {
				b.Fatalf("row %d dropped", i)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		held = float64(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(p)
	}
	b.ReportMetric(held, "heap-B/key")
}
