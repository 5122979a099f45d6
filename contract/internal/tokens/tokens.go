// Package tokens hands the suite's rules the tokens they spend: fresh ones
// from CONTRACT_TOKEN_CMD (or the in-process mock's control API), or one
// static CONTRACT_TOKEN. Every token is registered with the redactor before
// anything else sees it.
package tokens

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/flashback/revoke-contract/contract/internal/redact"
	"github.com/flashback/revoke-contract/mockserver/controlclient"
)

// Users the suite asks tokens for (CONTRACT_USER of the token command).
const (
	Primary   = "primary"
	Secondary = "secondary"
)

// Unavailable means the configuration cannot provide the token a rule needs;
// the rule is skipped with Reason.
type Unavailable struct{ Reason string }

func (u *Unavailable) Error() string { return u.Reason }

// MintFunc returns the token of a new session of user.
type MintFunc func(ctx context.Context, user string) (string, error)

// failureLimit: after this many failed mints in a row the source is not
// tried again, so a broken token command costs a few runs, not one per rule.
const failureLimit = 3

// Source hands out tokens and registers each with the redactor before anyone
// sees it. Safe for concurrent use.
type Source struct {
	mint     MintFunc // nil: no way to mint
	static   string
	redactor *redact.Redactor

	mu         sync.Mutex
	handedOut  map[string]bool
	staticUsed bool
	failures   int
	lastErr    error
}

// New builds the token source. mint may be nil; static may be "".
func New(mint MintFunc, static string, redactor *redact.Redactor) *Source {
	redactor.Add(static)
	return &Source{mint: mint, static: static, redactor: redactor}
}

// CanMint reports whether fresh tokens are available.
func (t *Source) CanMint() bool { return t.mint != nil }

// NeedsCmd is the reason a rule that needs fresh tokens is skipped.
func (t *Source) NeedsCmd() string {
	if t.static != "" {
		return "needs CONTRACT_TOKEN_CMD: it spends fresh tokens, and the one static CONTRACT_TOKEN is kept for SCHEMA-001"
	}
	return "needs CONTRACT_TOKEN_CMD: it spends fresh tokens, and no token source is configured"
}

// Fresh returns the token of a new session of user, or *Unavailable.
func (t *Source) Fresh(ctx context.Context, user string) (string, error) {
	if t.mint == nil {
		return "", &Unavailable{Reason: t.NeedsCmd()}
	}
	t.mu.Lock()
	if t.failures >= failureLimit {
		err := t.lastErr
		t.mu.Unlock()
		return "", fmt.Errorf("not tried again after %d failures in a row: %w", failureLimit, err)
	}
	t.mu.Unlock()

	tok, err := t.mint(ctx, user)
	if err == nil {
		tok, err = checkToken(tok)
	}
	if err == nil {
		t.redactor.Add(tok)
		t.mu.Lock()
		if t.handedOut[tok] || tok == t.static {
			err = fmt.Errorf("the token source gave a token of %s it had given before (value not shown): each call must create a new session", user)
		}
		if t.handedOut == nil {
			t.handedOut = map[string]bool{}
		}
		t.handedOut[tok] = true
		t.mu.Unlock()
	}
	if err != nil {
		// The message may quote the command's output: redact tokens we know.
		err = errors.New(t.redactor.Redact(err.Error()))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.failures++
		t.lastErr = err
		return "", err
	}
	t.failures = 0
	return tok, nil
}

// Minted is the number of sessions the token source created during the run:
// the distinct tokens it handed out (the static CONTRACT_TOKEN is not one).
func (t *Source) Minted() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.handedOut)
}

// SpendStatic returns a token for a rule that makes one successful call:
// a fresh one when possible, else the static token, once per run.
func (t *Source) SpendStatic(ctx context.Context) (string, error) {
	if t.mint != nil {
		return t.Fresh(ctx, Primary)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.static == "":
		return "", &Unavailable{Reason: "needs CONTRACT_TOKEN_CMD or CONTRACT_TOKEN: no token source is configured"}
	case t.staticUsed:
		return "", &Unavailable{Reason: "needs CONTRACT_TOKEN_CMD: the static CONTRACT_TOKEN was already spent by an earlier rule"}
	}
	t.staticUsed = true
	return t.static, nil
}

func checkToken(tok string) (string, error) {
	tok = strings.TrimSpace(tok)
	switch {
	case tok == "":
		return "", errors.New("the token source printed nothing")
	case strings.ContainsAny(tok, " \t\r\n"):
		return "", errors.New("the token source printed more than one word (expected the token alone; output not shown)")
	case len(tok) < redact.MinTokenLength:
		return "", fmt.Errorf("the token source printed a token shorter than %d characters, too short to be redacted reliably (value not shown)", redact.MinTokenLength)
	}
	return tok, nil
}

// CommandMinter runs cmd with sh -c in dir, CONTRACT_USER set to the user
// and CONTRACT_BASE_URL to the backend, bounded by limit. Its trimmed stdout
// is the token; stderr only shows up (redacted, shortened) when it fails.
func CommandMinter(cmd, dir, baseURL string, limit time.Duration, redactor *redact.Redactor) MintFunc {
	return func(ctx context.Context, user string) (string, error) {
		ctx, cancel := context.WithTimeout(ctx, limit)
		defer cancel()
		c := exec.CommandContext(ctx, "sh", "-c", cmd)
		c.Dir = dir
		c.Env = append(os.Environ(), "CONTRACT_USER="+user, "CONTRACT_BASE_URL="+baseURL)
		var stdout, stderr bytes.Buffer
		c.Stdout, c.Stderr = &stdout, &stderr
		// Kill the whole process group on timeout (sh's children too), and
		// stop waiting for pipes a grandchild may hold open.
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
		c.WaitDelay = time.Second
		err := c.Run()
		if ctx.Err() == context.DeadlineExceeded {
			return "", fmt.Errorf("CONTRACT_TOKEN_CMD (CONTRACT_USER=%s) did not finish within %s", user, limit)
		}
		if err != nil {
			msg := strings.TrimSpace(redactor.Redact(stderr.String()))
			if len(msg) > 300 {
				msg = msg[:300] + "…"
			}
			if msg == "" {
				msg = "(no output on stderr)"
			}
			return "", fmt.Errorf("CONTRACT_TOKEN_CMD (CONTRACT_USER=%s) failed: %v; stderr: %s", user, err, msg)
		}
		tok, err := checkToken(stdout.String())
		if err != nil {
			return "", fmt.Errorf("CONTRACT_TOKEN_CMD (CONTRACT_USER=%s): %w", user, err)
		}
		return tok, nil
	}
}

// URLMinter mints tokens at an HTTP endpoint (CONTRACT_TOKEN_URL, or the
// in-process mock's POST /__mock/sessions): POST {"user": user}, answered
// 200 or 201 with {"token": ...}. One request per session, no process:
// the cheap way for test backends that offer such an endpoint.
func URLMinter(url string, client *http.Client) MintFunc {
	return func(ctx context.Context, user string) (string, error) {
		return controlclient.MintAt(ctx, client, url, user)
	}
}
