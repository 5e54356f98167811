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
// # Memory
//
// The Processor keeps, per unique id, a 64-bit xxhash of the id, and per
// unique key, a 64-bit xxhash of the key with MaxLabels counters: O(unique
// ids + unique keys), never the texts. BenchmarkMemoryPerKey measures about
// 76 heap bytes per row with a unique id and text (about 760 MB for ten
// million such rows). Two different keys or
// ids collide with probability about n²/2⁶⁵ (3·10⁻⁸ for a million rows); a
// collision drops one row as a duplicate.
package clean
