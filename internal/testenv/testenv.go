// Package testenv is the one rule for tests that need a tool from outside
// Go (Chromium, Prism, Spectral, Redocly, curl, wrk, redis-server, buildah,
// npm): where the tool is missing, the test skips with a loud message; where
// REVOKE_REQUIRE_TOOLS=1 (CI: .ci/run installs every tool and sets it), a
// missing tool fails the test instead, so CI never reports a skipped check
// as a pass.
//
// "Loud" means more than go test's skip line, which only -v shows: each
// skip is also written to standard error and, when REVOKE_SKIP_LOG names a
// file (make test sets it), appended there so that make prints every
// skipped check at the end of the run.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// RequireVar is the environment variable that turns a missing tool into a
// failure.
const RequireVar = "REVOKE_REQUIRE_TOOLS"

// SkipLogVar names a file that collects one line per skipped check.
const SkipLogVar = "REVOKE_SKIP_LOG"

// Required reports whether missing tools fail the tests (CI). The older
// REQUIRE_CHROMIUM=1 still requires Chromium.
func Required(tool string) bool {
	if os.Getenv(RequireVar) == "1" {
		return true
	}
	return strings.EqualFold(tool, "chromium") && os.Getenv("REQUIRE_CHROMIUM") == "1"
}

// Missing ends the test because tool is not available: a failure when
// Required(tool), else a loud skip. what says what the test would have
// checked; install says how to get the tool.
func Missing(t testing.TB, tool, what, install string) {
	t.Helper()
	msg := fmt.Sprintf("%s is not installed (%s), so %s was not checked", tool, install, what)
	if Required(tool) {
		t.Fatalf("%s; %s=1 makes that a failure", msg, RequireVar)
	}
	line := fmt.Sprintf("SKIPPED %s: %s", t.Name(), msg)
	fmt.Fprintf(os.Stderr, "\n*** %s ***\n\n", line)
	if path := os.Getenv(SkipLogVar); path != "" {
		if f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintln(f, line)
			f.Close()
		}
	}
	t.Skip(msg)
}

// LookPath returns the first of names found (an absolute path, or a
// command on PATH), or ends the test as Missing does.
func LookPath(t testing.TB, what, install string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if path, err := exec.LookPath(n); err == nil {
			return path
		}
	}
	Missing(t, names[0], what, install)
	return ""
}

// File returns path when it exists (a tool installed at a known place, such
// as tools/node_modules/.bin/prism), or ends the test as Missing does.
func File(t testing.TB, tool, path, what, install string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(t, tool, what, install)
	}
	return path
}
