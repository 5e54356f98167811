// Command load-postgres writes a tweetflow dataset into a PostgreSQL
// table in batches (COPY and a merge by id: idempotent). See
// `load-postgres --help`, docs/components.md and package internal/pgload.
package main

import (
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

func main() { component.MainOf(stages.LoadPostgres, run) }
