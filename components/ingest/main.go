// Command ingest reads raw tweet files into a tweetflow dataset.
// See `ingest --help` and docs/components.md.
package main

import (
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

// GC at 200% heap growth (see docs/benchmarks.md); the soft memory limit
// is the harness's: 90% of the pod's memory limit (--memory-limit).
func main() {
	component.TuneGC(200)
	component.MainOf(stages.Ingest, run)
}
