// Command annotate is tweetflow's web annotator for golden labels: it
// serves one tweet at a time, stores every answer in PostgreSQL and, as
// `annotate export` (or --mode export), writes the golden set as a dataset.
// See `annotate --help`, docs/components.md and package internal/annotate.
package main

import (
	"os"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

func main() {
	os.Args = subcommand(os.Args)
	component.Main(stages.Annotate, newRun(nil))
}
