package mockserver_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/internal/testkit"
	"github.com/flashback/revoke-contract/mockserver"
)

// TestDashboardPage: GET /__mock/ (exactly) is one self-contained page whose
// inline style and script are the only ones its Content-Security-Policy
// allows, which talks to its own origin only; it holds no data, so it is
// served without the control token, and never contains it.
func TestDashboardPage(t *testing.T) {
	const secret = "ctl-secret-Zq93LmA0"
	m := newMock(t, mockserver.Options{ControlToken: secret})
	res := m.do(http.MethodGet, "/__mock/", nil, "")
	if res.status != http.StatusOK || res.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /__mock/: %d %s", res.status, res.header.Get("Content-Type"))
	}
	page := string(res.body)
	if strings.Contains(page, secret) {
		t.Fatal("the page contains the control token")
	}
	if !strings.Contains(page, `<body data-locked="">`) {
		t.Error("the page does not say that the mock wants its control token")
	}
	if open := newMock(t, mockserver.Options{}).do(http.MethodGet, "/__mock/", nil, ""); strings.Contains(string(open.body), "<body data-locked") {
		t.Error("without --control-token the page says the mock is locked")
	}
	csp := res.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "connect-src 'self'", "base-uri 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy allows any inline code: %q", csp)
	}
	for _, tag := range []string{"style", "script"} {
		blocks := regexp.MustCompile(`(?s)<`+tag+`>(.*?)</`+tag+`>`).FindAllStringSubmatch(page, -1)
		if len(blocks) != 1 || len(blocks[0][1]) < 100 {
			t.Fatalf("want exactly one inline <%s> with the embedded code, got %d", tag, len(blocks))
		}
		sum := sha256.Sum256([]byte(blocks[0][1]))
		if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, tag+"-src "+h) {
			t.Errorf("the policy does not allow the inline %s by its hash %s: %q", tag, h, csp)
		}
	}
	if ext := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//`).FindString(page); ext != "" {
		t.Errorf("the page loads something from elsewhere: %q", ext)
	}
	if res := m.do(http.MethodHead, "/__mock/", nil, ""); res.status != http.StatusOK {
		t.Errorf("HEAD /__mock/: %d", res.status)
	}
	// Everything else under /__mock/ still wants the token; with it, the
	// other methods on /__mock/ are a 405 and unknown paths keep their 404.
	if res := m.do(http.MethodGet, "/__mock/requests", nil, ""); res.status != http.StatusUnauthorized {
		t.Errorf("GET /__mock/requests without the token: %d, want 401", res.status)
	}
	auth := http.Header{mockserver.ControlTokenHeader: {secret}}
	if res := m.do(http.MethodPost, "/__mock/", auth, "x"); res.status != http.StatusMethodNotAllowed || res.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /__mock/: %d Allow=%q, want 405 with GET, HEAD", res.status, res.header.Get("Allow"))
	}
	for _, p := range []string{"/__mock/nope", "/__mock/index.html", "/__mock//"} {
		if res := m.do(http.MethodGet, p, auth, ""); res.status != http.StatusNotFound || !strings.Contains(string(res.body), "urn:revoke-mock:problem:not-found") {
			t.Errorf("GET %s: %d %s, want the 404 problem", p, res.status, res.body)
		}
	}
	if res := m.do(http.MethodGet, "/__mock/nope", auth, ""); !strings.Contains(string(res.body), `"GET /__mock/"`) || strings.Contains(string(res.body), "{$}") {
		t.Errorf("the 404 problem should list GET /__mock/ as people write it: %s", res.body)
	}
}

// TestDashboardData: what the page reads besides the journal and the
// scenarios: the operations with their documented answers and the faults,
// and the users with live sessions (never a token).
func TestDashboardData(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
	res := m.do(http.MethodGet, "/__mock/operations", nil, "")
	if res.status != http.StatusOK {
		t.Fatalf("GET /__mock/operations: %d %s", res.status, res.body)
	}
	var ops struct {
		Operations []struct {
			Operation, Method, Path string
			Answers                 []struct {
				Status   string
				Examples []string
			}
		}
		Faults   []string
		Sessions string
	}
	if err := json.Unmarshal(res.body, &ops); err != nil {
		t.Fatal(err)
	}
	if len(ops.Operations) != 1 || ops.Operations[0].Operation != "post__sessions_revoke-all" || ops.Operations[0].Method != "POST" || ops.Operations[0].Path != revokeAll {
		t.Fatalf("operations = %+v, want the spec's one operation", ops.Operations)
	}
	answers := map[string][]string{}
	for _, a := range ops.Operations[0].Answers {
		answers[a.Status] = a.Examples
	}
	if strings.Join(answers["200"], ",") != "success" || strings.Join(answers["500"], ",") != "server_error" || answers["401"] == nil {
		t.Errorf("answers = %v, want 200 success, 500 server_error and the 401", answers)
	}
	if strings.Join(ops.Faults, ",") != "reset,close,hang,drip,malformed" || ops.Sessions != "issued" {
		t.Errorf("faults %v, sessions %q", ops.Faults, ops.Sessions)
	}

	a := m.mint("alice")
	m.mint("alice")
	m.mint("bob")
	res = m.do(http.MethodGet, "/__mock/sessions", nil, "")
	if res.status != http.StatusOK || string(res.body) != `{"mode":"issued","users":[{"user":"alice","sessions":2},{"user":"bob","sessions":1}]}` {
		t.Fatalf("GET /__mock/sessions: %d %s", res.status, res.body)
	}
	if strings.Contains(string(res.body), a) {
		t.Fatal("GET /__mock/sessions shows a token")
	}
	m.revoke(a)
	if res := m.do(http.MethodGet, "/__mock/sessions", nil, ""); string(res.body) != `{"mode":"issued","users":[{"user":"bob","sessions":1}]}` {
		t.Errorf("after alice's revoke-all: %s", res.body)
	}
}

// TestDashboardPollsAreNotLogged: the page's periodic reads (marked with
// Mock-Dashboard) stay out of the request log; its actions do not.
func TestDashboardPollsAreNotLogged(t *testing.T) {
	var logOut testkit.Buffer
	m := newMock(t, mockserver.Options{Logger: slog.New(slog.NewTextHandler(&logOut, nil))})
	poll := http.Header{mockserver.DashboardHeader: {"poll"}}
	m.do(http.MethodGet, "/__mock/requests", poll, "")
	m.do(http.MethodGet, "/__mock/scenarios", poll, "")
	m.do(http.MethodGet, "/__mock/health", nil, "")
	m.do(http.MethodPost, "/__mock/scenarios", poll, `{"operation":"post__sessions_revoke-all","status":500,"times":1}`)
	log := logOut.String()
	if strings.Contains(log, "/__mock/requests") || strings.Contains(log, "control.scenario-list") {
		t.Errorf("a dashboard poll was logged:\n%s", log)
	}
	if !strings.Contains(log, "/__mock/health") || !strings.Contains(log, "control.scenario-add") {
		t.Errorf("an unmarked read or an action is missing from the log:\n%s", log)
	}
}
