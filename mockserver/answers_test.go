package mockserver_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/mockserver"
)

func TestAnswerSelection(t *testing.T) {
	tests := []struct {
		name        string
		prefer      []string
		status      int
		fixture     [2]string // status, example
		applied     string
		problemType string
		available   []string
	}{
		{name: "default is the first 2xx", status: 200, fixture: [2]string{"200", "success"}},
		{name: "code=500", prefer: []string{"code=500"}, status: 500, fixture: [2]string{"500", "server_error"}, applied: "code=500"},
		{name: "quoted, upper-case name", prefer: []string{`Code="500"`}, status: 500, fixture: [2]string{"500", "server_error"}, applied: "code=500"},
		{name: "code=401 gives the challenge", prefer: []string{"code=401"}, status: 401, fixture: [2]string{"401", "invalid_token"}, applied: "code=401"},
		{name: "example by name", prefer: []string{"example=server_error"}, status: 500, fixture: [2]string{"500", "server_error"}, applied: "example=server_error"},
		{name: "code and example in one header", prefer: []string{"code=401, example=missing_token"}, status: 401, fixture: [2]string{"401", "missing_token"}, applied: "code=401, example=missing_token"},
		{name: "code and example in two headers", prefer: []string{"code=401", "example=missing_token"}, status: 401, fixture: [2]string{"401", "missing_token"}, applied: "code=401, example=missing_token"},
		{name: "other preferences are ignored", prefer: []string{"respond-async, wait=5"}, status: 200, fixture: [2]string{"200", "success"}},
		{name: "unknown code lists the codes", prefer: []string{"code=418"}, status: 400, problemType: "urn:revoke-mock:problem:unknown-preference", available: []string{"200", "401", "500"}},
		{name: "unknown example lists the examples", prefer: []string{"example=nope"}, status: 400, problemType: "urn:revoke-mock:problem:unknown-preference",
			available: []string{"200: success", "401: invalid_token", "401: missing_token", "500: server_error"}},
		{name: "example not under the code", prefer: []string{"code=200, example=server_error"}, status: 400, problemType: "urn:revoke-mock:problem:unknown-preference", available: []string{"200: success"}},
		{name: "code without value", prefer: []string{"code"}, status: 400, problemType: "urn:revoke-mock:problem:unknown-preference"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
			h := http.Header{"Authorization": {"Bearer " + m.mint("alice")}}
			for _, p := range tc.prefer {
				h.Add("Prefer", p)
			}
			res := m.do(http.MethodPost, revokeAll, h, "")
			if res.status != tc.status {
				t.Fatalf("status %d, want %d: %s", res.status, tc.status, res.body)
			}
			if got := res.header.Get("Preference-Applied"); got != tc.applied {
				t.Errorf("Preference-Applied %q, want %q", got, tc.applied)
			}
			if tc.problemType != "" {
				var p mockserver.Problem
				if err := json.Unmarshal(res.body, &p); err != nil || p.Type != tc.problemType || p.Status != tc.status || p.Detail == "" {
					t.Fatalf("want a problem+json of type %s, got %s", tc.problemType, res.body)
				}
				if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type %q", ct)
				}
				if tc.available != nil && strings.Join(p.Available, "|") != strings.Join(tc.available, "|") {
					t.Errorf("available %q, want %q", p.Available, tc.available)
				}
				return
			}
			if want := mustBody(t, tc.fixture[0], tc.fixture[1]); !bytes.Equal(res.body, want) {
				t.Errorf("body %s, want %s", res.body, want)
			}
			if tc.status == 401 {
				ch := res.header.Get("WWW-Authenticate")
				if !strings.HasPrefix(ch, `Bearer realm="flashback"`) {
					t.Errorf("a 401 chosen by Prefer still carries the challenge, got %q", ch)
				}
				// The challenge agrees with the body: "Authentication required"
				// (no credentials) has no error parameter, RFC 6750 section 3.1.
				if wantErr := tc.fixture[1] != "missing_token"; strings.Contains(ch, `error="invalid_token"`) != wantErr {
					t.Errorf("example %s with challenge %q: want error=\"invalid_token\" %v", tc.fixture[1], ch, wantErr)
				}
			}
		})
	}
}

func TestPreferDoesNotBypassAuthentication(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
	res := m.do(http.MethodPost, revokeAll, http.Header{"Prefer": {"code=200"}}, "")
	if res.status != http.StatusUnauthorized {
		t.Fatalf("Prefer: code=200 without credentials: %d, want 401", res.status)
	}
}

func TestRoutingErrors(t *testing.T) {
	m := newMock(t, mockserver.Options{})
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead} {
		res := m.do(method, revokeAll, http.Header{"Authorization": {"Bearer abc"}}, "")
		if res.status != http.StatusMethodNotAllowed || res.header.Get("Allow") != "POST" {
			t.Errorf("%s: %d Allow=%q, want 405 Allow=POST", method, res.status, res.header.Get("Allow"))
		}
		if method != http.MethodHead && !strings.Contains(string(res.body), "urn:revoke-mock:problem:method-not-allowed") {
			t.Errorf("%s: body %s, want the method-not-allowed problem", method, res.body)
		}
	}
	for _, path := range []string{"/nope", "/sessions/revoke-all/", "/SESSIONS/REVOKE-ALL", "/sessions//revoke-all", "/sessions/revoke-all%2F", "/"} {
		res := m.do(http.MethodPost, path, nil, "")
		if res.status != http.StatusNotFound || res.header.Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(string(res.body), "urn:revoke-mock:problem:not-found") {
			t.Errorf("POST %s: %d %s, want a not-found problem", path, res.status, res.body)
		}
	}
	if res := m.do(http.MethodOptions, revokeAll, nil, ""); res.status != http.StatusNoContent || res.header.Get("Allow") != "POST, OPTIONS" {
		t.Errorf("plain OPTIONS: %d Allow=%q", res.status, res.header.Get("Allow"))
	}
}

func TestRequestBodies(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsOff})
	auth := http.Header{"Authorization": {"Bearer abc"}, "Content-Type": {"application/json"}}
	for name, body := range map[string]string{"json": `{"all":true}`, "invalid json": `{`, "text": "hello"} {
		if res := m.do(http.MethodPost, revokeAll, auth, body); res.status != http.StatusOK {
			t.Errorf("%s body: %d, want 200 (the operation takes no body, extra bodies are ignored)", name, res.status)
		}
	}
	big := strings.Repeat("x", 1<<20+1)
	res := m.do(http.MethodPost, revokeAll, auth, big)
	if res.status != http.StatusRequestEntityTooLarge || !strings.Contains(string(res.body), "urn:revoke-mock:problem:body-too-large") {
		t.Errorf("body over the limit: %d %s, want 413 body-too-large", res.status, res.body)
	}
}
