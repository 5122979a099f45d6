package mockserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/mockserver"
)

func preflight(m *mock, origin, method, headers string) result {
	h := http.Header{"Origin": {origin}, "Access-Control-Request-Method": {method}}
	if headers != "" {
		h.Set("Access-Control-Request-Headers", headers)
	}
	return m.do(http.MethodOptions, revokeAll, h, "")
}

func TestCORSPreflightEchoesTheOrigin(t *testing.T) {
	m := newMock(t, mockserver.Options{})
	res := preflight(m, "http://localhost:5173", "POST", "authorization,prefer,content-type")
	if res.status != http.StatusNoContent {
		t.Fatalf("preflight: %d", res.status)
	}
	want := map[string]string{
		"Access-Control-Allow-Origin":      "http://localhost:5173",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "POST",
		"Access-Control-Allow-Headers":     "authorization,prefer,content-type",
	}
	for k, v := range want {
		if got := res.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if !strings.Contains(strings.Join(res.header.Values("Vary"), ","), "Origin") {
		t.Errorf("Vary %q must list Origin", res.header.Values("Vary"))
	}
	// Without a list, the defaults cover what the endpoint needs.
	res = preflight(m, "http://localhost:5173", "POST", "")
	if got := res.header.Get("Access-Control-Allow-Headers"); got != "Authorization, Content-Type, Prefer" {
		t.Errorf("default allowed headers %q", got)
	}
	// A header list that is not a list of tokens is not echoed.
	res = preflight(m, "http://localhost:5173", "POST", "authorization, x=\"y\"")
	if got := res.header.Get("Access-Control-Allow-Headers"); got != "Authorization, Content-Type, Prefer" {
		t.Errorf("a malformed request-headers list was echoed: %q", got)
	}
}

func TestCORSOnRealAnswers(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
	for name, h := range map[string]http.Header{
		"200": {"Origin": {"http://app.test"}, "Authorization": {"Bearer " + m.mint("alice")}},
		"401": {"Origin": {"http://app.test"}},
	} {
		res := m.do(http.MethodPost, revokeAll, h, "")
		if res.header.Get("Access-Control-Allow-Origin") != "http://app.test" || res.header.Get("Access-Control-Allow-Origin") == "*" {
			t.Errorf("%s: Access-Control-Allow-Origin %q", name, res.header.Get("Access-Control-Allow-Origin"))
		}
		if exp := res.header.Get("Access-Control-Expose-Headers"); !strings.Contains(exp, "WWW-Authenticate") || !strings.Contains(exp, "Preference-Applied") || !strings.Contains(exp, "Allow") {
			t.Errorf("%s: Access-Control-Expose-Headers %q must expose WWW-Authenticate, Preference-Applied and Allow", name, exp)
		}
		if res.header.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(strings.Join(res.header.Values("Vary"), ","), "Origin") {
			t.Errorf("%s: Allow-Credentials %q, Vary %q; want true and Origin", name, res.header.Get("Access-Control-Allow-Credentials"), res.header.Values("Vary"))
		}
	}
	res := m.do(http.MethodGet, "/__mock/health", nil, "")
	if res.header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(strings.Join(res.header.Values("Vary"), ","), "Origin") {
		t.Errorf("without an Origin: no CORS headers but Vary: Origin; got %v", res.header)
	}
}

func TestCORSOriginsRestrict(t *testing.T) {
	m := newMock(t, mockserver.Options{CORSOrigins: []string{"http://localhost:5173", "https://App.Example:8443", "https://default.example:443"}})
	if res := preflight(m, "http://localhost:5173", "POST", "authorization"); res.status != http.StatusNoContent || res.header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
		t.Errorf("listed origin: %d %q", res.status, res.header.Get("Access-Control-Allow-Origin"))
	}
	if res := preflight(m, "https://app.example:8443", "POST", "authorization"); res.status != http.StatusNoContent {
		t.Errorf("origins compare case-insensitively: %d", res.status)
	}
	if res := preflight(m, "https://default.example", "POST", "authorization"); res.status != http.StatusNoContent {
		t.Errorf("a listed default port matches the Origin a browser sends without it: %d", res.status)
	}
	if res := preflight(m, "http://default.example", "POST", "authorization"); res.status != http.StatusForbidden {
		t.Errorf("another scheme is another origin: %d, want 403", res.status)
	}
	res := preflight(m, "http://evil.test", "POST", "authorization")
	if res.status != http.StatusForbidden || res.header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(string(res.body), "origin-not-allowed") {
		t.Errorf("unlisted origin preflight: %d ACAO=%q %s", res.status, res.header.Get("Access-Control-Allow-Origin"), res.body)
	}
	res = m.do(http.MethodPost, revokeAll, http.Header{"Origin": {"http://evil.test"}}, "")
	if res.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("unlisted origin got CORS headers on a real answer")
	}
	if _, err := mockserver.New(mockserver.Options{CORSOrigins: []string{"http://x.test/path"}}); err == nil {
		t.Error("an origin with a path must be refused")
	}
	// An origin has no fragment and no query, not even an empty one (found
	// by FuzzCORSOrigins: "http://localhost:5173#x" matched and was echoed).
	for _, o := range []string{"http://localhost:5173#x", "http://localhost:5173/#/", "http://localhost:5173?"} {
		if res := preflight(m, o, "POST", "authorization"); res.status != http.StatusForbidden {
			t.Errorf("preflight from %q: %d, want 403", o, res.status)
		}
		if _, err := mockserver.New(mockserver.Options{CORSOrigins: []string{o}}); err == nil {
			t.Errorf("--cors-origins %q must be refused", o)
		}
	}
}
