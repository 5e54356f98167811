// Package collect keeps raw tweets in a versioned PostgreSQL table (seed
// 001's raw_tweet_dataset_<version>), deduplicated by tweet id: the
// collect component's library.
//
// A Table writes batches of decoded tweets with the records they came
// from (a Kafka message, a file line) in one transaction each: COPY into
// a session-local staging table, then INSERT ... ON CONFLICT (id) DO
// NOTHING, so the first copy of a tweet wins and a redelivered batch
// (after a crash, before its Kafka offsets were committed) changes
// nothing. Table implements scoring.BatchStore, so scoring.ConsumeKafka
// drives it with the same batching, dead letters and commit-after-store
// as the scorer; Collect reads files (ingest sources) in batches. The
// table is exactly once under redelivery, crashes (kill -9) and
// rebalances, and a SIGTERM stores and commits the batch in flight before
// the component exits 0 (see "Delivery guarantees and stopping" in
// package scoring).
//
// The schema is migrated like the scores tables (scoring.Migrate,
// recorded in tweetflow_migrations). The package reads no flags and no
// environment: it takes an open connection.
package collect
