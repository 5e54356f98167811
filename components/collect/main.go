// Command collect keeps raw tweets from Kafka or files in a versioned
// PostgreSQL table. See `collect --help` and docs/components.md.
package main

import (
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

func main() { component.Main(stages.Collect, component.Typed(run)) }
