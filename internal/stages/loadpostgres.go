package stages

import "github.com/tweetflow/tweetflow/internal/settings"

import c "github.com/tweetflow/tweetflow/internal/component"

// LoadPostgres writes a dataset into a PostgreSQL table (package
// internal/pgload).
var LoadPostgres = c.Contract{
	Name:    "load-postgres",
	Summary: "Write a tweetflow dataset into a PostgreSQL table in batches (COPY), idempotent on id",
	Description: "Reads any tweetflow Parquet dataset (ingest, clean, balance-split, label or score output) and writes its rows into " +
		"a PostgreSQL table (created when missing; columns id, created_at, user_name, text, label, clean_text, urls, " +
		"label_confidence, label_probs, source): each batch is one transaction, COPYed into a staging table and merged by id, " +
		"so loading the same dataset again inserts and changes nothing, and a changed row is updated.",
	Params: []c.Param{
		{Name: "postgres-dsn", Setting: settings.PostgresDSN, Secret: true, Description: "PostgreSQL connection string (postgres://user:pass@host/db); empty uses DATABASE_URL. Prefer the env var: flags show in process lists."},
		{Name: "table", Default: "tweets", Description: "Target table (table or schema.table); created when missing."},
		{Name: "batch-size", Type: c.Int, Default: "10000", Min: c.F(1), Description: "Rows per transaction."},
	},
	Inputs: []c.Artifact{
		{Name: "data", Kind: c.Dataset, Description: "the dataset to load"},
	},
	NoCache: true, // the table is a side effect a cache hit would skip
}
