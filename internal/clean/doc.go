// Package clean is the library of tweetflow's clean stage. It fills the
// CleanText and URLs columns of dataset.Tweet rows (with internal/text) and
// removes rows that would bias or leak into training:
//
//   - duplicate ids: the first row with an id wins, later rows with the same
//     id are dropped (SemEval-2017 4A repeats ids across and within files;
//     the first occurrence is kept, as the task README advises dropping the
//     duplicates). Rows with an empty id are never dropped for their id;
//   - empty texts: rows whose clean text has no content token
//     (text.NormKey is ""; e.g. a tweet that is only a link);
//   - duplicate texts: rows whose clean texts share a text.NormKey.
//
// # Conflicting labels
//
// The same normalised text may carry different labels (retweets annotated
// twice, near-identical tweets). The rule, which needs all rows and so two
// passes over the same stream in the same order:
//
//  1. pass 1, Observe: for every row that survives the id and empty checks,
//     count its label under its key;
//  2. pass 2, Process: the label of a key is its strict majority label
//     (most rows, distinct ids only). The first row carrying that label is
//     kept; rows with other labels are dropped as minority, later rows with
//     the majority label as duplicates. When the top labels tie (e.g. one
//     positive and one negative), the text is ambiguous and every row of it
//     is dropped. Unlabeled rows (Label == "") never vote; they are kept only
//     for keys without any labeled row (first wins).
//
// Decide returns the reason for each row (Keep, DropDupID, ...) for stages
// that report dropped rows; Process is Decide(t) == Keep. Stats counts
// every decision.
//
// Without any Observe call, Process works in one streaming pass: the first
// row of each key wins whatever its label (no conflict resolution).
//
// # Streams and workers
//
// ObserveAll and ProcessAll run the two passes over a RowSource (a
// function streaming rows, e.g. a dataset reader) with the text work
// (cleaning, URL extraction, key hashing) spread over worker goroutines,
// chunk by chunk, while one goroutine reads and the caller's goroutine
// applies the decisions and emits kept rows in input order: the results
// and Stats are exactly those of Observe and Decide row by row. ObserveAll
// also records, per row, its key hash or that its id was a duplicate (8
// bytes a row), so the ProcessAll that follows decides from that record,
// without hashing again, and cleans only the rows it keeps, and frees the
// id set first (that record knows the duplicate ids); it fails when it
// sees a different number of rows than ObserveAll did.
//
// # Sharded clean (map/reduce)
//
// The dedupe and label rule is global, but cleaning the text is per row:
// a sharded clean runs Preclean over each shard (the map: fills CleanText
// and URLs, drops nothing) and then one Processor made WithPrecleaned over
// all the cleaned rows in order (the reduce). That Processor keys every
// row on its CleanText as given and never cleans Text again, so it makes
// the decisions, and gives the rows and Stats, of the normal path over the
// raw rows (TestPrecleanedMatchesNormal).
//
// # Memory
//
// In memory (the default of NewProcessor), the Processor keeps, per unique
// id, a 62-bit xxhash of the id with two flag bits, and per unique key, a
// 63-bit xxhash of the key with its label counts packed in 32 bits (keys
// with several labels keep MaxLabels counters aside), in open-addressing
// tables at most 3/4 full: O(unique ids + unique keys), never the texts.
// BenchmarkMemoryPerKey measures about 52 heap bytes per row with a
// unique id and text (76 with Go maps); ObserveAll adds 8 bytes a row. A
// single label's count saturates at 2^26-1 (67M copies of one text). Two
// different keys or ids collide with probability about n²/2⁶³ (10⁻⁷ for a
// million rows); a collision drops one row as a duplicate.
//
// WithSpill (the clean stage's default, --state disk) bounds memory
// whatever the number of rows: Plan reads the rows once and decides every
// row with three external sorts (internal/extsort) of fixed-size records
// in temporary files, with the same hashes and rules (see planSpill):
// (id hash, row) finds the duplicate ids, (key hash, row) gives each key's
// rows in input order, walked twice in lockstep (one walk counts the
// labels, the other decides), and (row, decision) is read back in row
// order by ProcessAll. Sort buffers take at most the spill memory (48 MiB
// by default); the disk holds about 24 bytes a row for the ids, 16 for
// the keys and 8 for the decisions. hack/bench.sh
// (RT=1) measures both modes' memory and time; the figures are in
// docs/benchmarks.md.
package clean
