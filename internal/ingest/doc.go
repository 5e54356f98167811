// Package ingest turns tweet source files into dataset.Tweet rows.
//
// Readers stream: each reads an io.Reader line by line (Parquet: row group
// by row group) and never loads a whole file. Read parses one stream in a
// given or detected Format; Ingest runs a list of Sources into a sink,
// counts rows per source and enforces a bad-row limit.
//
// # Formats
//
//   - sentiment140: CSV `"polarity","id","date","query","user","text"`,
//     one record per line (the real files never break a field across
//     lines, so parsing is line based: exact line numbers, and a broken
//     quote cannot swallow the rest of the file). Fields may be quoted with
//     doubled inner quotes; a stray quote inside the last (text) field is
//     tolerated. Encoding is decided per line: a line that is valid UTF-8
//     (both shared files are, replacement characters included) is kept;
//     any other line is decoded as Windows-1252 (bytes 0x80-0x9F by the
//     cp1252 table, undefined ones to C1 controls; 0xA0-0xFF as Latin-1),
//     as the original Sentiment140 release is. The date "Mon Apr 06
//     22:19:45 PDT 2009" (zone abbreviations PDT/PST/MDT/MST/CDT/CST/EDT/
//     EST/UTC/GMT or a numeric offset) becomes UTC; an empty date is
//     unknown. Default labels: 0 negative, 2 neutral, 4 positive.
//   - semeval: `id<TAB>label<TAB>text[<TAB>date]`. twitter-2016test-A.txt
//     ends lines with a tab and 10 of its lines carry a date there, which
//     becomes CreatedAt. Texts that are one CSV-quoted field (start and end
//     with '"', inner quotes doubled) are unquoted; texts with bare quotes
//     ("Arriving Tuesday" is ...) are literal. In the shared files 12,141
//     texts start with a quote and 11,950 of them are unquoted: all of the
//     2013-2015 files and of twitter-2016test-A.txt, but only 11 of 161 in
//     the 2016 train/dev/devtest files and none of the 41 in 2014sarcasm,
//     where the quotes belong to the text. A CSV-quoted text left open
//     at the end of a line continues on following lines that do not start
//     a record (one record of twitter-2016test-A.txt spans lines 11064-11065;
//     the line break is kept). Then \uXXXX escapes are decoded (surrogate
//     pairs joined) and \" becomes "; other backslashes (\m/, =\) are text.
//   - nltk: `text<TAB>label`; the label follows the last tab; a CR inside
//     the text becomes a space (the files have 5 such lines). There is no
//     tweet id: the id is "<file base name>:<line>".
//   - jsonl: one Twitter API v2 tweet object a line (id, text, created_at
//     RFC 3339, author_id as the user, lang ignored), or the envelope
//     {"data": {...}}. The label comes from "label" or "sentiment" (string
//     or number) on the tweet or the envelope; without one the row is
//     unlabeled (label ""). Lines are read by a hand-written scanner, with
//     encoding/json as the reference for every line it does not take (see
//     Performance).
//   - parquet: a tweetflow dataset file (package dataset), read in place
//     when the stream is an *os.File, else through a temporary file; all
//     columns are kept, labels go through the label map.
//
// DetectFormat picks the format from the extension (.csv, .jsonl/.ndjson/
// .json, .parquet), then from the first bytes; an explicit Format
// overrides it. All line formats accept CRLF and skip blank lines.
//
// # Labels
//
// Each source has a LabelMap (ParseLabelMap("0->negative,4->positive")),
// or the default of its format: sentiment140 maps 0/2/4; the others accept
// negative/neutral/positive in any case. A raw label without an entry is a
// bad row, unless the map is permissive (a "*" item), which keeps the
// lower-cased raw label.
//
// # Bad rows
//
// A row that cannot be ingested (wrong field count, bad id, bad date, bad
// escape, invalid UTF-8 in a UTF-8 format, bad JSON, empty text, unknown
// label, a line over 1 MiB) is reported as a BadRow{Source, Line, Reason}
// and skipped. Ingest counts them; once more than Options.MaxBadRows occur
// (negative: no limit) it fails with an error wrapping ErrTooManyBadRows
// that names the first few and how to raise the limit (--max-bad-rows).
// All 15 shared files ingest with zero bad rows.
//
// # Inputs
//
// ExpandLocal turns paths, globs and folders into files (skipping hidden,
// "_" and README files) and LocalSources makes Sources of them;
// ExpandStore does the same for a prefix of an artifact.Store (the files
// of a committed output's manifest, else the listed objects).
//
// # Performance
//
// Measured with go test -bench Ingest ./internal/ingest/ on the shared
// files loaded in memory, on a machine shared with other builds (so rates
// per CPU second are given; wall rates were 40-80% of these):
// SemEval 2.3M-2.7M tweets/cpu-s, Sentiment140 1.6M-1.9M, NLTK 2.8M-3.1M;
// ingest plus ShardWriter (Snappy) of all 90k tweets 650k-690k
// tweets/cpu-s (zstd: 270k-415k). Rows cost 2-4 small allocations (the
// line string, the source string, a decoded text, the NLTK id).
//
// JSONL has a fast path (jsonfast.go): a scanner that validates the whole
// line as JSON, picks out the fields the reader uses and skips every other
// value without allocating; a good row costs one allocation (id, user,
// text and source share one string). It takes a line only when the line
// gives a good row and nothing in it could make encoding/json differ:
// any bad row (bad JSON, a missing, empty or wrongly typed field, a bad
// id, date or label, invalid UTF-8), a duplicate or case-folded field name
// (encoding/json: last wins, names match in any case), an escaped or
// non-ASCII key, a "data" object inside "data" or nesting deeper than 64
// goes to the encoding/json decoder instead, so rows, bad-row messages
// and errors are those of encoding/json for every input. String values decode as
// encoding/json does (surrogate pairs joined, a lone surrogate becomes
// U+FFFD). Differential tests (jsonfast_test.go) run both paths on edge
// cases, on the demo and real tweets as JSONL (and on files named in
// $TWEETFLOW_JSONL_DIFF), and in two fuzz targets (FuzzJSONLFast,
// FuzzJSONLFastFields). Measured 2026-11-22 on 2 cores at load average
// 0.9-3.0 (other builds running): go test -bench ReadJSONL (the 90k
// shared tweets as gencorpus JSONL, in memory) 0.3M-0.53M rows/s and
// 16.8 allocations a row through encoding/json, 2.6M-3.1M rows/s and 1.0
// through the scanner. The ingest component on 1.6M gencorpus rows
// (--rows 1600000 --seed 1, 268 MiB; --progress none, local store) took
// 4.2-5.4 s wall (295k-380k rows/s, 4.9-5.9 user CPU-s) before and
// 1.4-1.9 s (0.86M-1.16M rows/s, 1.8-2.4 user CPU-s, 85-95 MB RSS) after,
// writing byte-identical Parquet shards; the same rows as Sentiment140
// CSV took 1.6-1.8 s in the same runs.
package ingest
