package tokens

import (
	"context"
	"errors"
	"fmt"
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
			tok, err := CommandMinter(tt.cmd, "", "http://h/base", 300*time.Millisecond, red)(context.Background(), Secondary)
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
