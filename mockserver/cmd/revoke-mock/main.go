// Command revoke-mock serves the Flashback sessions API mock.
//
//	revoke-mock [--host 127.0.0.1] [--port 4010] [--spec FILE] [--sessions off|lazy|issued]
//	            [--cors-origins URL,...] [--log-format text|json]
//	            [--latency 300ms|100ms..800ms] [--journal-size 1000] [--control-token SECRET] [--watch]
//	revoke-mock token --url http://127.0.0.1:4010 --user alice
//	revoke-mock --version
//	revoke-mock scenario add --operation post__sessions_revoke-all --status 500 [--times 1] [--delay 1.5s] [--fault reset] ...
//	revoke-mock scenario list|clear
//	revoke-mock scenario delete ID
//	revoke-mock proxy --upstream https://staging.example.com [--errors] [--upstream-ca FILE] [--upstream-timeout 30s]
//	            [--host] [--port] [--spec] [--cors-origins] [--log-format] [--journal-size]
//
// Every flag can also be set as REVOKE_MOCK_<FLAG> (for example
// REVOKE_MOCK_CORS_ORIGINS); a flag on the command line wins.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/flashback/revoke-contract/internal/version"
	"github.com/flashback/revoke-contract/mockserver/store"
	"github.com/flashback/revoke-contract/spec"
)

// gcPercent is the collector's target for the mock. Its live heap (the
// spec's models, the compiled schemas) is a few MiB, so with Go's default
// of 100 the collector ran about twice as often as for a server that keeps
// nothing, and marked more each time: under load the largest cost the mock
// added to net/http's own. 200 halves the collections for ~4 MiB of memory
// (docs/performance.md). A GOGC set in the environment wins.
const gcPercent = 200

// memoryLimit is the soft limit of the Go runtime's memory (GOMEMLIMIT): with
// GOGC at 200 a full session store (--max-sessions, some 50 MiB live) would
// let the heap grow to three times that before a collection; near this
// limit the collector runs sooner instead, so a mock that has served
// millions of distinct tokens stays under 100 MiB resident
// (docs/reliability.md, make soak). The revocation filter's bits, outside
// the Go heap where the platform allows (store.FilterOffHeap, 14 MiB), are
// not seen by the limit, so it leaves room for them. A GOMEMLIMIT set in
// the environment wins.
var memoryLimit = 72<<20 - store.FilterOffHeap()

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(memoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var endProfile func()
	if startProfile != nil {
		endProfile = startProfile()
	}
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if endProfile != nil {
		endProfile()
	}
	os.Exit(code)
}

// startProfile, when set, starts a CPU profile and returns what ends it.
// Only a build for make pgo sets it (cpuprofile.go, -tags pgoprofile): the
// profile release binaries are optimised with (revoke-mock.pgo).
var startProfile func() (end func())

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var err error
	switch {
	case len(args) == 1 && (args[0] == "--version" || args[0] == "-version" || args[0] == "version"):
		fmt.Fprintf(stdout, "revoke-mock %s\n", version.Of(spec.OpenAPI))
		return 0
	case len(args) > 0 && args[0] == "token":
		err = runToken(ctx, args[1:], stdout)
	case len(args) > 0 && args[0] == "scenario":
		err = runScenario(ctx, args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "proxy":
		err = runProxy(ctx, args[1:], stdout, stderr)
	default:
		err = runServe(ctx, args, stdout, stderr)
	}
	var usage usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "revoke-mock: %v\n", err)
		return 2
	default:
		fmt.Fprintf(stderr, "revoke-mock: %v\n", err)
		return 1
	}
}

// usageError is a mistake on the command line (exit status 2).
type usageError struct{ error }
