// Package scoring declares the tweetflow scoring pipeline, which fans the
// stream scorer (the score component, stages.Score) out over its input
// files:
//
//	score-plan -> score (withParam: one task per file) -> score-gather
//
// score-plan (`tweetflow shards plan`) lists the files of the tweets
// parameter (paths, globs, folders, s3:// prefixes); each score task scores
// one file into runs/<id>/score/scores/shard-NNNN; score-gather (`tweetflow
// shards gather`) publishes them as one dataset, runs/<id>/score/scores (a
// manifest over the shards, no copy). The gathered rows are those of one
// score over every file, in the same order. Standard input ('-') and
// datasets are not fan-out sources: run the score component directly for
// those.
//
// Pipeline parameters: store, run-id, cache (the dsl's), tweets (default
// the demo data, for local runs), model (the export-onnx output URI,
// required) and batch-size. The PostgreSQL connection string is not a
// parameter: it is a secret. Compile gives the score container the env var
// DATABASE_URL from key "dsn" of the optional Secret "tweetflow-postgres"
// (PostgresSecret); without it only the Parquet output is written. The
// score step never uses the step cache (its upserts are a side effect).
//
// The compiled WorkflowTemplate is checked in at generated/workflowtemplate.yaml
// (go generate ./pipelines/scoring, or tweetflow compile --pipeline scoring
// --out ...); a test fails when it is out of date, when Argo's linter
// rejects it, or when a task's arguments do not parse with its component's
// own flags.
package scoring
