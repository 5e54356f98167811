// Command export-onnx writes a trained model as a standard ONNX graph.
// See `export-onnx --help` and docs/components.md.
package main

import (
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

func main() { component.MainOf(stages.ExportONNX, run) }
