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
	"regexp"
	"strconv"
	"strings"
	"sync"
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

// RateLimited is a mint refused for now: the token command exited 75
// (EX_TEMPFAIL) and printed "Retry-After: N" on stderr, or the token
// endpoint answered 429. The source waits After and tries again.
type RateLimited struct {
	After time.Duration
	Err   error
}

func (r *RateLimited) Error() string {
	return fmt.Sprintf("rate limited (retry after %s): %v", r.After, r.Err)
}

func (r *RateLimited) Unwrap() error { return r.Err }

// Patience says how hard the source tries before a mint counts as failed.
type Patience struct {
	Retries int           // further attempts after a failed one
	Backoff time.Duration // the first wait; it doubles at each retry
	// RateLimitWait bounds the waits that RateLimited answers ask for, in
	// all, per token.
	RateLimitWait time.Duration
}

// DefaultPatience suits a login that fails now and then and a rate limit
// of some logins a minute.
var DefaultPatience = Patience{Retries: 2, Backoff: 500 * time.Millisecond, RateLimitWait: 3 * time.Minute}

// Source hands out tokens and registers each with the redactor before anyone
// sees it. Safe for concurrent use.
type Source struct {
	mint     MintFunc // nil: no way to mint
	static   string
	redactor *redact.Redactor
	budget   int // sessions per user; 0: no limit
	patience Patience

	mu         sync.Mutex
	handedOut  map[string]bool
	perUser    map[string]int
	staticUsed bool
	failures   int
	lastErr    error
	everFailed bool
}

// New builds the token source. mint may be nil; static may be "".
func New(mint MintFunc, static string, redactor *redact.Redactor) *Source {
	redactor.Add(static)
	return &Source{mint: mint, static: static, redactor: redactor, patience: DefaultPatience, perUser: map[string]int{}}
}

// SetBudget caps the sessions the source creates for each user; 0 means no
// cap. A rule that needs more is told so (Unavailable).
func (t *Source) SetBudget(perUser int) { t.budget = perUser }

// SetPatience replaces DefaultPatience.
func (t *Source) SetPatience(p Patience) { t.patience = p }

// Remaining is how many sessions of user the budget still allows; -1
// without a budget.
func (t *Source) Remaining(user string) int {
	if t.budget == 0 {
		return -1
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return max(0, t.budget-t.perUser[user])
}

// NeverMinted reports whether the source was asked for tokens, failed, and
// never produced one: the run could not check anything that needs one.
func (t *Source) NeverMinted() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.everFailed && len(t.handedOut) == 0
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
	if t.budget > 0 && t.perUser[user] >= t.budget {
		t.mu.Unlock()
		return "", &Unavailable{Reason: fmt.Sprintf("the session budget is spent: %d sessions of %s already created in this run (--sessions-per-user, CONTRACT_SESSIONS_PER_USER)", t.budget, user)}
	}
	t.mu.Unlock()

	tok, err := t.mintPatiently(ctx, user)
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
		t.everFailed = true
		return "", err
	}
	t.failures = 0
	t.perUser[user]++
	return tok, nil
}

// maxRateLimited bounds the rate-limited attempts for one token, whatever
// Retry-After says (a source that answers "retry after 0" for ever).
const maxRateLimited = 20

// mintPatiently calls the minter, waiting out what it says is a rate limit
// and retrying, with backoff, what failed otherwise.
func (t *Source) mintPatiently(ctx context.Context, user string) (string, error) {
	var waited time.Duration
	backoff := t.patience.Backoff
	retries, limited := 0, 0
	for {
		tok, err := t.mint(ctx, user)
		if err == nil {
			return tok, nil
		}
		wait := backoff
		var rl *RateLimited
		switch {
		case errors.As(err, &rl):
			limited++
			if waited+rl.After > t.patience.RateLimitWait || limited > maxRateLimited {
				return "", fmt.Errorf("%w; waited %s in all on %d rate limits already", err, waited, limited-1)
			}
			wait = rl.After
			waited += wait
		case retries >= t.patience.Retries:
			if retries > 0 {
				return "", fmt.Errorf("%w (after %d retries)", err, retries)
			}
			return "", err
		default:
			retries++
			backoff *= 2
		}
		select {
		case <-ctx.Done():
			return "", err
		case <-time.After(wait):
		}
	}
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
		// Kill the whole process group on timeout (sh's children too, where
		// the system has groups: proc_unix.go), and stop waiting for pipes a
		// grandchild may hold open.
		killGroupOnCancel(c)
		c.WaitDelay = time.Second
		err := c.Run()
		if ctx.Err() == context.DeadlineExceeded {
			return "", fmt.Errorf("CONTRACT_TOKEN_CMD (CONTRACT_USER=%s) did not finish within %s", user, limit)
		}
		if c.ProcessState != nil && c.ProcessState.ExitCode() == exTempFail {
			after := retryAfterSeconds("")
			if m := retryAfterLine.FindStringSubmatch(stderr.String()); m != nil {
				after = retryAfterSeconds(m[1])
			}
			return "", &RateLimited{After: after, Err: fmt.Errorf("CONTRACT_TOKEN_CMD (CONTRACT_USER=%s) exited 75: rate limited", user)}
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
		tok, err := controlclient.MintAt(ctx, client, url, user)
		var se *controlclient.StatusError
		if errors.As(err, &se) && se.Status == http.StatusTooManyRequests {
			return "", &RateLimited{After: retryAfterSeconds(se.RetryAfter), Err: err}
		}
		return tok, err
	}
}

// exTempFail is EX_TEMPFAIL (sysexits.h): a token command that exits with
// it was rate limited, and says for how long on stderr.
const exTempFail = 75

var retryAfterLine = regexp.MustCompile(`(?im)^\s*retry-after:\s*(\d+)\s*$`)

// retryAfterSeconds reads a number of seconds; absent or unreadable, a
// default the rate limits of login endpoints usually allow.
func retryAfterSeconds(v string) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	return 5 * time.Second
}
