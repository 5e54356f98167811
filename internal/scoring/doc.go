// Package scoring is tweetflow's stream scorer: it cleans incoming tweets
// exactly as a model's training text was cleaned, scores them with the
// exported model and stores the results.
//
// # Scoring
//
// A Scorer turns batches of dataset.Tweet into Rows:
//
//	type Scorer interface {
//		ScoreInto(ctx context.Context, dst []Row, tweets []dataset.Tweet) ([]Row, error)
//		Labels() []string // classes of every row's probabilities, in order
//		Version() string  // model version of the latest batch
//	}
//
// The library takes values, never flags or environment: the score
// component builds one of two implementations.
//
//   - ModelScorer (NewScorer) scores in process with a Model (a
//     *serving.Model: the export-onnx folder loaded with serving.Load).
//   - HTTPScorer (NewHTTPScorer) scores through a tweetflow model server
//     (score --predict-url): it sends the raw texts of a batch to POST
//     /predict ({"texts": [...]}) in requests of at most RequestTexts
//     texts, at most Concurrency in flight over the whole scorer (a
//     semaphore: ScoreInto blocks until its batch is scored, which holds
//     the source back), and cleans the texts itself for clean_text with
//     the text options GET /models lists for the version that answered.
//     Requests that cannot reach the server, or get 5xx, 429 or 408, are
//     retried with exponential backoff and jitter within RetryBudget,
//     then fail naming the server, the attempts and the last error. A
//     text the server refuses (a 4xx naming it, e.g. longer than its
//     limit) is, with HTTPOptions.OnRefused, dropped from the request,
//     which is sent again without it, and reported once its batch is
//     scored (score dead-letters it: refused_texts); a request over the
//     server's body (413) or batch limit is split in halves down to one
//     text, refused in turn. Without OnRefused a 4xx fails at once naming
//     the tweet. The labels
//     are checked against those already stored (HTTPOptions.Labels, e.g.
//     PostgresSink.Labels of the table) at start and whenever an answer
//     comes from a model version not seen yet (a reload on the server):
//     another label set is an error naming both; the same set in another
//     order is mapped to the order the scorer started with. Rows carry the
//     version that answered. A failed batch yields no row, so nothing of
//     it is stored (nor, from Kafka, its offsets committed).
//
// A Pipeline scores with either. Rows hold: id,
// created_at, user, raw text, clean_text (the model's text.Options), urls
// (text.ExtractURLs of the raw text unless the tweet carries them), the
// predicted label and its probability (score), every class probability,
// the model version and scored_at (one timestamp per batch, UTC,
// millisecond precision). Clean is idempotent, so the model is fed the
// clean text and scores exactly what clean_text holds (the model server,
// fed the raw text, cleans it the same way).
//
// # Sinks
//
// A Sink stores batches of rows: Write(ctx, rows) and Close().
//
//   - ParquetSink writes sharded Parquet files (part-00000.parquet, ...)
//     through a create function (artifact.Output.Create in the stage) and
//     the dataset's shard writer (dataset.BatchWriter), in
//     the scores schema (Schema): the dataset columns id, created_at, user,
//     text, clean_text, urls and label (so dataset.ReadOutput reads a
//     scores output as tweets labeled with the prediction), plus score
//     (float), probabilities (list of float, in the order of the labels
//     recorded as JSON in the key/value metadata "tweetflow.labels"),
//     model_version and scored_at. Same rows, same bytes. ReadShard and
//     ReadOutput read it back.
//   - PostgresSink upserts into a table (created when missing; the schema
//     is documented at CreateTableSQL) keyed by (tweet_id, model_version):
//     each Write is one transaction that COPYs the batch straight into
//     the table (a stream of new tweets); when a key is already stored
//     (a redelivered batch, a rerun) that transaction is rolled back and
//     the batch is COPYed into a session-local staging table and merged
//     with INSERT ... ON CONFLICT DO UPDATE in another one (the cost per
//     row of both paths: docs/benchmarks.md). A failed batch leaves no row behind, and storing
//     the same tweets again is idempotent (only scored_at changes). When
//     the server refuses a value (a data exception, a constraint, a
//     limit), the batch is written again by halves down to the refused
//     rows, which are reported (WithOnReject, else a *RejectedError naming
//     tweet id and line or offset) while the others are stored: one bad
//     row never sinks its batch, nor becomes a poison pill on rerun. U+0000,
//     which PostgreSQL text cannot hold, is stored as the six characters
//     \u0000 (NULEscape); the Parquet output keeps it. The table's schema
//     is migrated on open: numbered steps recorded in tweetflow_migrations,
//     applied once under an advisory lock (VersionedTable names
//     prefix+version tables).
//   - DeadLetterSink stores DeadLetters (raw bytes, topic/partition/offset
//     or file/line, reason, time) in their own table, idempotently keyed
//     by position.
//
// # Streaming
//
// A Pipeline buffers tweets and scores and writes a batch to every sink
// when it holds the batch size or when the flush interval has passed since
// its first tweet (a slow stream is still stored within the interval).
// Scoring, writing and finishing a batch (storing its dead letters and
// committing its offsets) are stages that overlap between consecutive
// batches, each stage taking the batches in order; at most two batches
// are in flight while the source gathers the next. A batch is written
// only after every earlier one was, and finished only after every
// earlier one finished without error.
// Stream reads ingest.Sources (files, store objects, or standard input as
// JSONL, which is scored line by line as it arrives) through ingest.Ingest,
// so bad rows are counted and bounded by ingest.Options.MaxBadRows. When
// the context is cancelled the buffered tweets are still stored, with a
// context that outlives the cancellation: every sink write is bounded by
// the write timeout instead, so a cancelled run finishes the batch it was
// writing rather than losing it.
//
// # Kafka
//
// ConsumeKafka is a franz-go consumer-group member feeding a Pipeline
// through Store: records are decoded like JSONL lines
// (ingest.RecordDecoder), poison ones become dead letters, and a batch's
// offsets are committed only after its rows are in every sink and its
// dead letters are stored (at-least-once delivery; exactly once in the
// upserted table). Rebalances are blocked while a batch is in hand and let
// through only after it is stored and committed; cancellation (SIGTERM)
// stores and commits the batch in hand, then leaves the group.
// KafkaOptions.SessionTimeout (--kafka-session-timeout, default 45s) is
// how long a silent member (killed) keeps its partitions.
//
// # Delivery guarantees and stopping
//
// Exactly once: the PostgreSQL scores table (upsert by tweet id and
// model version), collect's raw table (ON CONFLICT (id) DO NOTHING) and
// the dead-letter table (keyed by position). A batch is one transaction,
// and its offsets are committed only after that transaction and its dead
// letters are: delivery is at least once, a batch redelivered after a
// crash is stored again without a second row (a rescored row only gets a
// new scored_at). Nothing is committed that is not stored: after a failed
// batch ConsumeKafka stores and commits nothing more.
//
// Parquet is not a stream output: an artifact output is published only
// when a run ends well, and a consumer only ends on a signal, after which
// the component harness publishes no output (component.Env.Stopped).
// Rows written only to Parquet would be lost while their offsets were
// committed, so score refuses Kafka without a database and writes no
// Parquet from Kafka. In a file or standard-input run a SIGTERM stores the
// buffered tweets in PostgreSQL and ends the run as interrupted (non-zero):
// the staged Parquet shards are discarded, nothing is published, and a
// rerun (idempotent in the table) writes the whole output.
//
// Stopping a consumer: the first SIGTERM or SIGINT cancels the context;
// ConsumeKafka stops polling, scores and stores the batch in hand (the
// model server's retry budget and the write timeout bound it), stores its
// dead letters, commits its offsets and leaves the group (committing
// the revoked partitions once more). StoppedCleanly tells that end (the
// error holds only the cancellation) from a failure on the way; score and
// collect then log "stopped on signal" with stop_seconds and exit 0. A
// store or commit failure during the stop exits non-zero with nothing
// more committed. A second signal ends the process at once
// (component.Main gives the signals their default action back): the
// batch in flight is then not committed and is redelivered to the next
// member. Measured stop latencies: docs/benchmarks.md.
//
// # Speed
//
// BenchmarkScorer, BenchmarkStream, BenchmarkKafka and
// BenchmarkPostgresWrite (`go test -run '^$' -bench . ./internal/scoring/`;
// `make bench` runs the stream ones) measure the scorer alone, the whole
// stream into Parquet and PostgreSQL, the Kafka path in process and
// through the model server, and the PostgreSQL sink alone (new and
// already stored rows), with PostgreSQL's own CPU per tweet. Their figures, with
// the command and the machine's load, are in docs/benchmarks.md.
package scoring
