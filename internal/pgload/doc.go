// Package pgload writes tweetflow datasets into a PostgreSQL table (seed
// 003's "postgres importer"), for analysis in SQL or as a source for
// later runs.
//
// A Loader buffers tweets and writes them in batches: each batch is one
// transaction that COPYs the rows into a session-local staging table and
// merges them into the target table with INSERT ... ON CONFLICT (id) DO
// UPDATE, changing a row only when one of its values differs. Loading the
// same dataset again is therefore idempotent: it inserts and updates
// nothing (Stats counts inserted, updated and unchanged rows). Within a
// batch the last row of an id wins. The table (CreateTableSQL) has one
// column per dataset field and is created when missing. U+0000, which
// PostgreSQL text cannot hold, is stored as the six characters \u0000.
//
// The package takes a *pgx.Conn and values; connection strings and flags
// are the load-postgres component's business.
package pgload
