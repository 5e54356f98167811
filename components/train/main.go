// Command train trains the sentiment classifier.
// See `train --help` and docs/components.md.
package main

import (
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

func main() { component.MainOf(stages.Train, run) }
