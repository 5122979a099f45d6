// Package testkit is the one home of the helpers the project's tests share:
// starting a revoke-mock (or any program that prints the mock's ready line)
// as a process of its own and stopping it at cleanup, loopback addresses
// and servers (a free port, a closed port, a raw TCP server that answers
// with bytes written by hand, an http.Handler served on a fresh port), a
// handler wrapper that records what an upstream answered, a buffer that
// goroutines may write to at once, polling with a deadline, and a count of
// an in-process server's goroutines.
//
// It depends on the standard library alone and lives under internal/, so
// make test race-tests it (RACE_PKGS). Binaries are not built here: a test
// gets them from contract/runner.Build (which reuses $REVOKE_TEST_BINDIR,
// where make test builds them once) or, for the release tests, from what
// the release tooling produced, and passes the path in.
//
// Nothing here sleeps to synchronise: waits poll with a deadline, and every
// process, listener and connection a helper opens is closed at the end of
// the test.
package testkit
