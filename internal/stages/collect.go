package stages

import (
	c "github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/settings"
)

// Collect keeps raw tweets from Kafka or files in a versioned PostgreSQL
// table (package internal/collect), the first step of seed 001's flow:
// stream -> raw table -> ingest (postgres://...?table=) -> datasets.
var Collect = c.Contract{
	Name:    "collect",
	Summary: "Keep raw tweets from Kafka (or files) in a versioned PostgreSQL table, deduplicated by tweet id",
	Description: "Consumes --kafka-topics (until SIGTERM) or reads --tweets files (any format ingest reads) and stores each tweet once " +
		"in the table <--table-prefix><--table-version> (raw_tweet_dataset_0 by default; created and migrated on start): id, raw " +
		"(the Kafka message or file line as received), text, user_name, created_at, urls, label, source, kafka_partition, position " +
		"(Kafka offset or file line), collected_at. A tweet id already in the table is skipped (ON CONFLICT DO NOTHING: the first " +
		"copy wins). Kafka offsets are committed only after the batch's transaction is committed; poison messages go to the " +
		"dead-letter table. Ingest reads the table back with --sources 'postgres://...?table=raw_tweet_dataset_0'.",
	Params: []c.Param{
		{Name: "postgres-dsn", Setting: settings.PostgresDSN, Secret: true, Description: "PostgreSQL connection string (postgres://user:pass@host/db); empty uses DATABASE_URL. Prefer the env var: flags show in process lists."},
		{Name: "table-prefix", Default: "raw_tweet_dataset_", Description: "The raw table is named <prefix><version> (table or schema.table)."},
		{Name: "table-version", Type: c.Int, Default: "0", Min: c.F(0), Description: "Version in the raw table's name."},
		{Name: "batch-size", Type: c.Int, Default: "1000", Min: c.F(1), Description: "Tweets per PostgreSQL transaction (and per Kafka offset commit)."},
		{Name: "flush-interval", Type: c.Duration, Default: "1s", Description: "Store a partial Kafka batch once its first message has waited this long."},
		{Name: "dead-letter-table", Description: "PostgreSQL table for poison Kafka messages and bad file rows (raw bytes, topic/partition/offset or file/line, reason, time). Empty: <table>_dead_letters when consuming Kafka, else none (bad file rows count against --max-bad-rows)."},
		{Name: "format", Default: "auto", Enum: formatNames, Description: "Format of --tweets files."},
		{Name: "label-map", Description: "Label mapping of --tweets files, e.g. '0->negative,4->positive'; empty uses the format's default mapping."},
		{Name: "max-bad-rows", Type: c.Int, Default: "10", Min: c.F(0), Description: "Bad file rows to skip before failing (without a dead-letter table)."},
	},
	Inputs: []c.Artifact{
		{Name: "tweets", Kind: c.Sources, List: true, Optional: true, Description: "tweet files: paths, globs, folders or s3:// prefixes (required unless --kafka-topics is set)"},
	},
	NoCache: true, // the table is a side effect a cache hit would skip
}
