// Command ingest reads raw tweet files into a tweetflow dataset.
// See `ingest --help` and docs/components.md.
package main

import (
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

func main() { component.Main(stages.Ingest, run) }
