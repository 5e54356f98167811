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
//   - csv, tsv: a delimited file with a header (comma or tab), RFC 4180
//     quoting: a field that starts with '"' is quoted, a doubled quote in
//     it is one quote, separators and line breaks in it are text (each
//     line break, CRLF included, becomes "\n"); a quote inside an unquoted
//     field is literal. Columns come in any order and are picked by
//     Columns (--text-column, default "text"; --label-column,
//     --id-column, --time-column, --user-column, all optional): names
//     match exactly, else case-insensitively. A mapped column missing from
//     the header fails the source with an error naming the file, the
//     column and the columns present. Without a label column rows are
//     unlabeled; without an id column the id is "<file base name>:<line>";
//     an empty label cell is unlabeled, an empty id or text cell a bad row.
//     Times are parsed by ParseTime: RFC 3339, "2015-02-24 11:35:52
//     -0800" (the Kaggle airline file), the same without a zone or with
//     "T" (UTC), "2015-02-24", Twitter's "Mon Apr 06 22:19:45 +0000 2009"
//     and unix seconds (milliseconds from 12 digits on). A record's line
//     (bad rows, Source, the default id) is the physical line it starts
//     on. Encoding per physical line as sentiment140. A quoted field left
//     open is a bad row once the stream ends or it spans 1000 lines or
//     1 MiB; the lines after its first are then read again as records, so
//     a stray quote costs one row (and at most twice the reading work).
//   - jsonl: one tweet object a line, read per line whatever its kind:
//     the plain form (id, text, created_at, author_id as the user, lang
//     ignored), the envelope {"data": {...}}, Twitter API v1.1 objects as
//     the streaming API delivers them and v2 responses. The label comes
//     from "label" or "sentiment" (string or number) on the tweet or the
//     envelope; without one the row is unlabeled (label ""). created_at is
//     RFC 3339 or Twitter's "Sun Apr 05 10:46:44 +0000 2020". Plain lines
//     are read by a hand-written scanner, with encoding/json as the
//     reference for every line it does not take (see Performance); a line
//     with any Twitter API field (id_str, full_text, extended_tweet,
//     note_tweet, retweeted_status, entities, user, referenced_tweets,
//     includes, in any case) always goes through encoding/json.
//
// # Twitter API objects
//
// v1.1 (stream and REST): the id is id_str (else id); the user is
// user.screen_name; the text is the full text: extended_tweet.full_text
// (the stream truncates "text" to 140 characters and an ellipsis), else
// full_text (REST with tweet_mode=extended), else text. A retweet gives
// "RT @<original author>: <the original's full text>", the way Twitter
// writes a retweet's text but not truncated: the marker is kept so that
// clean's strip-rt and deduplication see a retweet. Quoted tweets keep
// the quoting tweet's own text. v2: the tweet is "data" (or the line
// itself), the text note_tweet.text (long posts) else text, the user the
// username includes.users gives author_id (else author_id); a retweet
// (referenced_tweets type "retweeted" found in includes.tweets) is
// rewritten as for v1.1. For both, the t.co links of the chosen text's
// entities.urls (extended_tweet's or note_tweet's entities for a full
// text) are replaced in the text by their expanded_url, and the expanded
// URLs fill Tweet.URLs (in order, without repeats): a link's domain then
// survives into the dataset (the URL column and the text). clean
// re-extracts URLs from the text; with the links expanded there it finds
// them again, plus any link entities.urls does not list (a media t.co
// link at the end of a full text). A "user" value that is a string or a
// number is taken as the user name. API fields of an unexpected type make
// the row bad (bad JSON, or bad "user"), and so does a v2 search page
// with a "data" array: write one tweet a line.
//   - parquet: a tweetflow dataset file (package dataset), read in place
//     when the stream is an *os.File, else through a temporary file; all
//     columns are kept, labels go through the label map.
//
// DetectFormat (DetectFormatColumns with the source's Columns) picks the
// format from the extension, then from the first bytes; an explicit
// Format overrides it. .csv is csv when its first line looks like a
// header (no all-digit field: a Sentiment140 record starts with two
// numbers), else sentiment140; .tsv/.tab is tsv when its first line is a
// header with the text column; .jsonl/.ndjson/.json is jsonl; .parquet
// parquet. By content: "PAR1", a '{' line (jsonl), a first line that is a
// header with the text column (comma-separated: csv, else tab: tsv), a
// quoted CSV line (sentiment140), "<digits>\t<label>\t<text>" (semeval),
// "<text>\t<label>" (nltk). A Sentiment140 header line (six names, the
// third "date", the fourth "query" or "flag", the sixth "text", as in
// polarity,id,date,query,user,text) makes the file sentiment140, unless
// the column flags name columns that header has (then it is csv); the
// sentiment140 reader skips such a first line. A leading UTF-8 byte order
// mark is dropped from the stream before detection, whatever the format.
// A read error while detecting is reported as a read error of the source,
// never as an unrecognised format. All line formats accept CRLF and skip
// blank lines.
//
// # Labels
//
// Each source has a LabelMap (ParseLabelMap("0->negative,4->positive")),
// or the default of its format (DefaultLabelMap): the sentiment datasets'
// formats have fixed labels (sentiment140 maps 0/2/4; semeval and nltk
// accept negative/neutral/positive in any case), and a raw label without
// an entry is a bad row; the general formats (jsonl, csv, tsv, parquet)
// keep any label as it is written, with the sentiment words lower-cased,
// because their label set comes from the data (AI/OTHER, emotions, ...).
// An explicit map is strict unless it has a "*" item, which keeps the
// unmapped raw labels as written (case kept).
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
// "_" and README files) and LocalSources makes Sources of them. Only
// regular files are read: a FIFO, socket or device given by name is
// refused up front (ErrNotRegular) and sources open through OpenRegular,
// non-blocking, so a FIFO without a writer can never hang a stage that
// SIGTERM then cannot stop; a symbolic link loop is named as such;
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
// FuzzJSONLFastFields). BenchmarkReadJSONL and the ingest
// component's benchmark measure both paths; the figures are in
// docs/benchmarks.md.
//
// # Tables
//
// A Source with OpenTable reads a database table or query result
// (TableRows: column names, then rows of text values; package pgsource
// opens PostgreSQL ones) with ReadTable: the Columns map its columns as a
// delimited header's (an empty optional field takes the column id,
// label, created_at, user_name or user when present), each row is one
// tweet, and a NULL or empty text or id is a bad row with its 1-based
// row number and the row as a JSON object as Raw.
package ingest
