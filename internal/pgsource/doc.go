// Package pgsource reads a PostgreSQL table or query as an ingest source:
// `postgres://user@host/db?table=raw_tweet_dataset_0` or
// `postgres://user@host/db?query=SELECT ...`. The rows stream through a
// server-side cursor (FETCH in batches) in a read-only transaction, so a
// table of any size is read in constant memory and a query cannot write.
//
// ParseURI splits such a URI into the connection string (the URI without
// its table, query and fetch parameters, handed to pgx as a value) and
// what to read; Open opens the result as an ingest.TableRows; Source ties
// the two into an ingest.Source. The package reads no flags and no
// environment: the caller passes the URI (and any password) in.
package pgsource
