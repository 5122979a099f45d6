package mockserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/mockserver"
)

func TestControlAPI(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
	if res := m.do(http.MethodGet, "/__mock/health", nil, ""); res.status != 200 || !strings.HasPrefix(string(res.body), `{"status":"ok","spec":{"source":"spec/openapi.yaml (embedded)","sha256":"`) {
		t.Errorf("health: %d %s, want status ok first, then the spec served", res.status, res.body)
	}
	res := m.do(http.MethodPost, "/__mock/sessions", nil, `{"user":"alice"}`)
	if res.status != http.StatusCreated || res.json(t)["user"] != "alice" {
		t.Fatalf("mint: %d %s", res.status, res.body)
	}
	// INTERFACES.md and the README document the bytes: user first, then token.
	if !strings.HasPrefix(string(res.body), `{"user":"alice","token":"`) || res.header.Get("Content-Type") != "application/json" {
		t.Errorf("mint answered %s (%s), want {\"user\":\"alice\",\"token\":\"...\"}", res.body, res.header.Get("Content-Type"))
	}
	a, b := m.mint("alice"), m.mint("alice")
	if a == b {
		t.Error("two mints gave the same token")
	}
	for _, body := range []string{``, `{`, `{}`, `{"user":""}`, `{"user":"   "}`, `{"user":42}`, `{"user":"` + strings.Repeat("a", 300) + `"}`} {
		res := m.do(http.MethodPost, "/__mock/sessions", nil, body)
		if res.status != http.StatusBadRequest || !strings.Contains(string(res.body), "invalid-control-request") {
			t.Errorf("mint with %.40q: %d %s, want 400 invalid-control-request", body, res.status, res.body)
		}
	}
	if res := m.do(http.MethodPut, "/__mock/sessions", nil, ""); res.status != http.StatusMethodNotAllowed || res.header.Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("PUT sessions: %d Allow=%q", res.status, res.header.Get("Allow"))
	}
	if res := m.do(http.MethodGet, "/__mock/nope", nil, ""); res.status != http.StatusNotFound || !strings.Contains(string(res.body), "/__mock/health") {
		t.Errorf("unknown control endpoint: %d %s, want 404 listing the endpoints", res.status, res.body)
	}
	if res := m.do(http.MethodPost, "/__mock/reset", nil, ""); res.status != http.StatusNoContent {
		t.Errorf("reset: %d", res.status)
	}
	if res := m.revoke(a); res.status != http.StatusUnauthorized {
		t.Errorf("token minted before reset: %d, want 401", res.status)
	}
}

func TestMintMethod(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
	tok, err := m.srv.Mint("alice")
	if err != nil {
		t.Fatal(err)
	}
	if res := m.revoke(tok); res.status != http.StatusOK {
		t.Errorf("token from Server.Mint: %d", res.status)
	}
	if _, err := m.srv.Mint(""); err == nil {
		t.Error("Mint(\"\") must fail")
	}
}

func TestOptionsAreChecked(t *testing.T) {
	for name, opts := range map[string]mockserver.Options{
		"sessions": {Sessions: "sometimes"},
		"seed":     {Seed: []mockserver.SeedSession{{User: "alice", Token: "has space"}}},
	} {
		if _, err := mockserver.New(opts); err == nil {
			t.Errorf("%s: New accepted a bad option", name)
		}
	}
}
