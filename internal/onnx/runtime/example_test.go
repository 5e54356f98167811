package runtime_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/tweetflow/tweetflow/internal/onnx"
	"github.com/tweetflow/tweetflow/internal/onnx/runtime"
)

func Example() {
	// A tiny exported classifier: ids 1 and 2 lean "positive", id 3 "negative".
	model, err := onnx.Export(&onnx.Classifier{
		Rows: 4, Dim: 2,
		Embedding: []float32{0, 0, 1, 0, 1, 0, 0, 1},
		Output:    onnx.Dense{In: 2, Out: 2, W: []float32{-2, 2, 2, -2}, B: []float32{0, 0}},
		Labels:    []string{"negative", "positive"},
	}, onnx.WithMetadata("tokenizer", `{"lowercase":true}`))
	if err != nil {
		log.Fatal(err)
	}

	m, err := runtime.Load(bytes.NewReader(model))
	if err != nil {
		log.Fatal(err)
	}
	labels, _ := m.Metadata(onnx.LabelsKey)
	fmt.Println("labels:", labels)

	// One Session per goroutine: Run reuses its buffers and allocates nothing.
	s := m.NewSession()
	ids, _ := runtime.NewInt64([]int{2, 3}, []int64{
		1, 2, 0, // padded tweet
		3, 0, 0,
	})
	out, err := s.Run(map[string]*runtime.Tensor{onnx.InputName: ids})
	if err != nil {
		log.Fatal(err)
	}
	p := out[onnx.OutputName]
	fmt.Println("shape:", p.Shape)
	fmt.Printf("tweet 0: %.3f\n", p.Float32[0:2])
	fmt.Printf("tweet 1: %.3f\n", p.Float32[2:4])
	// Output:
	// labels: ["negative","positive"]
	// shape: [2 2]
	// tweet 0: [0.018 0.982]
	// tweet 1: [0.982 0.018]
}
