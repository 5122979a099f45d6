// Package store keeps the mock's sessions: who owns which token, and which
// tokens a revoke-all has revoked. It knows nothing of HTTP or OpenAPI, so
// its concurrency is tested with the race detector at little cost.
package store

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Mode says how the mock treats bearer tokens.
type Mode string

const (
	// Off accepts any well-formed bearer token and never revokes.
	Off Mode = "off"
	// Lazy turns an unseen well-formed token into a session on first use;
	// its user is the JWT's userId/sub claim, or the token itself.
	Lazy Mode = "lazy"
	// Issued accepts only tokens minted by the control API or seeded.
	Issued Mode = "issued"
)

// Seed is a session that exists before any request.
type Seed struct {
	User  string `json:"user"`
	Token string `json:"token"`
}

// Status is what the store knows of a token.
type Status int

const (
	// Live: the token is a session that may be used.
	Live Status = iota
	// Unknown: no session has this token (mode Issued only).
	Unknown
	// Revoked: a revoke-all ended this session; it never comes back.
	Revoked
)

// Memory is the in-process store. One mutex guards it: requests touch it
// for a map lookup or two, so contention stays far below the cost of the
// HTTP exchange. Safe for concurrent use.
type Memory struct {
	mode Mode
	seed []Seed
	now  func() time.Time

	mu        sync.Mutex
	owner     map[string]string              // live token -> user key ("user:<name>" or "token:<token>")
	byUser    map[string]map[string]struct{} // user -> live tokens
	revoked   map[string]struct{}            // tokens revoked, never valid again
	revokedAt map[string]time.Time           // user -> last revoke-all (lazy JWTs issued before it are dead)
}

// NewMemory builds a store in mode with the seeded sessions.
func NewMemory(mode Mode, seed []Seed) *Memory {
	m := &Memory{mode: mode, seed: seed, now: time.Now}
	m.Reset()
	return m
}

// Mode is the store's mode.
func (m *Memory) Mode() Mode { return m.mode }

// Reset forgets every session and revocation, then re-seeds.
func (m *Memory) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.owner = map[string]string{}
	m.byUser = map[string]map[string]struct{}{}
	m.revoked = map[string]struct{}{}
	m.revokedAt = map[string]time.Time{}
	for _, s := range m.seed {
		m.addLocked("user:"+s.User, s.Token)
	}
}

func (m *Memory) addLocked(user, token string) {
	m.owner[token] = user
	if m.byUser[user] == nil {
		m.byUser[user] = map[string]struct{}{}
	}
	m.byUser[user][token] = struct{}{}
}

// Mint creates a new session of user and returns its token.
func (m *Memory) Mint(user string) (string, error) {
	if user == "" {
		return "", fmt.Errorf("minting a session: the user is empty")
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("minting a token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	m.mu.Lock()
	m.addLocked("user:"+user, token)
	m.mu.Unlock()
	return token, nil
}

// Check says whether a well-formed token may be used now. In mode Lazy an
// unseen token becomes a session of the user it names; in mode Off every
// token is live.
func (m *Memory) Check(token string) Status {
	st, _ := m.Session(token)
	return st
}

// Session is Check that also names the session's user: the name it was
// minted or seeded for, or the JWT's userId/sub claim. It is "" when the
// session has no user but its token (a lazy non-JWT token), or in mode Off:
// a token is never given out as a user's name.
func (m *Memory) Session(token string) (Status, string) {
	if m.mode == Off {
		return Live, ""
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.revoked[token]; ok {
		return Revoked, ""
	}
	if user, ok := m.owner[token]; ok {
		return Live, userName(user)
	}
	if m.mode != Lazy {
		return Unknown, ""
	}
	user, issuedAt := lazyIdentity(token)
	if at, ok := m.revokedAt[user]; ok && !issuedAt.IsZero() && issuedAt.Before(at.Truncate(time.Second)) {
		// A JWT minted before its user logged out everywhere would have
		// been revoked by the real backend even if we never saw it.
		m.revoked[token] = struct{}{}
		return Revoked, ""
	}
	m.addLocked(user, token)
	return Live, userName(user)
}

// userName is the name in a user key, "" for a token-only identity.
func userName(key string) string {
	name, _ := strings.CutPrefix(key, "user:")
	if name == key {
		return ""
	}
	return name
}

// RevokeAll revokes every session of the user owning token. It does nothing
// in mode Off, or when token is no longer live (a concurrent revoke-all of
// the same user got there first).
func (m *Memory) RevokeAll(token string) {
	if m.mode == Off {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	user, ok := m.owner[token]
	if !ok {
		return
	}
	for t := range m.byUser[user] {
		m.revoked[t] = struct{}{}
		delete(m.owner, t)
	}
	delete(m.byUser, user)
	m.revokedAt[user] = m.now()
}

// lazyIdentity names the user a token belongs to: the userId or sub claim of
// a JWT (with its iat, when present), else the token itself.
func lazyIdentity(token string) (string, time.Time) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "token:" + token, time.Time{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "token:" + token, time.Time{}
	}
	var claims struct {
		UserID json.RawMessage `json:"userId"`
		Sub    json.RawMessage `json:"sub"`
		Iat    *float64        `json:"iat"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return "token:" + token, time.Time{}
	}
	var iat time.Time
	if claims.Iat != nil {
		iat = time.Unix(int64(*claims.Iat), 0)
	}
	for _, raw := range []json.RawMessage{claims.UserID, claims.Sub} {
		if id := claimString(raw); id != "" {
			return "user:" + id, iat
		}
	}
	return "token:" + token, time.Time{}
}

func claimString(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
