// Command clean normalises tweet text, extracts URLs and drops duplicates.
// See `clean --help` and docs/components.md.
package main

import (
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

func main() { component.Main(stages.Clean, run) }
