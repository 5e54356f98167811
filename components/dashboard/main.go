// Command dashboard serves tweetflow's live dashboard of the stream
// scorer's PostgreSQL tables: counts per time bucket by label, the latest
// tweets, the score distribution and its drift against the model's test
// split, top URLs and hashtags, the active model and its gate, and the
// dead-letter count. See `dashboard --help`, docs/components.md and
// package internal/dashboard.
package main

import (
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

func main() { component.Main(stages.Dashboard, newRun(nil)) }
