// Command label weakly labels a dataset with labeling functions from a YAML
// rules file and a label model. See `label --help` and docs/components.md.
package main

import (
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

func main() { component.MainOf(stages.Label, run) }
