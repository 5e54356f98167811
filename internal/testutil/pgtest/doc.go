// Package pgtest runs a private PostgreSQL server for tests.
//
// Start(t) initialises a cluster (initdb) in a fresh temporary folder,
// starts `postgres` on a free loopback port with its socket in that folder
// and durability off (fsync, synchronous_commit and full_page_writes off:
// a test server loses nothing it needs), waits until it accepts
// connections, creates an empty database and returns its DSN. The server
// is stopped by PID (SIGINT, a fast shutdown; SIGKILL after 10 s) when the
// test ends, and killed with the test binary if that dies first.
//
// PostgreSQL refuses to run as root: when the tests run as root the server
// runs as the "postgres" system user that Debian's package creates, and
// the temporary folder is made its owner.
//
// Binaries are looked up in $TWEETFLOW_PG_BIN, else the newest
// /usr/lib/postgresql/<version>/bin (Debian's layout), else PATH. When
// none is found the test is skipped with a message naming
// hack/install-postgres.sh, unless TWEETFLOW_REQUIRE_POSTGRES=1, which
// turns the skip into a failure (CI sets it).
//
// Shared(t) gives every test of a package a fresh database on one server
// started on first use; the package's TestMain must call Main(m), which
// stops it after the tests.
package pgtest
