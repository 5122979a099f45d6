package mockserver_test

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/fixtures"
	"github.com/flashback/revoke-contract/mockserver"
)

// TestAuthCases runs every Authorization case of fixtures/auth-cases.json
// in every session mode it applies to, each against a fresh mock so that a
// 200 (which revokes) cannot influence the next case.
func TestAuthCases(t *testing.T) {
	for _, mode := range []mockserver.SessionMode{mockserver.SessionsIssued, mockserver.SessionsLazy, mockserver.SessionsOff} {
		for _, c := range fixtures.AuthCases() {
			if len(c.Modes) > 0 && !slices.Contains(c.Modes, string(mode)) {
				continue
			}
			t.Run(string(mode)+"/"+c.Name, func(t *testing.T) {
				m := newMock(t, mockserver.Options{Sessions: mode, Seed: seeded()})
				h := http.Header{}
				if v, ok := c.Header(fixtures.Sessions()[0].Token); ok {
					h.Set("Authorization", v)
				}
				res := m.do(http.MethodPost, revokeAll, h, "")
				if res.status != c.Status {
					t.Fatalf("status %d, want %d (body %s)", res.status, c.Status, res.body)
				}
				if want := mustBody(t, strconv.Itoa(c.Status), c.Example); !bytes.Equal(res.body, want) {
					t.Errorf("body %s, want the documented example %s", res.body, want)
				}
				if got := res.header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control %q, want no-store", got)
				}
				if c.Status != http.StatusUnauthorized {
					return
				}
				ch := res.header.Get("WWW-Authenticate")
				if !strings.HasPrefix(ch, `Bearer realm="flashback"`) {
					t.Errorf("WWW-Authenticate %q, want a Bearer challenge with the realm", ch)
				}
				hasErr := strings.Contains(ch, `error="invalid_token"`)
				if c.ChallengeError == "" && strings.Contains(ch, "error=") {
					t.Errorf("WWW-Authenticate %q: no error parameter when no credentials were sent (RFC 6750 3.1)", ch)
				}
				if c.ChallengeError == "invalid_token" && !hasErr {
					t.Errorf("WWW-Authenticate %q, want error=\"invalid_token\"", ch)
				}
			})
		}
	}
}

func TestUnknownTokenIsAcceptedLazilyButNotInIssuedMode(t *testing.T) {
	issued := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
	if res := issued.revoke("never-minted-token"); res.status != http.StatusUnauthorized {
		t.Errorf("issued mode: unknown token got %d, want 401", res.status)
	}
	lazy := newMock(t, mockserver.Options{Sessions: mockserver.SessionsLazy})
	if res := lazy.revoke("never-minted-token"); res.status != http.StatusOK {
		t.Errorf("lazy mode: unseen token got %d, want 200", res.status)
	}
}

func TestCredentialsOnlyInTheAuthorizationHeader(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
	tok := m.mint("alice")
	for name, send := range map[string]func() result{
		"query": func() result { return m.do(http.MethodPost, revokeAll+"?access_token="+tok, nil, "") },
		"form": func() result {
			return m.do(http.MethodPost, revokeAll, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "access_token="+tok)
		},
		"cookie": func() result {
			return m.do(http.MethodPost, revokeAll, http.Header{"Cookie": {"access_token=" + tok}}, "")
		},
	} {
		if res := send(); res.status != http.StatusUnauthorized {
			t.Errorf("token in the %s: %d, want 401", name, res.status)
		}
	}
	if res := m.revoke(tok); res.status != http.StatusOK {
		t.Errorf("rejected requests must revoke nothing: the token then got %d, want 200", res.status)
	}
}
