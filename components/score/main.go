// Command score is tweetflow's stream scorer: it cleans incoming tweets
// (files, globs, s3:// prefixes, a dataset, or JSONL on standard input as
// a stream), scores them with an exported model and stores the results as
// a Parquet dataset and, with --postgres-dsn, in PostgreSQL.
// See `score --help`, docs/components.md and package internal/scoring.
package main

import (
	"os"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

func main() { component.Main(stages.Score, newRun(os.Stdin)) }
