package mockserver

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// sessionStore keeps who owns which token and which tokens were revoked.
// One mutex guards it: requests touch it for a map lookup or two, so
// contention stays far below the cost of the HTTP exchange.
type sessionStore struct {
	mode SessionMode
	seed []SeedSession
	now  func() time.Time

	mu        sync.Mutex
	owner     map[string]string              // live token -> user key ("user:<name>" or "token:<token>")
	byUser    map[string]map[string]struct{} // user -> live tokens
	revoked   map[string]struct{}            // tokens revoked, never valid again
	revokedAt map[string]time.Time           // user -> last revoke-all (lazy JWTs issued before it are dead)
}

func newSessionStore(mode SessionMode, seed []SeedSession) *sessionStore {
	st := &sessionStore{mode: mode, seed: seed, now: time.Now}
	st.reset()
	return st
}

func (st *sessionStore) reset() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.owner = map[string]string{}
	st.byUser = map[string]map[string]struct{}{}
	st.revoked = map[string]struct{}{}
	st.revokedAt = map[string]time.Time{}
	for _, s := range st.seed {
		st.addLocked("user:"+s.User, s.Token)
	}
}

func (st *sessionStore) addLocked(user, token string) {
	st.owner[token] = user
	if st.byUser[user] == nil {
		st.byUser[user] = map[string]struct{}{}
	}
	st.byUser[user][token] = struct{}{}
}

// mint creates a new session of user and returns its token.
func (st *sessionStore) mint(user string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("minting a token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	st.mu.Lock()
	st.addLocked("user:"+user, token)
	st.mu.Unlock()
	return token, nil
}

// check says whether a well-formed token may be used now. In lazy mode an
// unseen token becomes a session of the user it names.
func (st *sessionStore) check(token string) credentialProblem {
	if st.mode == SessionsOff {
		return credOK
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.revoked[token]; ok {
		return credRevoked
	}
	if _, ok := st.owner[token]; ok {
		return credOK
	}
	if st.mode != SessionsLazy {
		return credUnknown
	}
	user, issuedAt := lazyIdentity(token)
	if at, ok := st.revokedAt[user]; ok && !issuedAt.IsZero() && issuedAt.Before(at.Truncate(time.Second)) {
		// A JWT minted before its user logged out everywhere would have
		// been revoked by the real backend even if we never saw it.
		st.revoked[token] = struct{}{}
		return credRevoked
	}
	st.addLocked(user, token)
	return credOK
}

// revokeAll revokes every session of the user owning token and reports how
// many it revoked. It is a no-op in mode off.
func (st *sessionStore) revokeAll(token string) int {
	if st.mode == SessionsOff {
		return 0
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	user, ok := st.owner[token]
	if !ok {
		return 0 // revoked by a concurrent revoke-all in the meantime
	}
	n := 0
	for t := range st.byUser[user] {
		st.revoked[t] = struct{}{}
		delete(st.owner, t)
		n++
	}
	delete(st.byUser, user)
	st.revokedAt[user] = st.now()
	return n
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
