// Package shard implements the two built-in steps of a fan-out (see
// dsl.FanOut): Plan lists the files of a list input (local paths, globs,
// folders or s3:// prefixes) as one item per file, which Argo's withParam
// (and the local executor) turns into one task per file, each committing
// its output at <output>/shard-<index>; Gather then publishes the shards
// as one output at <output> by writing a manifest that lists every shard's
// files under its shard-<index>/ folder, without copying a byte. Readers of
// a dataset (dataset.ReadOutput) read the files a manifest lists, in name
// order, so the gathered dataset reads as the files in plan order: the same
// rows in the same order as one task over every file.
//
// PlanDataset plans a fan-out over a dataset instead: one item per
// shard-<index> folder of a gathered output (the "shards" count Gather
// records in the manifest), each a committed dataset of its own, so a
// second fan-out (clean-map after ingest) keeps the shards of the first;
// a dataset that was not gathered is a single item.
//
// The tweetflow command runs them as `tweetflow shards plan` and
// `tweetflow shards gather`, the container command of the fan-out's
// templates.
package shard
