// Command clean normalises tweet text, extracts URLs and drops duplicates.
// See `clean --help` and docs/components.md.
package main

import (
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

// GC at 200% heap growth (see docs/benchmarks.md); the soft memory limit
// is the harness's: 90% of the pod's memory limit (--memory-limit).
func main() {
	component.TuneGC(200)
	component.MainOf(stages.Clean, run)
}
