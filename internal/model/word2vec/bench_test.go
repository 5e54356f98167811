//go:build unix

package word2vec

import (
	"context"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"
)

// benchTrain trains one epoch per iteration on all shared real tweets
// (lowercased, whitespace-tokenized; skipped when the data is missing) and
// reports raw corpus words per second of training, vocabulary building
// excluded — the figure hack/gensim-compare compares with gensim — and
// raw words per CPU-second of the process (less sensitive to other load on
// the machine; includes the vocabulary phase).
func benchTrain(b *testing.B, opts ...Option) {
	tw := loadTweets(b)
	opts = append([]Option{WithEpochs(1), WithThreads(runtime.GOMAXPROCS(0))}, opts...)
	var words int64
	var train time.Duration
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for range b.N {
		m, err := Train(context.Background(), slices.Values(tw), opts...)
		if err != nil {
			b.Fatal(err)
		}
		words += m.Stats.RawWords * int64(m.Params.Epochs)
		train += m.Stats.TrainTime
	}
	b.ReportMetric(float64(words)/train.Seconds(), "words/s")
	b.ReportMetric(float64(words)/(cpuSeconds()-cpu0), "words/cpu-s")
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func BenchmarkTrainSkipGram(b *testing.B) { benchTrain(b) }

func BenchmarkTrainSkipGram1Thread(b *testing.B) { benchTrain(b, WithThreads(1)) }

func BenchmarkTrainCBOW(b *testing.B) { benchTrain(b, WithArch(CBOW)) }

func benchKernel(b *testing.B, fn func(h, out, e []float32)) {
	h, out, e := make([]float32, 100), make([]float32, 100), make([]float32, 100)
	for i := range h {
		h[i], out[i] = float32(i)*1e-3, float32(100-i)*1e-3
	}
	for b.Loop() {
		fn(h, out, e)
	}
}

var sink float32

// BenchmarkKernels measures one negative-sampling step at dim 100 (dot
// product, sigmoid, updates), as used in training vs pure Go.
func BenchmarkKernels(b *testing.B) {
	b.Run("step", func(b *testing.B) {
		benchKernel(b, func(h, out, e []float32) { sink += negStep(h, out, e, 0, 1e-6) })
	})
	b.Run("step-go", func(b *testing.B) {
		benchKernel(b, func(h, out, e []float32) {
			f := dotGo(h, out)
			sink += f
			sgdGo((0-sigmoidTable[int((f+maxExp)*expScale)])*1e-6, h, out, e)
		})
	})
}
