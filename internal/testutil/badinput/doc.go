// Package badinput is the broken-input corpus of issue 11: bad encodings,
// NUL bytes, wrong field counts, 1 MiB and 20 MiB fields, no newline at
// the end, empty and header-only files, CRLF, a byte order mark, an
// unterminated quote, invalid JSON, wrong JSON types, huge integer ids,
// binary files, FIFOs, missing paths and symbolic link loops, each with
// the outcome every component that reads raw files must give: exit code,
// the messages (file, line, reason) and the rows read.
//
// The corpus is shared so that ingest, evaluate-gate, score and label run
// the same table (each component's badinput_test.go) and cannot drift
// apart. Large and binary fixtures are generated in the test's temporary
// folder, never committed. Every good row is labeled AI or OTHER (both
// classes in every file with good rows) and the components read with a
// permissive label map, so the same rows are good for all of them.
package badinput
