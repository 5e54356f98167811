// Package jsonstr decodes JSON string literals the way encoding/json
// does, without reflection or allocation: the one hand-written escape
// decoder of tweetflow's fast JSON paths (the JSONL reader of package
// ingest and the request decoder of package serving).
//
// Escapes are the standard ones; \uXXXX surrogate pairs are joined and
// an unpaired surrogate becomes U+FFFD, as in encoding/json. Bytes outside
// escapes are copied as they are: callers that need valid UTF-8 check it
// (encoding/json would replace invalid bytes with U+FFFD).
package jsonstr
