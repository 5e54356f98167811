// Command evaluate-gate scores a model on labeled data, writes metrics and
// an HTML report, and gates the model on ROC-AUC / PR-AUC thresholds.
// See `evaluate-gate --help` and docs/components.md.
package main

import (
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

func main() { component.MainOf(stages.EvaluateGate, run) }
