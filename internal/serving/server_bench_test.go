package serving

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
)

// benchModel is a model of the production shape: default featurizer
// (200,000 n-gram buckets), 50-d embeddings, 3 classes.
func benchModel(b *testing.B) *Model {
	b.Helper()
	tm, err := servingtest.Random(servingtest.Options{Version: "bench", Dim: 50, Buckets: 200000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	m, err := LoadFiles(tm.Files, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func benchTexts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s #%d", servingtest.Texts[i%len(servingtest.Texts)], i)
	}
	return out
}

// discardWriter is a minimal http.ResponseWriter.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// BenchmarkHandlerSingle is the in-process cost of one POST /predict
// {"text": ...} (no network).
func BenchmarkHandlerSingle(b *testing.B) {
	srv := New(StaticRegistry(benchModel(b)))
	body := `{"text":"I love this new phone, the camera is amazing! :) but the battery is not great"}`
	req, _ := http.NewRequest(http.MethodPost, "/predict", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		req.Body = nopCloser{strings.NewReader(body)}
		req.ContentLength = int64(len(body))
		srv.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatal(w.code)
		}
	}
	reportCPU(b, start, 1)
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

// BenchmarkModelPredict scores batches directly; texts/s is the metric.
func BenchmarkModelPredict(b *testing.B) {
	m := benchModel(b)
	for _, n := range []int{1, 32, 1000} {
		texts := benchTexts(n)
		b.Run(fmt.Sprint("batch", n), func(b *testing.B) {
			var dst []float32
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				var err error
				if dst, err = m.PredictInto(dst[:0], texts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "texts/s")
			reportCPU(b, start, n)
		})
	}
}

// BenchmarkHandlerBatch is POST /predict {"texts": [1000 texts]} in process.
func BenchmarkHandlerBatch(b *testing.B) {
	srv := New(StaticRegistry(benchModel(b)))
	texts := benchTexts(1000)
	body := `{"texts":["` + strings.Join(texts, `","`) + `"]}`
	req, _ := http.NewRequest(http.MethodPost, "/predict", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		req.Body = nopCloser{strings.NewReader(body)}
		req.ContentLength = int64(len(body))
		srv.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatal(w.code)
		}
	}
	b.ReportMetric(float64(len(texts)*b.N)/b.Elapsed().Seconds(), "texts/s")
	reportCPU(b, start, len(texts))
}

// cpuTime is the CPU time (user + system) of the process so far. Reporting
// CPU time per operation next to wall time keeps the figures meaningful on
// a busy machine, where wall time also counts other processes' turns.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per op and per text since start.
func reportCPU(b *testing.B, start time.Duration, textsPerOp int) {
	cpu := cpuTime() - start
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	if textsPerOp > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*textsPerOp), "cpu-ns/text")
	}
}

// BenchmarkRealBodies replays request bodies (one JSON per line, file in
// TWEETFLOW_BENCH_BODIES) against a model folder (TWEETFLOW_BENCH_MODEL),
// in process: e.g. the trained demo model and the tweets of
// hack/bench-serve.sh. Skipped when the variables are unset.
func BenchmarkRealBodies(b *testing.B) {
	dir, path := os.Getenv("TWEETFLOW_BENCH_MODEL"), os.Getenv("TWEETFLOW_BENCH_BODIES")
	if dir == "" || path == "" {
		b.Skip("set TWEETFLOW_BENCH_MODEL and TWEETFLOW_BENCH_BODIES")
	}
	m, err := Load(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var bodies []string
	texts := 0
	for _, l := range strings.Split(string(raw), "\n") {
		if l != "" {
			bodies = append(bodies, l)
			texts += strings.Count(l, `", "`) + strings.Count(l, `","`) + 1
		}
	}
	srv := New(StaticRegistry(m))
	req, _ := http.NewRequest(http.MethodPost, "/predict", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	start := cpuTime()
	i := 0
	for b.Loop() {
		body := bodies[i%len(bodies)]
		i++
		req.Body = nopCloser{strings.NewReader(body)}
		req.ContentLength = int64(len(body))
		srv.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatal(w.code)
		}
	}
	perReq := float64(texts) / float64(len(bodies))
	b.ReportMetric(perReq*float64(b.N)/b.Elapsed().Seconds(), "texts/s")
	reportCPU(b, start, int(perReq))
}
