// Package store keeps the mock's sessions: who owns which token, and which
// tokens a revoke-all has revoked. It knows nothing of HTTP or OpenAPI, so
// its concurrency is tested with the race detector at little cost.
package store

import (
	"container/list"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bits-and-blooms/bloom/v3"
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

// DefaultMaxSessions is how many live sessions the store keeps before it
// forgets the oldest (--max-sessions).
const DefaultMaxSessions = 100_000

// MaxLogoutTimes is how many users' last revoke-all times the store keeps
// (fewer if MaxSessions is lower), the most recent ones; older ones raise
// a floor that applies to every user not kept (see Memory).
const MaxLogoutTimes = 10_000

// Revocations are remembered in a Bloom filter of fixed size: memory does
// not grow with them, and a revoked token is never accepted again. Its
// price is a false positive now and then: a token never seen before taken
// for a revoked one (a 401 where a 200 was due). Sized for RevocationsSized
// revocations at a rate of RevokedFalsePositive; the rate grows past that
// (EstimateFalsePositiveRate). About 14 MiB.
const (
	RevocationsSized     = 4_000_000
	RevokedFalsePositive = 1e-6
)

// Memory is the in-process store. One mutex guards it: requests touch it
// for a map lookup or two, so contention stays far below the cost of the
// HTTP exchange. Safe for concurrent use.
//
// Its memory is bounded: at most maxSessions live sessions (the oldest are
// forgotten first: a forgotten session's token is unknown afterwards, as if
// it had expired, in mode Lazy a new session again), the revocations in a
// Bloom filter of fixed size, and the logout times of at most maxSessions
// users, at most MaxLogoutTimes (a JWT issued before the most recent
// forgotten logout time, of any user not remembered, is taken as revoked:
// never accepted wrongly).
type Memory struct {
	mode        Mode
	seed        []Seed
	now         func() time.Time
	maxSessions int

	mu        sync.Mutex
	owner     map[string]*list.Element       // live token -> its element of order (a *session)
	order     *list.List                     // live sessions, oldest first
	byUser    map[string]map[string]struct{} // user -> live tokens (users named by a JWT or the control API)
	revoked   *revocations                   // every token ever revoked
	revokedAt map[string]*list.Element       // user -> its element of logouts (a *logout)
	logouts   *list.List                     // users' last revoke-all, oldest first
	floor     time.Time                      // the latest logout time forgotten
}

type session struct{ token, user string }

type logout struct {
	user string
	at   time.Time
}

// Option tunes a store.
type Option func(*Memory)

// WithMaxSessions caps the live sessions (n < 1: DefaultMaxSessions).
func WithMaxSessions(n int) Option {
	return func(m *Memory) {
		if n >= 1 {
			m.maxSessions = n
		}
	}
}

// NewMemory builds a store in mode with the seeded sessions.
func NewMemory(mode Mode, seed []Seed, opts ...Option) *Memory {
	m := &Memory{mode: mode, seed: seed, now: time.Now, maxSessions: DefaultMaxSessions}
	for _, o := range opts {
		o(m)
	}
	m.Reset()
	return m
}

// MaxSessions is the cap on live sessions.
func (m *Memory) MaxSessions() int { return m.maxSessions }

// Stats counts what the store holds.
type Stats struct {
	LiveSessions int     // now
	Users        int     // users whose logout time is remembered
	Revocations  uint    // tokens revoked since the last reset (approximately, as the filter estimates it)
	FalsePosRate float64 // the filter's false-positive rate at that count
}

// Stats counts what the store holds.
func (m *Memory) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := uint(m.revoked.ApproximatedSize())
	return Stats{LiveSessions: len(m.owner), Users: len(m.revokedAt), Revocations: n,
		FalsePosRate: bloom.EstimateFalsePositiveRate(m.revoked.Cap(), m.revoked.K(), max(n, 1))}
}

// Mode is the store's mode.
func (m *Memory) Mode() Mode { return m.mode }

// Reset forgets every session and revocation, then re-seeds.
func (m *Memory) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.owner = map[string]*list.Element{}
	m.order = list.New()
	m.byUser = map[string]map[string]struct{}{}
	m.revoked = newRevocations() // fresh pages: clearing the old ones would make them all resident
	m.revokedAt = map[string]*list.Element{}
	m.logouts = list.New()
	m.floor = time.Time{}
	for _, s := range m.seed {
		m.addLocked("user:"+s.User, s.Token)
	}
}

// addLocked makes token a live session of user, forgetting the oldest
// session when the store is full.
func (m *Memory) addLocked(user, token string) {
	if _, ok := m.owner[token]; ok {
		return
	}
	for len(m.owner) >= m.maxSessions {
		m.forgetLocked(m.order.Front())
	}
	m.owner[token] = m.order.PushBack(&session{token: token, user: user})
	if strings.HasPrefix(user, "token:") {
		return // an opaque lazy token is its own user, with one session
	}
	if m.byUser[user] == nil {
		m.byUser[user] = map[string]struct{}{}
	}
	m.byUser[user][token] = struct{}{}
}

// forgetLocked drops a live session without revoking it.
func (m *Memory) forgetLocked(e *list.Element) {
	s := m.order.Remove(e).(*session)
	delete(m.owner, s.token)
	if toks := m.byUser[s.user]; toks != nil {
		delete(toks, s.token)
		if len(toks) == 0 {
			delete(m.byUser, s.user)
		}
	}
}

// revokeLocked ends a live session for good.
func (m *Memory) revokeLocked(token string) {
	m.revoked.AddString(token)
	if e, ok := m.owner[token]; ok {
		m.forgetLocked(e)
	}
}

// loggedOutLocked records user's revoke-all at now, forgetting the oldest
// logout time when full (it raises the floor).
func (m *Memory) loggedOutLocked(user string, now time.Time) {
	if e, ok := m.revokedAt[user]; ok {
		e.Value.(*logout).at = now
		m.logouts.MoveToBack(e)
		return
	}
	for len(m.revokedAt) >= min(m.maxSessions, MaxLogoutTimes) {
		old := m.logouts.Remove(m.logouts.Front()).(*logout)
		delete(m.revokedAt, old.user)
		if old.at.After(m.floor) {
			m.floor = old.at
		}
	}
	m.revokedAt[user] = m.logouts.PushBack(&logout{user: user, at: now})
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
	// A live token was never revoked (revoking removes it, and nothing
	// revoked is added again), so the filter is asked only about others.
	if e, ok := m.owner[token]; ok {
		return Live, userName(e.Value.(*session).user)
	}
	if m.revoked.TestString(token) {
		return Revoked, ""
	}
	if m.mode != Lazy {
		return Unknown, ""
	}
	user, issuedAt := lazyIdentity(token)
	if !issuedAt.IsZero() {
		loggedOut := m.floor // a forgotten logout may have been this user's
		if e, ok := m.revokedAt[user]; ok {
			loggedOut = e.Value.(*logout).at
		}
		if issuedAt.Before(loggedOut.Truncate(time.Second)) {
			// A JWT minted before its user logged out everywhere would
			// have been revoked by the real backend even if we never saw it.
			m.revoked.AddString(token)
			return Revoked, ""
		}
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
	e, ok := m.owner[token]
	if !ok {
		return
	}
	user := e.Value.(*session).user
	if strings.HasPrefix(user, "token:") {
		m.revokeLocked(token)
		return
	}
	for t := range m.byUser[user] {
		m.revokeLocked(t)
	}
	m.loggedOutLocked(user, m.now())
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
		// Clamped: beyond int64 (or near its ends) the conversion wraps
		// around, and an absurdly late iat would look long past.
		iat = time.Unix(int64(max(-maxIat, min(*claims.Iat, maxIat))), 0)
	}
	for _, raw := range []json.RawMessage{claims.UserID, claims.Sub} {
		if id := claimString(raw); id != "" {
			return "user:" + id, iat
		}
	}
	return "token:" + token, time.Time{}
}

// maxIat bounds the iat claims read, in seconds (some 35 000 years).
const maxIat = 1 << 40

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

// Sessions is what the mock needs of a session store: Memory (in this
// process, the default) or a shared one (package redisstore) that every
// replica of a mock uses. Every call of a shared store can fail (the store
// is unreachable, or lost its data); the mock then answers 503, never a
// guess. Safe for concurrent use.
type Sessions interface {
	Mode() Mode
	// Mint creates a new session of user and returns its token.
	Mint(user string) (string, error)
	// Lookup is Session: whether a well-formed token may be used now, and
	// its user.
	Lookup(token string) (Status, string, error)
	// RevokeUser is RevokeAll: every session of the user owning token.
	RevokeUser(token string) error
	// Clear is Reset: every session and revocation forgotten, seeds restored.
	Clear() error
}

var _ Sessions = (*Memory)(nil)

// Lookup implements Sessions; it never fails.
func (m *Memory) Lookup(token string) (Status, string, error) {
	st, user := m.Session(token)
	return st, user, nil
}

// RevokeUser implements Sessions; it never fails.
func (m *Memory) RevokeUser(token string) error {
	m.RevokeAll(token)
	return nil
}

// Clear implements Sessions; it never fails.
func (m *Memory) Clear() error {
	m.Reset()
	return nil
}

// LazyIdentity names the user a token belongs to in mode Lazy, as a user
// key: "user:<name>" for a JWT with a userId or sub claim (with its iat,
// when present), else "token:<token>" (the token is its own user). Shared
// stores use it to agree with Memory.
func LazyIdentity(token string) (string, time.Time) { return lazyIdentity(token) }

// UserName is the name in a user key, "" for a token-only identity.
func UserName(key string) string { return userName(key) }

// UnavailableError is a failed call of a shared store: it names the store
// (never with a password) and says what went wrong. Lost is set when the
// store lost its data (a restart without persistence): nothing is served
// until POST /__mock/reset starts over, since every revocation is gone.
type UnavailableError struct {
	Store string // such as "redis://127.0.0.1:6379/0 (prefix revoke-mock:)"
	Lost  bool
	Err   error
}

func (e *UnavailableError) Error() string {
	if e.Lost {
		return fmt.Sprintf("the session store %s lost its data (%v): every revocation is forgotten, so no token is accepted until POST /__mock/reset starts over", e.Store, e.Err)
	}
	return fmt.Sprintf("the session store %s is unavailable: %v", e.Store, e.Err)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// UserSessions is a user and how many live sessions (devices) it has.
type UserSessions struct {
	User     string `json:"user"`
	Sessions int    `json:"sessions"`
}

// Users lists the users with live sessions, by name: those minted or
// seeded for a user and those named by a JWT. A lazy opaque token is its
// own user and is never listed (its name would be the token).
func (m *Memory) Users() []UserSessions {
	m.mu.Lock()
	out := make([]UserSessions, 0, len(m.byUser))
	for key, toks := range m.byUser {
		if name := userName(key); name != "" && len(toks) > 0 {
			out = append(out, UserSessions{User: name, Sessions: len(toks)})
		}
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b UserSessions) int { return strings.Compare(a.User, b.User) })
	return out
}
