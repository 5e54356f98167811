// Package training declares the tweetflow training pipeline:
//
//	ingest -> clean-map -> clean -> balance-split -> embed -> train -> evaluate-gate
//	  -> export-onnx -> build-serving-image   (both only when the gate passed)
//
// Its compiled WorkflowTemplate is checked in at generated/workflowtemplate.yaml
// (go generate ./pipelines/training, or tweetflow compile --out ...); a test
// fails when it is out of date, when Argo's linter rejects it, or when a
// task's arguments do not parse with its component's own flags.
//
// ingest fans out over its source files (dsl.FanOut): ingest-plan lists
// them, one ingest task per file writes runs/<id>/ingest/tweets/shard-NNNN,
// and ingest-gather publishes them as runs/<id>/ingest/tweets (the same
// rows in the same order as one ingest over every file). max-bad-rows
// applies per file.
//
// clean is split in two because its dedupe and conflicting-label rule is
// global: clean-map (clean --mode map) fans out over the ingest shards
// (dsl.FanOut over a dataset) and only normalises the text, and clean
// (--mode reduce) applies the rule over the gathered rows without cleaning
// them again. Both take the clean template's cleaner options, which reduce
// checks against the map's cleaner.json; the clean output is byte-identical
// to one clean over the unsharded data (make demo: same part-00000.parquet
// sha256).
//
// Production settings (resources, deadlines, retries) come from the
// Production table; build-serving-image never uses the step cache (it
// pushes an image tagged with the run ID by default), and the gate's
// results are workflow outputs.
//
// Pipeline parameters: cache, sources (default testdata/demo/semeval, the demo
// data for local runs: on a cluster pass s3:// URIs), store, run-id,
// labels (bound to balance-split and train), seed (balance-split, embed and
// train), dim (embed and train), format, label-map, max-bad-rows, conflicts,
// train-balance, embed-epochs, epochs, min-roc-auc, min-pr-auc, min-macro-recall, registry,
// repository and tag. Image prefix and version are compile options.
package training
