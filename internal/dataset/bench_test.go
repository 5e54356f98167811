package dataset

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// cpuSeconds is the process CPU time (all threads, GC included): a rate
// per CPU second is robust on a shared machine where wall time is not.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

type countingDiscard struct{ n int64 }

func (c *countingDiscard) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
func (c *countingDiscard) Close() error                { return nil }

// heapPeak samples HeapInuse; call sample() periodically.
type heapPeak struct {
	ms   runtime.MemStats
	peak uint64
}

func (h *heapPeak) sample() {
	runtime.ReadMemStats(&h.ms)
	if h.ms.HeapInuse > h.peak {
		h.peak = h.ms.HeapInuse
	}
}

// BenchmarkWrite writes 100k generated tweets per op with each codec and
// reports tweets/s and the output size.
func BenchmarkWrite(b *testing.B) {
	pool := Generate(1, 100_000, GenerateOptions{Cleaned: true})
	for _, c := range []Compression{Zstd, Snappy, Uncompressed} {
		b.Run(c.String(), func(b *testing.B) {
			var out int64
			b.ReportAllocs()
			cpu0 := cpuSeconds()
			for i := 0; i < b.N; i++ {
				sink := &countingDiscard{}
				w := NewShardWriter(func(string) (io.WriteCloser, error) { return sink, nil }, WithCompression(c))
				for j := range pool {
					if err := w.Write(&pool[j]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				out = sink.n
			}
			b.ReportMetric(float64(len(pool))*float64(b.N)/b.Elapsed().Seconds(), "tweets/s")
			b.ReportMetric(float64(out)/float64(len(pool)), "file_bytes/tweet")
			b.ReportMetric(float64(len(pool))*float64(b.N)/(cpuSeconds()-cpu0), "tweets/cpu-s")
		})
	}
}

// BenchmarkRead reads a 100k-row shard per op with each codec.
func BenchmarkRead(b *testing.B) {
	pool := Generate(1, 100_000, GenerateOptions{Cleaned: true})
	for _, c := range []Compression{Zstd, Snappy, Uncompressed} {
		b.Run(c.String(), func(b *testing.B) {
			s, st := writeAll(b, pool, WithCompression(c))
			data := s.files[st.Shards[0]].Bytes()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuSeconds()
			for i := 0; i < b.N; i++ {
				n := 0
				if err := ReadShard(bytes.NewReader(data), int64(len(data)), func(*Tweet) error { n++; return nil }); err != nil || n != len(pool) {
					b.Fatal(err, n)
				}
			}
			b.ReportMetric(float64(len(pool))*float64(b.N)/b.Elapsed().Seconds(), "tweets/s")
			b.ReportMetric(float64(len(pool))*float64(b.N)/(cpuSeconds()-cpu0), "tweets/cpu-s")
		})
	}
}

// BenchmarkWriteMemory streams 100k, 1M and 3M rows (a 20k-row pool
// resampled) through one ShardWriter into a discarding sink and reports the
// peak HeapInuse sampled every 10k rows: it stays flat as rows grow because
// only one record batch is buffered.
func BenchmarkWriteMemory(b *testing.B) {
	pool := Generate(2, 20_000, GenerateOptions{Cleaned: true})
	for _, rows := range []int{100_000, 1_000_000, 3_000_000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			b.ReportAllocs()
			var peak uint64
			for i := 0; i < b.N; i++ {
				runtime.GC()
				h := &heapPeak{}
				h.sample()
				base := h.peak
				w := NewShardWriter(func(string) (io.WriteCloser, error) { return &countingDiscard{}, nil })
				n := 0
				err := Resample(uint64(i), pool, rows, ResampleOptions{}, func(t *Tweet) error {
					n++
					if n%10_000 == 0 {
						h.sample()
					}
					return w.Write(t)
				})
				if err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				h.sample()
				if h.peak-base > peak {
					peak = h.peak - base
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak_heap_MB")
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "tweets/s")
		})
	}
}
