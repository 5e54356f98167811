package runtime_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/onnx"
	"github.com/tweetflow/tweetflow/internal/onnx/onnxtest"
	"github.com/tweetflow/tweetflow/internal/onnx/runtime"
)

// FuzzLoadRun feeds corrupted models to Load and Run: they must fail with
// an error, never panic. Plain go test runs only the seeds; run
// go test -fuzz FuzzLoadRun ./internal/onnx/runtime to explore.
func FuzzLoadRun(f *testing.F) {
	raw, err := onnx.Export(onnxtest.Classifier(1, onnxtest.Spec{Rows: 6, Dim: 3, Hidden: 2, Classes: 2}))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw, []byte{1, 2, 0, 5})
	f.Add(raw[:len(raw)/2], []byte{0})
	f.Add(raw[:len(raw)-3], []byte{9, 9, 9})
	f.Add([]byte{}, []byte{})
	for _, i := range []int{10, 50, 100, 200} {
		if i < len(raw) {
			b := append([]byte(nil), raw...)
			b[i] ^= 0x5a
			f.Add(b, []byte{3, 1})
		}
	}
	f.Fuzz(func(t *testing.T, model, ids []byte) {
		m, err := runtime.LoadBytes(model)
		if err != nil {
			return
		}
		flat := make([]int64, len(ids))
		for i, b := range ids {
			flat[i] = int64(b) - 4
		}
		in := map[string]*runtime.Tensor{}
		for _, vi := range m.Inputs() {
			in[vi.Name] = &runtime.Tensor{Type: runtime.Int64, Shape: []int{1, len(flat)}, Int64: flat}
		}
		_, _ = m.Run(in) // errors are fine; panics fail the fuzzer
	})
}

// TestCorruptedModels flips random bytes of an exported model: Load and Run
// must fail with errors (or succeed), never panic, not even inside a kernel
// (Run turns kernel panics into "panic:" errors, which this test rejects).
func TestCorruptedModels(t *testing.T) {
	raw, err := onnx.Export(onnxtest.Classifier(1, onnxtest.Spec{Rows: 6, Dim: 3, Hidden: 2, Classes: 2}))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	loaded := 0
	for range 2000 {
		b := append([]byte(nil), raw...)
		for range 1 + r.IntN(4) {
			b[r.IntN(len(b))] = byte(r.IntN(256))
		}
		m, err := runtime.LoadBytes(b)
		if err != nil {
			continue
		}
		loaded++
		in := map[string]*runtime.Tensor{}
		for _, vi := range m.Inputs() {
			in[vi.Name] = &runtime.Tensor{Type: runtime.Int64, Shape: []int{2, 3}, Int64: []int64{1, 2, 0, 5, 0, 0}}
		}
		if _, err := m.Run(in); err != nil && strings.Contains(err.Error(), "panic:") {
			t.Fatalf("corrupted model panicked: %v", err)
		}
	}
	if loaded == 0 {
		t.Error("no corrupted model loaded; the test exercises nothing past Load")
	}
	t.Logf("%d of 2000 corrupted models loaded", loaded)
}
