// Package replicas runs two revoke-mock processes against one real
// redis-server (--store redis://...), as a team's shared mock runs behind a
// load balancer, and proves that they are one mock: sessions, revocations,
// scenarios and the journal are shared, concurrent revoke-alls on both
// leave no session alive, a Redis that goes away makes them answer 503 and
// come back by themselves, a Redis that lost its data is reported, and the
// contract suite passes in strict mode against one replica with tokens
// minted on the other.
package replicas

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/contract/runner"
	"github.com/flashback/revoke-contract/internal/redistest"
	"github.com/flashback/revoke-contract/internal/shell"
	"github.com/flashback/revoke-contract/internal/testenv"
	"github.com/flashback/revoke-contract/internal/testkit"
)

func TestMain(m *testing.M) { runner.Main(m) }

// replica starts revoke-mock --store url and returns its base URL and log.
func replica(t *testing.T, url string, args ...string) (string, string) {
	t.Helper()
	bins, err := runner.Build()
	if err != nil {
		t.Fatal(err)
	}
	// A generous store timeout: a loaded CI machine is slow; a Redis that
	// is down refuses connections at once, whatever the timeout.
	p := testkit.StartMock(t, bins.Mock, append([]string{"--log-format", "json", "--sessions", "issued", "--store", url, "--store-timeout", "30s"}, args...)...)
	return p.URL, p.LogPath
}

var client = &http.Client{Timeout: 30 * time.Second}

type answer struct {
	status int
	ctype  string
	body   string
}

func call(t *testing.T, method, url, token string, body string, header ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return answer{}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), string(data)}
}

func mint(t *testing.T, base, user string) string {
	t.Helper()
	a := call(t, "POST", base+"/__mock/sessions", "", `{"user":"`+user+`"}`)
	var v struct{ Token string }
	if a.status != 201 || json.Unmarshal([]byte(a.body), &v) != nil || v.Token == "" {
		t.Fatalf("mint %s on %s: %d %s", user, base, a.status, a.body)
	}
	return v.Token
}

func revoke(t *testing.T, base, token string, header ...string) answer {
	t.Helper()
	return call(t, "POST", base+"/sessions/revoke-all", token, "", header...)
}

// TestTwoReplicasAreOneMock: the behaviours the issue lists, on two
// revoke-mock processes sharing one Redis, then the contract suite.
func TestTwoReplicasAreOneMock(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, false)
	a, _ := replica(t, srv.URL(0))
	b, _ := replica(t, srv.URL(0))

	t.Run("mint on A, revoke-all on B, dead on A", func(t *testing.T) {
		laptop, phone, bob := mint(t, a, "alice"), mint(t, b, "alice"), mint(t, a, "bob")
		if got := revoke(t, b, phone).status; got != 200 {
			t.Fatalf("revoke-all on B: %d", got)
		}
		for _, tok := range []string{laptop, phone} {
			if got := revoke(t, a, tok).status; got != 401 {
				t.Errorf("alice's token on A after her revoke-all on B: %d, want 401", got)
			}
		}
		if got := revoke(t, a, bob).status; got != 200 {
			t.Errorf("bob's token on A: %d, want 200", got)
		}
	})

	t.Run("concurrent revoke-alls on A and B leave no session", func(t *testing.T) {
		for round := range 10 {
			user := fmt.Sprintf("dana-%d", round)
			var toks []string
			for i := range 6 {
				toks = append(toks, mint(t, []string{a, b}[i%2], user))
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			codes := map[int]int{}
			for i := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got := revoke(t, []string{a, b}[i%2], toks[i]).status
					mu.Lock()
					codes[got]++
					mu.Unlock()
				}()
			}
			wg.Wait()
			if codes[200] < 1 || codes[200]+codes[401] != 4 {
				t.Fatalf("round %d: concurrent revoke-alls answered %v, want 200s and 401s only, at least one 200", round, codes)
			}
			for i, tok := range toks {
				for _, base := range []string{a, b} {
					if got := revoke(t, base, tok).status; got != 401 {
						t.Fatalf("round %d: session %d after concurrent revoke-alls on A and B: %d on %s, want 401", round, i, got, base)
					}
				}
			}
		}
	})

	t.Run("a times:1 scenario fires once across both", func(t *testing.T) {
		sc := call(t, "POST", a+"/__mock/scenarios", "", `{"operation":"post__sessions_revoke-all","status":500,"times":1,"header":{"name":"X-Test","value":"once"}}`)
		if sc.status != 201 {
			t.Fatalf("scenario: %d %s", sc.status, sc.body)
		}
		var toks []string
		for i := range 20 {
			toks = append(toks, mint(t, a, fmt.Sprintf("erin-%d", i)))
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[int]int{}
		for i, tok := range toks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got := revoke(t, []string{a, b}[i%2], tok, "X-Test", "once").status
				mu.Lock()
				codes[got]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if codes[500] != 1 || codes[200] != 19 {
			t.Errorf("20 requests on two replicas for a times:1 scenario: %v, want one 500 and 19 200s", codes)
		}
		if l := call(t, "GET", b+"/__mock/scenarios", "", ""); !strings.Contains(l.body, `"scenarios":[]`) {
			t.Errorf("the scenario is still listed on B: %s", l.body)
		}
	})

	t.Run("the journal shows requests from both", func(t *testing.T) {
		revoke(t, a, "never-minted-1", "X-Replica", "went-to-a")
		revoke(t, b, "never-minted-2", "X-Replica", "went-to-b")
		for _, base := range []string{a, b} {
			j := call(t, "GET", base+"/__mock/requests?limit=1000", "", "")
			if j.status != 200 || !strings.Contains(j.body, "went-to-a") || !strings.Contains(j.body, "went-to-b") {
				t.Errorf("the journal on %s lacks a replica's request: %d %.300s", base, j.status, j.body)
			}
		}
	})

	t.Run("the contract suite against A, tokens minted on B, strict", func(t *testing.T) {
		// The token command mints on B with curl: a process of ~10 ms where
		// `revoke-mock token` (what the README suggests, tested in
		// contract/teeth) costs ~150 ms, ~75 times a run.
		curl := testenv.LookPath(t, "the contract suite against two replicas", "apt-get install curl", "curl")
		cmd := shell.Quote(curl) + ` -sS --fail-with-body -X POST -d "{\"user\":\"$CONTRACT_USER\"}" ` + shell.Quote(b+"/__mock/sessions") +
			` | sed -n 's/.*"token":"\([^"]*\)".*/\1/p'`
		res, err := runner.Run(context.Background(), runner.Options{BaseURL: a, TokenCmd: cmd, Strict: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != 0 {
			t.Fatalf("the suite against replica A with tokens from B: exit %d\n%s", res.ExitCode, res.Failures())
		}
		if len(res.Rules("passed")) < 20 {
			t.Errorf("only %d rules passed: %v", len(res.Rules("passed")), res.Rules("passed"))
		}
	})
}

// waitFor polls until cond holds, for at most 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testkit.WaitFor(t, 30*time.Second, what, cond)
}

func health(t *testing.T, base string) (int, string) {
	a := call(t, "GET", base+"/__mock/health", "", "")
	var v struct{ Status string }
	_ = json.Unmarshal([]byte(a.body), &v)
	return a.status, v.Status
}

// TestRedisKilledAndRestarted: Redis killed mid-run: both replicas answer
// 503 problem+json naming the store (never a 200 or 401 they cannot know)
// and say so on health; restarted with its data, they serve again by
// themselves and every revocation holds. Restarted empty (its data lost),
// they report the loss instead of accepting revoked tokens, until a reset.
func TestRedisKilledAndRestarted(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, true)
	a, logA := replica(t, srv.URL(0))
	b, _ := replica(t, srv.URL(0))
	live, dead := mint(t, a, "alice"), mint(t, b, "bob")
	if got := revoke(t, b, dead).status; got != 200 {
		t.Fatal(got)
	}

	srv.Kill()
	for _, base := range []string{a, b} {
		for _, tok := range []string{live, dead} {
			got := revoke(t, base, tok)
			if got.status != 503 || got.ctype != "application/problem+json" || !strings.Contains(got.body, "redis://"+srv.Addr) {
				t.Errorf("revoke-all on %s with Redis down: %d %s %s, want 503 problem+json naming the store", base, got.status, got.ctype, got.body)
			}
		}
		waitFor(t, "health 503 with Redis down on "+base, func() bool { c, s := health(t, base); return c == 503 && s == "store-unavailable" })
	}

	srv.Restart()
	for _, base := range []string{a, b} {
		waitFor(t, "health 200 with Redis back on "+base, func() bool { c, s := health(t, base); return c == 200 && s == "ok" })
	}
	if got := revoke(t, a, dead).status; got != 401 {
		t.Errorf("the token revoked before the restart: %d, want 401", got)
	}
	if got := revoke(t, b, live).status; got != 200 {
		t.Errorf("the live token after the restart: %d, want 200", got)
	}
	if got := revoke(t, a, live).status; got != 401 {
		t.Errorf("the token just revoked: %d, want 401", got)
	}
	logged, _ := os.ReadFile(logA)
	if !strings.Contains(string(logged), "the store is unavailable") || !strings.Contains(string(logged), "the store is back") {
		t.Errorf("A's log does not say the store went and came back:\n%s", logged)
	}

	srv.Kill()
	srv.Wipe()
	srv.Restart()
	for _, base := range []string{a, b} {
		got := revoke(t, base, dead)
		if got.status != 503 || !strings.Contains(got.body, "lost its data") {
			t.Errorf("a revoked token on %s after Redis lost its data: %d %s, want 503 saying the data was lost", base, got.status, got.body)
		}
		waitFor(t, "health says lost on "+base, func() bool { c, s := health(t, base); return c == 503 && s == "store-lost" })
	}
	if got := call(t, "POST", b+"/__mock/reset", "", ""); got.status != 204 {
		t.Fatalf("reset on B: %d %s", got.status, got.body)
	}
	tok := mint(t, a, "alice")
	if got := revoke(t, a, tok).status; got != 200 {
		t.Errorf("after the reset: %d, want 200", got)
	}
	waitFor(t, "health ok on A after the reset", func() bool { c, _ := health(t, a); return c == 200 })
}

// TestUnreachableStoreAtStart: revoke-mock with a Redis that is not there
// exits at once with an error naming it (and never its password).
func TestUnreachableStoreAtStart(t *testing.T) {
	t.Parallel()
	bins, err := runner.Build()
	if err != nil {
		t.Fatal(err)
	}
	addr := testkit.FreeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bins.Mock, "--port", "0", "--store", "redis://:s3cretpass@"+addr+"/0").CombinedOutput()
	if err == nil || ctx.Err() != nil {
		t.Fatalf("revoke-mock with an unreachable store: %v (deadline: %v)\n%s", err, ctx.Err(), out)
	}
	if !strings.Contains(string(out), addr) || strings.Contains(string(out), "s3cretpass") || strings.Contains(string(out), "ready") {
		t.Errorf("the error should name the store, without its password, and nothing be served:\n%s", out)
	}
}
