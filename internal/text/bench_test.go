package text

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time (user+system) used by the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the process CPU time per op: wall-clock ns/op is
// meaningless on a loaded 2-core machine, CPU time much less so.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// The benchmarks run over every SemEval-2017 task 4A tweet (skipped when the
// data is missing); one op is one tweet.

func BenchmarkClean(b *testing.B) {
	texts := loadSemEval(b)
	c := mustCleaner(b)
	var bytes int64
	for _, s := range texts {
		bytes += int64(len(s))
	}
	b.SetBytes(bytes / int64(len(texts)))
	b.ReportAllocs()
	start := cpuTime()
	i := 0
	for b.Loop() {
		_ = c.Clean(texts[i])
		if i++; i == len(texts) {
			i = 0
		}
	}
	reportCPU(b, start)
}

func BenchmarkAppendClean(b *testing.B) {
	texts := loadSemEval(b)
	c := mustCleaner(b)
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	start := cpuTime()
	i := 0
	for b.Loop() {
		buf = c.AppendClean(buf[:0], texts[i])
		if i++; i == len(texts) {
			i = 0
		}
	}
	reportCPU(b, start)
}

func BenchmarkTokenize(b *testing.B) {
	texts := loadSemEval(b)
	c := mustCleaner(b)
	clean := make([]string, len(texts))
	for i, s := range texts {
		clean[i] = c.Clean(s)
	}
	b.ReportAllocs()
	start := cpuTime()
	i := 0
	for b.Loop() {
		_ = Tokenize(clean[i])
		if i++; i == len(clean) {
			i = 0
		}
	}
	reportCPU(b, start)
}

// BenchmarkCleanTokenize is what serving and training do per tweet.
func BenchmarkCleanTokenize(b *testing.B) {
	texts := loadSemEval(b)
	c := mustCleaner(b)
	toks := make([]string, 0, 128)
	b.ReportAllocs()
	start := cpuTime()
	i := 0
	for b.Loop() {
		toks = AppendTokens(toks[:0], c.Clean(texts[i]))
		if i++; i == len(texts) {
			i = 0
		}
	}
	reportCPU(b, start)
}

func BenchmarkExtractURLs(b *testing.B) {
	texts := loadSemEval(b)
	b.ReportAllocs()
	start := cpuTime()
	i := 0
	for b.Loop() {
		_ = ExtractURLs(texts[i])
		if i++; i == len(texts) {
			i = 0
		}
	}
	reportCPU(b, start)
}

func BenchmarkNormKey(b *testing.B) {
	texts := loadSemEval(b)
	c := mustCleaner(b)
	clean := make([]string, len(texts))
	for i, s := range texts {
		clean[i] = c.Clean(s)
	}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	start := cpuTime()
	i := 0
	for b.Loop() {
		buf = AppendNormKey(buf[:0], clean[i])
		if i++; i == len(clean) {
			i = 0
		}
	}
	reportCPU(b, start)
}
