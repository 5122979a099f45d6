package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

func jwt(claims map[string]any) string {
	enc := base64.RawURLEncoding.EncodeToString
	payload, _ := json.Marshal(claims)
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc(payload) + ".c2lnbmF0dXJl"
}

func TestModes(t *testing.T) {
	issued := NewMemory(Issued, []Seed{{User: "carol", Token: "seeded-token-1"}})
	if got := issued.Check("never-minted-token"); got != Unknown {
		t.Errorf("issued, unknown token: %v", got)
	}
	if got := issued.Check("seeded-token-1"); got != Live {
		t.Errorf("issued, seeded token: %v", got)
	}
	off := NewMemory(Off, nil)
	off.RevokeAll("any-token-at-all")
	if got := off.Check("any-token-at-all"); got != Live {
		t.Errorf("off: %v", got)
	}
	lazy := NewMemory(Lazy, nil)
	if got := lazy.Check("first-seen-token"); got != Live {
		t.Errorf("lazy, first use: %v", got)
	}
	lazy.RevokeAll("first-seen-token")
	if got := lazy.Check("first-seen-token"); got != Revoked {
		t.Errorf("lazy, after revoke-all: %v", got)
	}
}

func TestRevokeAllIsPerUserAndPermanent(t *testing.T) {
	m := NewMemory(Issued, nil)
	laptop, _ := m.Mint("alice")
	phone, _ := m.Mint("alice")
	bob, _ := m.Mint("bob")
	m.RevokeAll(phone)
	for name, tok := range map[string]string{"phone": phone, "laptop": laptop} {
		if got := m.Check(tok); got != Revoked {
			t.Errorf("%s: %v, want Revoked", name, got)
		}
	}
	if got := m.Check(bob); got != Live {
		t.Errorf("bob: %v", got)
	}
	fresh, _ := m.Mint("alice")
	if m.Check(fresh) != Live || m.Check(laptop) != Revoked {
		t.Error("a new session must work and must not revive the old ones")
	}
	m.Reset()
	if got := m.Check(laptop); got != Unknown {
		t.Errorf("after Reset: %v, want Unknown", got)
	}
	if _, err := m.Mint(""); err == nil {
		t.Error("minting for an empty user must fail")
	}
}

func TestLazyJWTIdentity(t *testing.T) {
	m := NewMemory(Lazy, nil)
	now := time.Now().Add(-time.Hour).Unix()
	laptop := jwt(map[string]any{"userId": "alice", "iat": now})
	phone := jwt(map[string]any{"sub": "alice", "iat": now + 1})
	bob := jwt(map[string]any{"userId": 42, "iat": now})
	for _, tok := range []string{laptop, phone, bob} {
		m.Check(tok)
	}
	m.RevokeAll(phone)
	if m.Check(laptop) != Revoked || m.Check(bob) != Live {
		t.Error("two JWTs of alice are two devices of alice; bob's is not")
	}
	// Never seen, but issued before alice's revoke-all.
	if got := m.Check(jwt(map[string]any{"userId": "alice", "iat": now - 10})); got != Revoked {
		t.Errorf("a JWT issued before the revoke-all: %v", got)
	}
}

// TestConcurrentUse mints, checks and revokes from many goroutines at once,
// then resets while others mint; under -race (make test) it proves the
// store is safe. The outcome is the sequential one: every session of a user
// whose sessions were revoked concurrently ends up revoked, other users'
// sessions live.
func TestConcurrentUse(t *testing.T) {
	m := NewMemory(Issued, nil)
	const users, perUser = 4, 50
	tokens := make([][]string, users)
	var wg sync.WaitGroup
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perUser {
				tok, err := m.Mint(fmt.Sprint("user-", u))
				if err != nil {
					t.Error(err)
					return
				}
				tokens[u] = append(tokens[u], tok)
				m.Check(tok)
			}
		}()
	}
	wg.Wait()
	// Users 0 and 1 revoke with all their sessions at once.
	for u := range 2 {
		for _, tok := range tokens[u] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.RevokeAll(tok)
				m.Check(tok)
			}()
		}
	}
	wg.Wait()
	for u, toks := range tokens {
		want := Live
		if u < 2 {
			want = Revoked
		}
		for _, tok := range toks {
			if got := m.Check(tok); got != want {
				t.Fatalf("user-%d: %v, want %v", u, got, want)
			}
		}
	}
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if g == 0 {
					m.Reset()
				}
				tok, _ := m.Mint("late")
				m.Check(tok)
				m.RevokeAll(tok)
			}
		}()
	}
	wg.Wait()
}

func TestSessionNamesTheUserNeverTheToken(t *testing.T) {
	m := NewMemory(Lazy, []Seed{{User: "alice", Token: "seeded-tok"}})
	if st, u := m.Session("seeded-tok"); st != Live || u != "alice" {
		t.Errorf("seeded: %v %q, want Live alice", st, u)
	}
	minted, _ := m.Mint("bob")
	if _, u := m.Session(minted); u != "bob" {
		t.Errorf("minted: user %q, want bob", u)
	}
	if st, u := m.Session("opaque-token-123"); st != Live || u != "" {
		t.Errorf("lazy opaque token: %v %q, want Live and no user (never the token)", st, u)
	}
	if _, u := NewMemory(Off, nil).Session("x"); u != "" {
		t.Errorf("mode off: user %q, want none", u)
	}
}
