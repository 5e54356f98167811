// Package dataset defines the tweetflow dataset: rows of Tweet stored as
// Parquet shards, with a writer, a reader, a validator and generators.
//
// # Schema (version 1)
//
// Every shard has these columns, in this order:
//
//	column      Parquet / Arrow type                       null?  filled by
//	id          BYTE_ARRAY UTF8 / string                   no     ingest (source tweet id as text)
//	created_at  INT64 TIMESTAMP(ms, UTC) / timestamp[ms,UTC] yes  ingest (null when unknown)
//	user        BYTE_ARRAY UTF8 / string                   no     ingest ("" when unknown)
//	text        BYTE_ARRAY UTF8 / string                   no     ingest (raw text, escapes decoded)
//	label       BYTE_ARRAY UTF8 / string                   no     ingest ("" = unlabeled)
//	source      BYTE_ARRAY UTF8 / string                   no     ingest ("<file or URI>:<line>")
//	clean_text  BYTE_ARRAY UTF8 / string                   no     clean ("" before it runs)
//	urls        LIST<BYTE_ARRAY UTF8> / list<string>       no     clean (empty list before it runs)
//	label_confidence  DOUBLE / float64                     yes    label (the label model's probability of label)
//	label_probs       MAP<UTF8, DOUBLE> / map<string,float64> yes label (probability per class name, keys sorted)
//
// The two weak-label columns are optional: shards written before they
// existed (and other files without them) read with LabelConfidence 0 and
// LabelProbs nil and pass Validate, so adding them kept SchemaVersion 1.
// Tweet.LabelConfidence 0 and Tweet.LabelProbs nil are written as nulls;
// Validate checks both lie in [0, 1].
//
// "No null" string columns hold "" for missing values; a zero
// Tweet.CreatedAt is written as null and read back as the zero time; a nil
// and an empty Tweet.URLs are both written as an empty list and read back
// as nil. Validate additionally requires id and text to be non-empty,
// valid UTF-8 everywhere and, optionally, labels from an allowed set.
//
// The Parquet key/value metadata of every shard carries
// "tweetflow.schema_version" = SchemaVersion and "tweetflow.format" =
// "tweets". A change that breaks readers bumps SchemaVersion.
//
// # Files
//
// A dataset output holds part-00000.parquet, part-00001.parquet, ... of at
// most ShardRows rows each (default 1,000,000), in write order; an empty
// input gives one empty shard, so the schema is always present. Each shard
// is written as row groups of BatchRows rows (default 16,384): the writer
// buffers one record batch (Arrow builders, reset per batch) while a
// goroutine encodes and compresses the previous one (at most one in
// flight, so writing overlaps the caller's work on a second core), so
// memory stays flat however large the input (BenchmarkWriteMemory: a peak
// of 30-60 MB of heap in use for 100k rows as for 3M rows). Shard sinks come
// from a function, so this package never sees stores or keys; a stage
// passes a wrapper of artifact.Output.Create. The batching and shard
// rotation are BatchWriter's, which ShardWriter fills with tweets and the
// scorer's Parquet sink (internal/scoring) with scores: one shard writer
// for any schema (ShardLayout). Reading is shared the same way:
// ScanParquet streams a shard's record batches and ForEachShard walks a
// committed output's shards, for the dataset reader and validator and the
// scores reader.
//
// Writing is deterministic: the same rows and options give byte-identical
// files (no timestamps or random values are written; created_by is fixed),
// which balance-split relies on.
//
// Encodings: label and user are dictionary-encoded; every other column is
// plain. Only created_at keeps min/max statistics.
//
// # Compression
//
// Snappy is the default, zstd is available (WithCompression). Measured with
// go test -bench 'Write$|Read' ./internal/dataset/ on generated tweets
// (rates per CPU second, which stay meaningful on a busy machine):
//
//	codec   write tweets/cpu-s  read tweets/cpu-s  bytes/tweet
//	snappy  520k-585k           1.09M-1.13M        110
//	zstd    210k-280k           0.94M-1.00M        72
//	none    820k-930k           1.31M-1.44M        271
//
// Snappy writes twice as fast as zstd for 1.5x the bytes; with tweets the
// write rate bounds the ingest stage, so Snappy wins. arrow-go encodes
// Snappy with the slower "better" s2 encoder; this package registers (in
// init, process-wide) a Snappy codec that uses s2.EncodeSnappy instead:
// standard Snappy blocks that every reader decodes.
//
// # Reading
//
// ReadShard streams one shard (an io.ReaderAt and its size) one record
// batch at a time; ReadFile reads a local file; ReadOutput reads every
// .parquet file listed in the _SUCCESS.json manifest of a committed
// artifact output, in name order. Objects whose reader is an io.ReaderAt
// (local files, MinIO objects) are read in place; for other stores a shard
// is first copied to a temporary file (never buffered whole in memory),
// one shard at a time.
//
// # Generators
//
// Generate(seed, n, opts) returns n random valid tweets (several scripts,
// emojis incl. ZWJ sequences and flags, mentions, hashtags, URLs; labels
// from a set), deterministic for a seed, for tests.
//
// Resample(seed, pool, n, opts, fn) builds a large corpus from real tweets,
// as used by the 1.6M-tweet benchmark: with a PCG seeded by seed, each of
// the n output rows is a row of the pool drawn uniformly with replacement;
// it gets a new unique id (IDBase + i, default 9e18, above real tweet ids)
// and Source "resample:<i>:<original source>"; with PerturbRate p > 0 each
// whitespace token of its text is, with probability p, replaced by a random
// token of another pool row with the same label (so texts are not mere
// duplicates while label-token statistics are kept). Labels, users and
// timestamps are those of the drawn row.
package dataset
