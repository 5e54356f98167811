// Package benchutil builds the large tweet corpora of the tweetflow
// benchmarks (hack/gencorpus, hack/bench.sh and the stage benchmarks of
// components/ingest and components/clean).
//
// A corpus is made by resampling real tweets: LoadPool ingests every file
// of a data folder (the shared data, or testdata/demo when it is missing)
// into a pool of its sentiment-labeled tweets, then WriteCorpus draws rows from the pool with
// dataset.Resample and writes them in a raw source format that the ingest
// stage reads:
//
//   - a PCG seeded by Options.Seed draws each output row uniformly, with
//     replacement, from the pool;
//   - row i gets the fresh unique id 9000000000000000000+i;
//   - with Options.PerturbRate p > 0, each whitespace token of the text is,
//     with probability p, replaced by a random token of another pool row
//     with the same label (the text is then re-joined with single spaces),
//     so texts are not mere duplicates while the label/token statistics
//     stay those of the real data;
//   - label, user and created_at are those of the drawn row.
//
// CSV is the Sentiment140 layout, every field quoted:
// "polarity","id","date","query","user","text" with polarity 0/2/4 for
// negative/neutral/positive, the date as "Mon Jan 02 15:04:05 UTC 2006"
// (empty when unknown), query NO_QUERY, inner quotes doubled, and CR/LF
// inside a text replaced by a space (the format is one record a line).
// JSONL is one Twitter API v2 style object a line: id, text, created_at
// (RFC 3339, omitted when unknown), author_id, label.
//
// The same pool, options and format give byte-identical output.
package benchutil
