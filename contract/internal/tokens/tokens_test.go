package tokens

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/contract/internal/redact"
)

func TestCheckToken(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"abcdefgh12345\n", "abcdefgh12345", true},
		{"  abcdefgh12345  ", "abcdefgh12345", true},
		{"", "", false},
		{"\n", "", false},
		{"two words-long-enough", "", false},
		{"line1-long-enough\nline2-long", "", false},
		{"x1y2z", "", false},
	}
	for _, tt := range tests {
		got, err := checkToken(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("checkToken(%q) = %q, %v; want %q, ok=%t", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) && strings.TrimSpace(tt.in) != "" {
			t.Errorf("checkToken(%q) error quotes the token: %v", tt.in, err)
		}
	}
}

func TestTokensFresh(t *testing.T) {
	red := &redact.Redactor{}
	next := []string{"token-one-123", "token-two-456", "token-one-123", "", "x"}
	calls := 0
	mint := func(_ context.Context, user string) (string, error) {
		tok := next[calls]
		calls++
		return tok, nil
	}
	tk := New(mint, "", red)
	for i, want := range []string{"token-one-123", "token-two-456", "ERR gave a token of primary it had given before", "ERR printed nothing", "ERR shorter than"} {
		got, err := tk.Fresh(context.Background(), Primary)
		switch {
		case strings.HasPrefix(want, "ERR "):
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(want, "ERR ")) {
				t.Errorf("call %d: err %v, want %q", i, err, want)
			}
		case err != nil || got != want:
			t.Errorf("call %d: %q, %v; want %q", i, got, err, want)
		}
		if i == 2 && red.Redact("token-two-456") == "token-two-456" {
			t.Error("a handed-out token is not registered with the redactor")
		}
	}
	// Only the two distinct tokens handed out are sessions the run created.
	if n := tk.Minted(); n != 2 {
		t.Errorf("Minted() = %d, want 2", n)
	}
	// After breakerLimit failures in a row the source is not asked again.
	if _, err := tk.Fresh(context.Background(), Primary); err == nil || !strings.Contains(err.Error(), "not tried again") || calls != 5 {
		t.Errorf("breaker: err %v, calls %d", err, calls)
	}
}

func TestTokensStatic(t *testing.T) {
	tk := New(nil, "static-token-123", &redact.Redactor{})
	var u *Unavailable
	if _, err := tk.Fresh(context.Background(), Primary); !errors.As(err, &u) || !strings.Contains(u.Reason, "needs CONTRACT_TOKEN_CMD") {
		t.Errorf("Fresh without a command: %v", err)
	}
	if tok, err := tk.SpendStatic(context.Background()); tok != "static-token-123" || err != nil {
		t.Errorf("first SpendStatic: %q, %v", tok, err)
	}
	if _, err := tk.SpendStatic(context.Background()); !errors.As(err, &u) {
		t.Errorf("second SpendStatic: %v (the static token may be spent once)", err)
	}
}

func TestCommandMinter(t *testing.T) {
	red := &redact.Redactor{}
	red.Add("known-secret-token")
	tests := []struct {
		name, cmd string
		want      string // token, or "ERR substring"
	}{
		{"user and base URL in the environment", `echo "tok-$CONTRACT_USER-$(basename $CONTRACT_BASE_URL)"`, "tok-secondary-base"},
		{"trimmed", `printf '  tok-1234567890 \n\n'`, "tok-1234567890"},
		{"fails with stderr, redacted", `echo "refused known-secret-token" >&2; exit 2`, "ERR stderr: refused $TOKEN"},
		{"prints nothing", `true`, "ERR printed nothing"},
		{"too slow, children killed too", `sleep 30 & echo $! >"$PIDFILE"; sleep 30; echo late-token-123`, "ERR did not finish within 300ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			t.Setenv("PIDFILE", pidFile)
			// A generous bound for the commands that finish: a process spawn
			// on a loaded machine may take far longer than 300 ms. The one
			// that does not finish sleeps 30 s, so 300 ms cannot be reached
			// by it, however slow the machine.
			timeout := 30 * time.Second
			if strings.Contains(tt.want, "did not finish") {
				timeout = 300 * time.Millisecond
			}
			tok, err := CommandMinter(tt.cmd, "", "http://h/base", timeout, red)(context.Background(), Secondary)
			assertChildGone(t, pidFile)
			if w, ok := strings.CutPrefix(tt.want, "ERR "); ok {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err %v, want %q", err, w)
				}
				if err != nil && strings.Contains(err.Error(), "known-secret-token") {
					t.Errorf("error shows a token: %v", err)
				}
				return
			}
			if err != nil || tok != tt.want {
				t.Errorf("got %q, %v; want %q", tok, err, tt.want)
			}
		})
	}
}

// assertChildGone: a background child the command started (its pid in
// pidFile) does not outlive it. Killed processes may linger as zombies for
// a moment, so this waits, generously, for the process to disappear.
func assertChildGone(t *testing.T, pidFile string) {
	t.Helper()
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return // the command started no child
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && strings.Contains(string(stat), ") Z ") {
			return // a zombie: killed, waiting for its parent (init) to reap it
		}
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	t.Errorf("the command's background child %d survived the timeout", pid)
}

func TestTokensBudget(t *testing.T) {
	n := 0
	tk := New(func(context.Context, string) (string, error) { n++; return fmt.Sprintf("token-number-%d", n), nil }, "", &redact.Redactor{})
	tk.SetBudget(2)
	for i := range 2 {
		if _, err := tk.Fresh(context.Background(), Primary); err != nil {
			t.Fatalf("session %d: %v", i+1, err)
		}
	}
	var u *Unavailable
	if _, err := tk.Fresh(context.Background(), Primary); !errors.As(err, &u) || !strings.Contains(u.Reason, "session budget is spent") {
		t.Errorf("a third session of primary: %v", err)
	}
	if tk.Remaining(Primary) != 0 || tk.Remaining(Secondary) != 2 {
		t.Errorf("remaining %d, %d", tk.Remaining(Primary), tk.Remaining(Secondary))
	}
	if _, err := tk.Fresh(context.Background(), Secondary); err != nil {
		t.Errorf("secondary has its own budget: %v", err)
	}
}

// TestTokensPatience: failures are retried with backoff, rate limits are
// waited out as long as the patience allows, and a source that never gave a
// token says so.
func TestTokensPatience(t *testing.T) {
	quick := Patience{Retries: 2, Backoff: time.Millisecond, RateLimitWait: 100 * time.Millisecond}
	script := func(results ...error) (MintFunc, *int) {
		calls := 0
		return func(context.Context, string) (string, error) {
			calls++
			if calls <= len(results) {
				return "", results[calls-1]
			}
			return fmt.Sprintf("token-after-%d-calls", calls), nil
		}, &calls
	}
	boom := errors.New("login service unavailable")
	limited := &RateLimited{After: 10 * time.Millisecond, Err: errors.New("429")}
	for _, tc := range []struct {
		name    string
		results []error
		wantErr string
		calls   int
	}{
		{"two failures, then a token", []error{boom, boom}, "", 3},
		{"three failures", []error{boom, boom, boom}, "after 2 retries", 3},
		{"rate limited twice", []error{limited, limited}, "", 3},
		{"rate limited beyond patience", []error{&RateLimited{After: time.Hour, Err: errors.New("429")}}, "rate limited", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mint, calls := script(tc.results...)
			tk := New(mint, "", &redact.Redactor{})
			tk.SetPatience(quick)
			_, err := tk.Fresh(context.Background(), Primary)
			if (tc.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.wantErr) || *calls != tc.calls {
				t.Errorf("err %v (want %q), %d calls (want %d)", err, tc.wantErr, *calls, tc.calls)
			}
			if never := tk.NeverMinted(); never != (err != nil) {
				t.Errorf("NeverMinted() = %v", never)
			}
		})
	}
}

func TestCommandMinterRateLimited(t *testing.T) {
	_, err := CommandMinter(`echo "Retry-After: 7" >&2; exit 75`, "", "http://h", time.Minute, &redact.Redactor{})(context.Background(), Primary)
	var rl *RateLimited
	if !errors.As(err, &rl) || rl.After != 7*time.Second {
		t.Errorf("exit 75 with Retry-After 7: %v", err)
	}
	_, err = CommandMinter(`exit 75`, "", "http://h", time.Minute, &redact.Redactor{})(context.Background(), Primary)
	if !errors.As(err, &rl) || rl.After != 5*time.Second {
		t.Errorf("exit 75 without Retry-After: %v", err)
	}
}

func TestURLMinterRateLimited(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	_, err := URLMinter(srv.URL+"/login", srv.Client())(context.Background(), Primary)
	var rl *RateLimited
	if !errors.As(err, &rl) || rl.After != 3*time.Second {
		t.Errorf("429 with Retry-After 3: %v", err)
	}
}
