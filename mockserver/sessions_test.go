package mockserver_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/mockserver"
)

func TestRevokeAllRevokesEverySessionOfTheCallersUserOnly(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
	laptop, phone, tablet := m.mint("alice"), m.mint("alice"), m.mint("alice")
	bob := m.mint("bob")

	if res := m.revoke(phone); res.status != http.StatusOK {
		t.Fatalf("revoke-all: %d %s", res.status, res.body)
	}
	for name, tok := range map[string]string{"caller's": phone, "laptop": laptop, "tablet": tablet} {
		res := m.revoke(tok)
		if res.status != http.StatusUnauthorized {
			t.Errorf("%s token after revoke-all: %d, want 401", name, res.status)
		}
		if ch := res.header.Get("WWW-Authenticate"); ch == "" {
			t.Errorf("%s token: 401 without WWW-Authenticate", name)
		}
	}
	if res := m.revoke(bob); res.status != http.StatusOK {
		t.Errorf("another user's session after alice's revoke-all: %d, want 200", res.status)
	}
	fresh := m.mint("alice")
	if res := m.revoke(fresh); res.status != http.StatusOK {
		t.Errorf("a session created afterwards: %d, want 200", res.status)
	}
	if res := m.revoke(laptop); res.status != http.StatusUnauthorized {
		t.Errorf("a revoked token came back after a new login: %d, want 401", res.status)
	}
}

func TestPrefer500RevokesNothing(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
	tok := m.mint("alice")
	if res := m.revoke(tok, "Prefer", "code=500"); res.status != http.StatusInternalServerError {
		t.Fatalf("Prefer: code=500 got %d", res.status)
	}
	if res := m.revoke(tok); res.status != http.StatusOK {
		t.Errorf("after a 500 (\"Failed to revoke all sessions\") the session must still work: %d", res.status)
	}
}

func TestSeededSessionsAndReset(t *testing.T) {
	seed := seeded()
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued, Seed: seed})
	minted := m.mint("carol")
	if res := m.revoke(seed[0].Token); res.status != http.StatusOK {
		t.Fatalf("seeded token: %d", res.status)
	}
	if res := m.revoke(seed[0].Token); res.status != http.StatusUnauthorized {
		t.Fatalf("seeded token after revoke-all: %d", res.status)
	}
	if res := m.do(http.MethodPost, "/__mock/reset", nil, ""); res.status != http.StatusNoContent {
		t.Fatalf("reset: %d", res.status)
	}
	if res := m.revoke(seed[0].Token); res.status != http.StatusOK {
		t.Errorf("reset must forget revocations and re-seed: seeded token got %d", res.status)
	}
	if res := m.revoke(minted); res.status != http.StatusUnauthorized {
		t.Errorf("reset must forget minted sessions: got %d", res.status)
	}
}

func TestModeOffNeverRevokes(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsOff})
	for i := 0; i < 3; i++ {
		if res := m.revoke("any-token"); res.status != http.StatusOK {
			t.Fatalf("call %d: %d, want 200 (mode off never revokes)", i, res.status)
		}
	}
}

func jwt(claims map[string]any) string {
	enc := base64.RawURLEncoding
	c, _ := json.Marshal(claims)
	return enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(c) + "." + enc.EncodeToString([]byte("signature"))
}

func TestLazyModeGroupsJWTsByUser(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsLazy})
	now := time.Now().Add(-time.Hour).Unix()
	aliceLaptop := jwt(map[string]any{"userId": "alice", "iat": now})
	alicePhone := jwt(map[string]any{"sub": "alice", "iat": now + 1})
	bob := jwt(map[string]any{"userId": 42, "iat": now})
	opaque := "opaque-token-1"

	for _, tok := range []string{aliceLaptop, bob, opaque} { // first use creates the session
		if res := m.do(http.MethodPost, revokeAll, http.Header{"Authorization": {"Bearer " + tok}, "Prefer": {"code=500"}}, ""); res.status != 500 {
			t.Fatalf("first use: %d", res.status)
		}
	}
	if res := m.revoke(alicePhone); res.status != http.StatusOK {
		t.Fatalf("alice (sub claim): %d", res.status)
	}
	if res := m.revoke(aliceLaptop); res.status != http.StatusUnauthorized {
		t.Errorf("alice's other JWT (userId claim) after revoke-all: %d, want 401", res.status)
	}
	// Never seen before, but issued before the revoke-all: the real backend
	// would have revoked it too.
	stale := jwt(map[string]any{"userId": "alice", "iat": now - 10})
	if res := m.revoke(stale); res.status != http.StatusUnauthorized {
		t.Errorf("alice's JWT issued before the revoke-all: %d, want 401", res.status)
	}
	fresh := jwt(map[string]any{"userId": "alice", "iat": time.Now().Unix() + 5})
	if res := m.revoke(fresh); res.status != http.StatusOK {
		t.Errorf("alice's JWT issued after the revoke-all: %d, want 200", res.status)
	}
	for name, tok := range map[string]string{"bob (numeric userId)": bob, "opaque token": opaque} {
		if res := m.revoke(tok); res.status != http.StatusOK {
			t.Errorf("%s after alice's revoke-all: %d, want 200", name, res.status)
		}
	}
}

// TestConcurrentRevocation runs revoke-alls, mints and resets at once; with
// -race it proves the store is safe, and it checks the outcome is sane.
func TestConcurrentRevocation(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
	const devices = 8
	tokens := make([]string, devices)
	for i := range tokens {
		tokens[i] = m.mint("alice")
	}
	bob := m.mint("bob")
	var wg sync.WaitGroup
	statuses := make([]int, devices)
	for i, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = m.revoke(tok).status
		}()
	}
	for i := 0; i < devices; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.mint(fmt.Sprintf("user-%d", i))
		}()
	}
	wg.Wait()
	ok := 0
	for i, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusUnauthorized:
		default:
			t.Errorf("device %d: %d, want 200 or 401", i, s)
		}
	}
	if ok == 0 {
		t.Error("no concurrent revoke-all succeeded")
	}
	for i, tok := range tokens {
		if res := m.revoke(tok); res.status != http.StatusUnauthorized {
			t.Errorf("device %d still works after concurrent revoke-alls: %d", i, res.status)
		}
	}
	if res := m.revoke(bob); res.status != http.StatusOK {
		t.Errorf("bob after alice's concurrent revoke-alls: %d", res.status)
	}
}
