package teeth

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/contract/runner"
	"github.com/flashback/revoke-contract/internal/shell"
	"github.com/flashback/revoke-contract/internal/testkit"
)

// exitCase is one row of contract/REPORT.md's exit-status table: it runs
// revoke-contract against what the row describes and returns the result,
// with what the output must say.
type exitCase func(t *testing.T) (res runner.Result, says string)

// exitCases are the rows, by the outcome column's text.
var exitCases = map[string]exitCase{
	"conforming backend": func(t *testing.T) (runner.Result, string) {
		return runBackend(t, NewBackend(), runner.Options{Strict: true}), "exit status: 0"
	},
	"SHOULD rule broken, not strict": func(t *testing.T) (runner.Result, string) {
		return runBackend(t, NewBackend(NoWWWAuthenticate), runner.Options{}), "FINDING AUTH-010"
	},
	"SHOULD rule broken, strict": func(t *testing.T) (runner.Result, string) {
		return runBackend(t, NewBackend(NoWWWAuthenticate), runner.Options{Strict: true}), "FAILED AUTH-010"
	},
	"MUST rule broken": func(t *testing.T) (runner.Result, string) {
		return runBackend(t, NewBackend(AcceptsNoHeader), runner.Options{}), "FAILED AUTH-001"
	},
	"timeout during a rule": func(t *testing.T) (runner.Result, string) {
		mostlyWaiting(t)
		return runBackend(t, NewBackend(Hangs), runner.Options{Timeout: time.Second}), "no answer within 1s"
	},
	"slow body during a rule": func(t *testing.T) (runner.Result, string) {
		mostlyWaiting(t)
		return runBackend(t, NewBackend(DripsBody), runner.Options{Timeout: time.Second}), "the body did not arrive within 1s"
	},
	"connection reset during a rule": func(t *testing.T) (runner.Result, string) {
		return runBackend(t, NewBackend(ResetsConnection), runner.Options{}), "connection reset by the backend before any answer"
	},
	"invalid answer during a rule": func(t *testing.T) (runner.Result, string) {
		return runBackend(t, NewBackend(InvalidJSON200), runner.Options{}), "FAILED SCHEMA-001"
	},
	"headers, then the body stalls": func(t *testing.T) (runner.Result, string) {
		mostlyWaiting(t)
		return runBackend(t, NewBackend(StallsAfterHeaders), runner.Options{Timeout: time.Second}), "the body did not arrive within 1s (0 bytes received)"
	},
	"connection reset in the middle of the body": func(t *testing.T) (runner.Result, string) {
		return runBackend(t, NewBackend(ResetsMidBody), runner.Options{}), "connection reset by the backend in the middle of the body"
	},
	"endless header": func(t *testing.T) (runner.Result, string) {
		return runBackend(t, NewBackend(EndlessHeader), runner.Options{}), "response headers exceed 256 KiB"
	},
	"1 GB Content-Length, then the connection closes": func(t *testing.T) (runner.Result, string) {
		return runBackend(t, NewBackend(HugeContentLength), runner.Options{}), "the backend closed the connection in the middle of the body"
	},
	"redirect loop": func(t *testing.T) (runner.Result, string) {
		return runBackend(t, NewBackend(RedirectLoop), runner.Options{}), "FAILED HTTP-006"
	},
	"circuit breaker open": func(t *testing.T) (runner.Result, string) {
		mostlyWaiting(t)
		return runBackend(t, NewBackend(Hangs), runner.Options{Timeout: time.Second}), "not sent: the backend did not answer"
	},
	"connection refused before any rule": func(t *testing.T) (runner.Result, string) {
		return runAt(t, "http://"+testkit.FreeAddr(t), runner.Options{Token: "any-token-1234"}), "connection refused"
	},
	"unknown host": func(t *testing.T) (runner.Result, string) {
		mostlyWaiting(t)
		return runAt(t, "http://no-such-host.invalid", runner.Options{Token: "any-token-1234", Timeout: 3 * time.Second}), "is not known (DNS)"
	},
	"TLS certificate not trusted": func(t *testing.T) (runner.Result, string) {
		srv := httptest.NewTLSServer(NewBackend())
		t.Cleanup(srv.Close)
		return runAt(t, srv.URL, runner.Options{Mint: true}), "--ca-cert"
	},
	"not an HTTP server": func(t *testing.T) (runner.Result, string) {
		addr := testkit.RawServer(t, func(conn net.Conn) {
			_, _ = bufio.NewReader(conn).ReadString('\n')
			_, _ = io.WriteString(conn, "SSH-2.0-OpenSSH_9.2\r\n")
		})
		return runAt(t, "http://"+addr, runner.Options{Token: "any-token-1234"}), "no answer"
	},
	"token command always fails": func(t *testing.T) (runner.Result, string) {
		mostlyWaiting(t)
		return runBackend(t, NewBackend(), runner.Options{TokenCmd: `echo "the login service is down" >&2; exit 1`}), "the token source never produced a token"
	},
	"rate limited (429) on every request": func(t *testing.T) (runner.Result, string) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		}))
		t.Cleanup(srv.Close)
		return runAt(t, srv.URL, runner.Options{Token: "any-token-1234"}), "rate limited: the backend answered 429"
	},
	"429 storm with Retry-After: 1": func(t *testing.T) (runner.Result, string) {
		mostlyWaiting(t)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}))
		t.Cleanup(srv.Close)
		return runAt(t, srv.URL, runner.Options{Token: "any-token-1234"}), "not waited on again"
	},
	"rate limited token command, then a token": func(t *testing.T) (runner.Result, string) {
		mostlyWaiting(t)
		bins, err := runner.Build()
		if err != nil {
			t.Fatal(err)
		}
		mark := filepath.Join(t.TempDir(), "limited-once")
		cmd := fmt.Sprintf(`if [ ! -e %[1]s ]; then touch %[1]s; echo "Retry-After: 1" >&2; exit 75; fi; exec %[2]s token --url "$CONTRACT_BASE_URL" --user "$CONTRACT_USER"`,
			shell.Quote(mark), shell.Quote(bins.Mock))
		return runBackend(t, NewBackend(), runner.Options{TokenCmd: cmd}), "exit status: 0"
	},
	"unknown flag": func(t *testing.T) (runner.Result, string) {
		return runBackend(t, NewBackend(), runner.Options{Args: []string{"--no-such-flag"}}), "flag provided but not defined: -no-such-flag"
	},
	"invalid setting": func(t *testing.T) (runner.Result, string) {
		return runBackend(t, NewBackend(), runner.Options{Args: []string{"--timeout", "soon"}, Env: []string{"CONTRACT_SESSIONS_PER_USER=many"}}),
			`--timeout="soon": not a Go duration`
	},
	"report file not writable": func(t *testing.T) (runner.Result, string) {
		file := filepath.Join(t.TempDir(), "a-file")
		if err := os.WriteFile(file, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		return runBackend(t, NewBackend(), runner.Options{Args: []string{"--json", filepath.Join(file, "report.json")}}), "writing CONTRACT_JSON="
	},
}

// runBackend runs revoke-contract against b (minting through its control
// endpoint unless o says how).
func runBackend(t *testing.T, b *Backend, o runner.Options) runner.Result {
	t.Helper()
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	if o.TokenCmd == "" && o.Token == "" {
		o.Mint = true
	}
	return runAt(t, srv.URL, o)
}

func runAt(t *testing.T, base string, o runner.Options) runner.Result {
	t.Helper()
	if o.LabelFilter == "" {
		o.LabelFilter = "!model" // the exit statuses of the rules; the model's are model_test.go's
	}
	defer slot(t)()
	o.BaseURL = base
	res, err := runner.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

var reportRow = regexp.MustCompile(`(?m)^\| ([a-zA-Z0-9][^|]*?) \| ([0-3]) \|`)

// TestExitStatusTable runs every row of contract/REPORT.md's table of
// outcomes and checks the exit status it gives and what the run says; a row
// without a case, or a case without a row, fails.
func TestExitStatusTable(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "REPORT.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(doc), "### One row per outcome")
	table, _, _ = strings.Cut(table, "\n\n\"Before any rule\"")
	rows := reportRow.FindAllStringSubmatch(table, -1)
	if len(rows) < 15 {
		t.Fatalf("found %d rows in REPORT.md's table", len(rows))
	}
	seen := map[string]bool{}
	for _, row := range rows {
		name, want := row[1], row[2]
		seen[name] = true
		c, ok := exitCases[name]
		if !ok {
			t.Errorf("REPORT.md's row %q has no case in TestExitStatusTable", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res, says := c(t)
			t.Logf("exit %d in %v", res.ExitCode, res.Elapsed.Round(100*time.Millisecond))
			if strconv.Itoa(res.ExitCode) != want {
				t.Errorf("exit %d, REPORT.md says %s:\n%s", res.ExitCode, want, tail(res.Output, 3000))
			}
			if all := res.Output + res.JSON; !strings.Contains(all, says) {
				t.Errorf("the output does not say %q:\n%s", says, tail(res.Output, 3000))
			}
		})
	}
	for name := range exitCases {
		if !seen[name] {
			t.Errorf("case %q is not a row of REPORT.md's table", name)
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
