// Package servertest is the process side of the packages that run a real
// server for tests (miniotest, pgtest): finding the binary or skipping,
// starting the server process with its output collected and, on Linux, a
// parent-death signal so it dies with the test binary, stopping it by PID
// (a signal, then SIGKILL) and waiting for it, free loopback ports, and
// the one server per test package that TestMain stops (Shared).
//
// It is for tests only.
package servertest
