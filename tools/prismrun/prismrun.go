// Package prismrun starts Stoplight Prism (the pinned copy in
// tools/node_modules) for the project's tests, on a free loopback port, and
// makes sure it dies with the test.
package prismrun

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/internal/modroot"
	"github.com/flashback/revoke-contract/internal/testenv"
	"github.com/flashback/revoke-contract/internal/testkit"
)

// Root is the repository root: the first folder above the working
// directory with a go.mod.
func Root(t testing.TB) string {
	t.Helper()
	root, err := modroot.FromWorkingDir()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// Bin returns tools/node_modules/.bin/prism, skipping loudly when it is
// absent unless REVOKE_REQUIRE_TOOLS=1 (CI), where that is a failure.
func Bin(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(Root(t), "tools", "node_modules", ".bin", "prism")
	return testenv.File(t, "Prism", bin, "the Prism cross-check", "make npm-tools")
}

// Start runs `prism ARGS... -h 127.0.0.1 -p PORT` from the repository root,
// waits (at most 60 s) until it answers HTTP and returns its base URL. Its
// process group is stopped when the test ends, and it dies with the test
// binary even when a timeout panic skips the cleanups. redact, if not nil,
// hides secrets in the log shown when Prism does not come up.
func Start(t testing.TB, redact func(string) string, args ...string) string {
	t.Helper()
	bin, root := Bin(t), Root(t)
	if redact == nil {
		redact = func(s string) string { return s }
	}
	client := &http.Client{Timeout: 2 * time.Second}
	for attempt := 1; ; attempt++ {
		port := testkit.FreePort(t)
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		p, err := testkit.TryStart(t, testkit.Options{
			Argv: append([]string{bin}, append(args, "-h", "127.0.0.1", "-p", fmt.Sprint(port))...),
			Dir:  root,
			Env:  append(os.Environ(), "SCARF_ANALYTICS=false", "NO_COLOR=1"),
			// Prism prints no ready line: it is up once it answers HTTP at all.
			Probe: func() bool {
				resp, err := client.Get(base + "/__readiness_probe")
				if err == nil {
					resp.Body.Close()
				}
				return err == nil
			},
			StopTimeout: 5 * time.Second,
		})
		if err == nil {
			return base
		}
		out := p.Output()
		if attempt < 3 && strings.Contains(out, "EADDRINUSE") {
			continue // the free port was taken meanwhile; try another
		}
		t.Fatalf("Prism did not come up: %v\n--- prism log ---\n%s", err, redact(out))
	}
}
