package runtime_test

import (
	goruntime "runtime"
	"testing"

	"github.com/tweetflow/tweetflow/internal/onnx"
	"github.com/tweetflow/tweetflow/internal/onnx/onnxtest"
	"github.com/tweetflow/tweetflow/internal/onnx/runtime"
)

// benchSpec is a realistic serving model: 20k vocabulary + n-gram rows,
// 100-d embeddings, 3 classes.
var benchSpec = onnxtest.Spec{Rows: 20000, Dim: 100, Classes: 3}

func benchModel(b *testing.B, spec onnxtest.Spec) *runtime.Model {
	b.Helper()
	raw, err := onnx.Export(onnxtest.Classifier(1, spec))
	if err != nil {
		b.Fatal(err)
	}
	m, err := runtime.LoadBytes(raw)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// benchInput returns a [batch, 20] id tensor with every row full of tokens.
func benchInput(b *testing.B, batch, rows int) *runtime.Tensor {
	b.Helper()
	ids := onnxtest.IDs(7, batch, 20, rows)
	flat := make([]int64, 0, batch*20)
	for _, r := range ids {
		for j := range r {
			if r[j] == 0 {
				r[j] = int64(1 + j)
			}
		}
		flat = append(flat, r...)
	}
	t, err := runtime.NewInt64([]int{batch, 20}, flat)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

func benchSession(b *testing.B, spec onnxtest.Spec, batch int) {
	m := benchModel(b, spec)
	in := map[string]*runtime.Tensor{onnx.InputName: benchInput(b, batch, spec.Rows)}
	s := m.NewSession()
	if _, err := s.Run(in); err != nil {
		b.Fatal(err)
	}
	// The thread's CPU time is reported too: on a shared machine it is a
	// steadier measure than wall time.
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	b.ReportAllocs()
	cpu0 := threadCPU()
	for b.Loop() {
		if _, err := s.Run(in); err != nil {
			b.Fatal(err)
		}
	}
	if cpu0 >= 0 {
		cpu := float64(threadCPU()-cpu0) / float64(b.N)
		b.ReportMetric(cpu, "cpu-ns/op")
		b.ReportMetric(float64(batch)/cpu*1e9, "tweets/cpu-s")
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "tweets/s")
}

// BenchmarkSessionSingle scores one 20-token tweet with a reused Session.
func BenchmarkSessionSingle(b *testing.B) { benchSession(b, benchSpec, 1) }

// BenchmarkSessionBatch256 scores 256 tweets per call.
func BenchmarkSessionBatch256(b *testing.B) { benchSession(b, benchSpec, 256) }

// BenchmarkSessionSingleHidden adds a 64-unit hidden layer.
func BenchmarkSessionSingleHidden(b *testing.B) {
	benchSession(b, onnxtest.Spec{Rows: 20000, Dim: 100, Hidden: 64, Classes: 3}, 1)
}

// BenchmarkModelRunSingle uses the pooled, allocating Model.Run.
func BenchmarkModelRunSingle(b *testing.B) {
	m := benchModel(b, benchSpec)
	in := map[string]*runtime.Tensor{onnx.InputName: benchInput(b, 1, benchSpec.Rows)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Run(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkModelRunParallel runs Model.Run from GOMAXPROCS goroutines.
func BenchmarkModelRunParallel(b *testing.B) {
	m := benchModel(b, benchSpec)
	in := map[string]*runtime.Tensor{onnx.InputName: benchInput(b, 1, benchSpec.Rows)}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := m.Run(in); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
