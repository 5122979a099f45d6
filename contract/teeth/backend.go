// Package teeth proves the contract suite has teeth: a small, independent,
// correct implementation of POST /sessions/revoke-all (it shares no code
// with the mock), and knobs that break it one defect at a time. Each defect
// must make the suite fail on the rule it breaks; each legitimate variation
// must pass in strict mode.
package teeth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/flashback/revoke-contract/contract"
	"github.com/flashback/revoke-contract/spec/endpoint"
)

// Knob is one deliberate deviation from the reference behaviour.
type Knob string

// Backend is the reference implementation with at most a few knobs turned.
// It mints sessions through the same control endpoint as the mock
// (POST /__mock/sessions), so the suite's CONTRACT_TOKEN_CMD can be
// `revoke-mock token --url ...` against it.
type Backend struct {
	knobs map[Knob]bool

	mu       sync.Mutex
	owner    map[string]string          // live token -> user
	devices  map[string]map[string]bool // user -> live tokens
	revoked  map[string]string          // revoked token -> user
	banned   map[string]bool            // users whose new sessions are refused (knob)
	issued   []string                   // every token handed out, for leak checks
	inflight map[string]int             // user -> revoke-alls running (knob)
	joined   map[string]chan struct{}   // user -> closed when a second revoke-all overlaps the first (knob)
	seq      map[string]int             // session key -> order of creation
	secret   []byte                     // the HS256 key of the JWTs it issues (knobs)
	born     map[string]time.Time       // session key -> when it was created
	lastSeen time.Time                  // the last request's arrival (RevocationExpires)
	requests int                        // requests to the API (RateLimits)
}

// NewBackend builds a backend with the given knobs turned.
func NewBackend(knobs ...Knob) *Backend {
	b := &Backend{knobs: map[Knob]bool{}, owner: map[string]string{}, devices: map[string]map[string]bool{},
		revoked: map[string]string{}, banned: map[string]bool{}, inflight: map[string]int{},
		joined: map[string]chan struct{}{}, seq: map[string]int{}, secret: make([]byte, 32),
		born: map[string]time.Time{}}
	_, _ = rand.Read(b.secret)
	for _, k := range knobs {
		b.knobs[k] = true
	}
	return b
}

// issuesJWTs: the backend's tokens are HS256 JWTs naming a session id
// ("sid"), under which it keeps the session, instead of opaque tokens.
func (b *Backend) issuesJWTs() bool { return b.on(SignedJWTs) || b.on(AcceptsAlgNone) }

func (b *Backend) on(k Knob) bool { return b.knobs[k] }

// Issued returns every token the backend handed out.
func (b *Backend) Issued() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.issued...)
}

func (b *Backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if b.on(RevocationExpires) {
		b.mu.Lock()
		b.quietLocked(time.Now())
		b.mu.Unlock()
	}
	if r.URL.Path == "/__mock/sessions" && r.Method == http.MethodPost {
		b.mint(w, r)
		return
	}
	// Read (and bound) whatever body came, as many production servers do.
	var body []byte
	switch {
	case b.on(IgnoresBody):
	case b.on(ReadsPartOfBody):
		_, _ = io.CopyN(io.Discard, r.Body, 1<<10)
	default:
		body, _ = io.ReadAll(io.LimitReader(r.Body, 1<<20))
	}
	if b.on(Slow) {
		time.Sleep(15 * time.Millisecond)
	}
	if b.on(RateLimits) {
		b.mu.Lock()
		b.requests++
		limited := b.requests%40 == 0
		b.mu.Unlock()
		if limited {
			w.Header().Set("Retry-After", "1")
			b.json(w, http.StatusTooManyRequests, map[string]any{"success": false, "error": "Too many requests"})
			return
		}
	}
	if r.URL.Path == "/v1/me" && r.Method == http.MethodGet {
		b.me(w, r)
		return
	}

	path := r.URL.Path
	lenient := strings.EqualFold(strings.TrimSuffix(path, "/"), endpoint.Path)
	switch {
	case b.on(TrailingSlashBypass) && path == endpoint.Path+"/":
		b.success(w, r, "", body)
		return
	case b.on(RedirectsVariants) && lenient && path != endpoint.Path:
		w.Header().Set("Location", endpoint.Path)
		b.json(w, http.StatusPermanentRedirect, map[string]any{"success": false, "error": "Moved to " + endpoint.Path})
		return
	case b.on(LenientPaths) && lenient:
		path = endpoint.Path
	case b.on(SuffixSkipsDenylist) && (path == endpoint.Path+".json" || strings.HasPrefix(path, endpoint.Path+";")):
		// The format suffix and the path parameters are the router's; the
		// revocation check is middleware mounted on the exact path.
		if token, ok := b.anySession(r); ok && r.Method == http.MethodPost {
			b.success(w, r, token, body)
			return
		}
		path = endpoint.Path
	}
	if path != endpoint.Path {
		b.json(w, http.StatusNotFound, map[string]any{"success": false, "error": "Not found"})
		return
	}
	if b.on(AcceptHTML500) && strings.Contains(r.Header.Get("Accept"), "text/html") {
		b.json(w, http.StatusInternalServerError, map[string]any{"success": false, "error": "cannot render html"})
		return
	}
	method := r.Method
	if b.on(HonoursMethodOverride) && method == http.MethodGet {
		for _, h := range []string{"X-HTTP-Method-Override", "X-HTTP-Method"} {
			if o := r.Header.Get(h); o != "" {
				method = strings.ToUpper(o)
			}
		}
		if o := r.URL.Query().Get("_method"); o != "" {
			method = strings.ToUpper(o)
		}
	}
	if b.on(OptionsRevokes) && method == http.MethodOptions {
		if token, fail := b.authenticate(r); fail == accepted {
			b.revokeAll(token)
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if method != http.MethodPost {
		b.otherMethod(w, r)
		return
	}
	if b.on(InvalidJSONBody500) && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") && r.ContentLength != 0 {
		b.json(w, http.StatusInternalServerError, map[string]any{"success": false, "error": "unexpected end of JSON input"})
		return
	}
	token, fail := b.authenticate(r)
	if fail != accepted {
		b.unauthorized(w, r, fail)
		return
	}
	if strings.Contains(strings.ToLower(r.Header.Get("Prefer")), "code=500") {
		body := map[string]any{"success": false, "error": "Failed to revoke all sessions"}
		if b.on(Bad500Body) {
			body = map[string]any{"success": "no", "error": 500}
		}
		b.json(w, http.StatusInternalServerError, body)
		return
	}
	if b.on(ConcurrentRevoke500) && !b.enterRevoke(r, token) {
		b.json(w, http.StatusInternalServerError, map[string]any{"success": false, "error": "deadlock detected"})
		return
	}
	b.success(w, r, token, body)
}

// victim is the user whose sessions a knob revokes instead of the
// caller's; "" for the caller's.
func (b *Backend) victim(r *http.Request, body []byte) string {
	if u := r.Header.Get("X-User-Id"); b.on(UserIDHeaderWins) && u != "" {
		return u
	}
	if b.on(BodyUserIDWins) {
		var fields map[string]any
		if json.Unmarshal(body, &fields) == nil {
			for _, k := range []string{"userId", "user_id"} {
				if u, ok := fields[k].(string); ok && u != "" {
					return u
				}
			}
		}
	}
	if hs := r.Header.Values("Authorization"); b.on(LastAuthorizationWins) && len(hs) > 1 {
		if _, cred, ok := strings.Cut(hs[len(hs)-1], " "); ok {
			key := b.sessionKey(strings.TrimSpace(cred))
			b.mu.Lock()
			defer b.mu.Unlock()
			if u, ok := b.owner[key]; ok {
				return u
			}
			return b.revoked[key]
		}
	}
	return ""
}

// me is the backend's own read-only endpoint (the model's --probe):
// 200 with the caller's user for a live token, 401 otherwise.
func (b *Backend) me(w http.ResponseWriter, r *http.Request) {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if strings.EqualFold(scheme, "Bearer") {
		key := b.sessionKey(strings.TrimSpace(cred))
		if k, ok := b.lookup(key); ok {
			b.mu.Lock()
			user := b.owner[k]
			b.mu.Unlock()
			b.json(w, http.StatusOK, map[string]any{"user": user})
			return
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="ref", error="invalid_token"`)
	b.json(w, http.StatusUnauthorized, map[string]any{"success": false, "error": "Unauthorized"})
}

// anySession finds the session of the request's bearer token, revoked or
// not (the SuffixSkipsDenylist knob's lookup without the denylist).
func (b *Backend) anySession(r *http.Request) (string, bool) {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	key := b.sessionKey(strings.TrimSpace(cred))
	b.mu.Lock()
	defer b.mu.Unlock()
	_, live := b.owner[key]
	_, revoked := b.revoked[key]
	return key, key != "" && (live || revoked)
}

// refusal is why the backend refused a request's credentials.
type refusal string

const (
	accepted         refusal = ""
	refusedMissing   refusal = "missing"   // no Authorization header
	refusedMalformed refusal = "malformed" // not a b64token: 400 is allowed
	refusedInvalid   refusal = "invalid"   // another scheme, or no such session
	refusedRevoked   refusal = "revoked"   // a revoked session
	refusedRedirect  refusal = "redirect"  // the RedirectsToLogin knob
	refusedCrash     refusal = "crash"     // the Malformed500 knob
	refusedForbidden refusal = "forbidden" // the Forbidden403 knob
)

// authenticate returns the caller's live token, or why it was refused.
func (b *Backend) authenticate(r *http.Request) (string, refusal) {
	if b.on(AcceptsQueryToken) {
		if t := r.URL.Query().Get("access_token"); t != "" && b.live(t) {
			return t, accepted
		}
	}
	h := r.Header.Get("Authorization")
	if h == "" && b.on(SessionCookieAuth) {
		for _, name := range []string{"session", "sessionid", "connect.sid", "_session_id", "laravel_session", "JSESSIONID"} {
			if c, err := r.Cookie(name); err == nil && b.live(c.Value) {
				return c.Value, accepted
			}
		}
	}
	if h == "" && b.on(APIKeyHeaderAuth) {
		for _, name := range []string{"X-Auth-Token", "X-Api-Key", "Token", "X-Token"} {
			if t := r.Header.Get(name); t != "" && b.live(t) {
				return t, accepted
			}
		}
	}
	if h == "" && b.on(TrustsForwardedUser) {
		for _, name := range []string{"X-Forwarded-User", "X-Remote-User", "Remote-User"} {
			if u := r.Header.Get(name); u != "" {
				return userPrefix + u, accepted
			}
		}
	}
	if h == "" {
		if b.on(AcceptsNoHeader) {
			return "", accepted
		}
		if b.on(RedirectsToLogin) {
			return "", refusedRedirect
		}
		return "", refusedMissing
	}
	scheme, cred, hasSpace := strings.Cut(h, " ")
	if !hasSpace && b.on(AcceptsBareToken) {
		return h, accepted
	}
	bearer := strings.EqualFold(scheme, "Bearer")
	if b.on(CaseSensitiveScheme) {
		bearer = scheme == "Bearer"
	}
	if !bearer {
		if b.on(AcceptsBasic) && strings.EqualFold(scheme, "Basic") {
			return "", accepted
		}
		if b.on(RejectedRequestRevokes) {
			b.revokeAll(b.sessionKey(strings.TrimSpace(cred)))
		}
		return "", refusedInvalid
	}
	token := strings.TrimLeft(cred, " ")
	if token == "" {
		if b.on(AcceptsEmptyBearer) {
			return "", accepted
		}
		return "", refusedMalformed
	}
	if !b64token(token) {
		if b.on(Malformed500) {
			return "", refusedCrash
		}
		return "", refusedMalformed
	}
	if b.on(AcceptsAnyToken) {
		return token, accepted
	}
	key := b.sessionKey(token)
	if k, ok := b.lookup(key); ok {
		return k, accepted
	}
	if b.on(RevokedLookalikeWorks) && !b.wasRevoked(key) {
		b.mu.Lock()
		for t := range b.revoked {
			if strings.EqualFold(t, key) {
				key = t
			}
		}
		b.mu.Unlock()
		if b.wasRevoked(key) {
			return key, accepted
		}
	}
	if b.on(RevokedTokenWorks) && b.wasRevoked(key) {
		return key, accepted
	}
	if b.on(RevokedTokenRevokesAgain) && b.wasRevoked(key) {
		b.revokeAllOfRevoked(key)
	}
	if b.on(Forbidden403) {
		return "", refusedForbidden
	}
	if b.wasRevoked(key) {
		return "", refusedRevoked
	}
	return "", refusedInvalid
}

func b64token(s string) bool {
	if len(s) > 4096 {
		return false
	}
	t := strings.TrimRight(s, "=")
	if t == "" {
		return false
	}
	for _, c := range t {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune("-._~+/", c)) {
			return false
		}
	}
	return true
}

func (b *Backend) unauthorized(w http.ResponseWriter, r *http.Request, why refusal) {
	switch why {
	case refusedRedirect:
		http.Redirect(w, r, "/login", http.StatusFound)
		return
	case refusedCrash:
		b.json(w, http.StatusInternalServerError, map[string]any{"success": false, "error": "index out of range"})
		return
	case refusedForbidden:
		b.json(w, http.StatusForbidden, map[string]any{"success": false, "error": "Forbidden"})
		return
	case refusedMalformed:
		if b.on(BadRequestForMalformed) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ref", error="invalid_request"`)
			b.json(w, http.StatusBadRequest, map[string]any{"success": false, "error": "Malformed Authorization header"})
			return
		}
	}
	challenge := `Bearer realm="ref"`
	if b.on(LowerCaseChallenge) {
		challenge = `bearer realm="ref"`
	}
	if why != refusedMissing {
		challenge += `, error="invalid_token"`
		if b.on(ErrorDescription) {
			challenge += `, error_description="The access token expired or was revoked"`
		}
	}
	if !b.on(NoWWWAuthenticate) {
		w.Header().Set("WWW-Authenticate", challenge)
	}
	body := map[string]any{"success": false, "error": "Unauthorized"}
	if b.on(OtherMessages) {
		body["error"] = "Session expired, please sign in again"
	}
	if b.on(ErrorBodyWithoutSuccess) {
		delete(body, "success")
	}
	if b.on(Bad401Body) || b.on(RevokedBodyBreaksSchema) && why == refusedRevoked {
		body = map[string]any{"success": "false", "error": map[string]any{"code": 401, "reason": why}}
	}
	if b.on(EchoesToken) {
		if _, cred, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok {
			body["error"] = "Unknown token " + strings.TrimSpace(cred)
		}
	}
	b.json(w, http.StatusUnauthorized, body)
}

func (b *Backend) otherMethod(w http.ResponseWriter, r *http.Request) {
	token, _ := b.authenticate(r)
	if b.on(GetRevokes) && token != "" {
		b.revokeAll(token)
	}
	if b.on(OverrideRevokesSilently) && token != "" && r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("X-HTTP-Method-Override"), "POST") {
		b.revokeAll(token)
	}
	if b.on(GetAnswers200) {
		b.json(w, http.StatusOK, map[string]any{"success": true, "message": "ok"})
		return
	}
	if !b.on(NoAllowOn405) {
		w.Header().Set("Allow", "POST")
	}
	b.json(w, http.StatusMethodNotAllowed, map[string]any{"success": false, "error": "Method not allowed"})
}

// userPrefix marks an identity taken from a header (TrustsForwardedUser)
// instead of a session key.
const userPrefix = "user:"

func (b *Backend) success(w http.ResponseWriter, r *http.Request, token string, reqBody []byte) {
	if victim := b.victim(r, reqBody); victim != "" && token != "" {
		token = userPrefix + victim
	}
	if user, ok := strings.CutPrefix(token, userPrefix); ok {
		b.mu.Lock()
		b.revokeUserLocked(user)
		b.mu.Unlock()
		token = ""
	}
	if token != "" {
		switch {
		case b.on(RevokesNothing):
		case b.on(RevokesOnlyCurrent):
			b.revokeOne(token)
		case b.on(RevokesEveryone):
			b.revokeEveryone()
		default:
			b.revokeAll(token)
		}
	}
	switch {
	case b.on(Hangs):
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		return
	case b.on(ResetsConnection):
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // a reset (RST), not an orderly close
				}
				_ = conn.Close()
				return
			}
		}
	case b.on(StallsAfterHeaders):
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "62")
		w.WriteHeader(http.StatusOK)
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		return
	case b.on(ResetsMidBody), b.on(EndlessHeader), b.on(HugeContentLength):
		hj, ok := w.(http.Hijacker)
		if !ok {
			return
		}
		conn, _, err := hj.Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		switch {
		case b.on(ResetsMidBody):
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 62\r\n\r\n{\"success\":true,")
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
		case b.on(HugeContentLength):
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{\"success\":")
		default: // an endless header: 64 MiB at most, until the client hangs up
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\n")
			line := []byte("X-Filler: " + strings.Repeat("a", 1000) + "\r\n")
			for range 64 << 10 {
				_ = conn.SetWriteDeadline(time.Now().Add(time.Minute))
				if _, err := conn.Write(line); err != nil {
					return
				}
			}
		}
		return
	case b.on(RedirectLoop):
		http.Redirect(w, r, r.URL.Path, http.StatusTemporaryRedirect)
		return
	case b.on(DripsBody):
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		fl, _ := w.(http.Flusher)
		for _, c := range []byte(`{"success":true,"message":"All sessions revoked successfully"}`) {
			if _, err := w.Write([]byte{c}); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
			select {
			case <-r.Context().Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
		return
	case b.on(HugeBody):
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"success":true,"message":"`+strings.Repeat("x", 5<<20)+`"}`)
		return
	case b.on(InvalidJSON200):
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"success":true,"message":`)
		return
	case b.on(TextPlain):
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "All sessions revoked successfully")
		return
	}
	status := http.StatusOK
	if b.on(Answers202) {
		status = http.StatusAccepted
	}
	body := map[string]any{"success": true, "message": "All sessions revoked successfully"}
	if b.on(SuccessAsString) {
		body["success"] = "true"
	}
	if b.on(SuccessFalseOn200) {
		body["success"] = false
	}
	if b.on(OtherMessages) {
		body["message"] = "Signed out on every device"
	}
	if b.on(StreamsBody) {
		data, _ := json.Marshal(body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_, _ = w.Write(data[:len(data)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		_, _ = w.Write(data[len(data)/2:])
		return
	}
	b.json(w, status, body)
}

func (b *Backend) json(w http.ResponseWriter, status int, body map[string]any) {
	if b.on(ExtraFields) {
		body["requestId"] = "req-1234"
		body["meta"] = map[string]any{"region": "eu"}
	}
	data, _ := json.Marshal(body)
	ct := "application/json"
	if b.on(Charset) {
		ct = "application/json; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	if !b.on(NoCacheControl) {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// mint answers POST /__mock/sessions {"user":"x"} with a new session.
func (b *Backend) mint(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User string `json:"user"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil || req.User == "" {
		http.Error(w, `{"error":"user required"}`, http.StatusBadRequest)
		return
	}
	var raw [24]byte
	_, _ = rand.Read(raw[:])
	token := "ref" + base64.RawURLEncoding.EncodeToString(raw[:])
	key := token
	if b.issuesJWTs() {
		key = "sid-" + base64.RawURLEncoding.EncodeToString(raw[:12])
		token = b.signJWT(req.User, key)
	}
	b.mu.Lock()
	b.issued = append(b.issued, token)
	b.seq[key] = len(b.issued)
	b.born[key] = time.Now()
	if b.on(CapsSessions) && len(b.devices[req.User]) >= sessionCap {
		oldest := ""
		for t := range b.devices[req.User] {
			if oldest == "" || b.seq[t] < b.seq[oldest] {
				oldest = t
			}
		}
		delete(b.owner, oldest)
		delete(b.devices[req.User], oldest)
	}
	if !b.banned[req.User] {
		b.owner[key] = req.User
		if b.devices[req.User] == nil {
			b.devices[req.User] = map[string]bool{}
		}
		b.devices[req.User][key] = true
	}
	if b.on(RevokedComeBackAfterLogin) {
		for t, u := range b.revoked {
			if u == req.User {
				b.owner[t] = u
				b.devices[u][t] = true
				delete(b.revoked, t)
			}
		}
	}
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]string{"user": req.User, "token": token})
}

// lookup finds the live session of key: the same key, or, with the
// matching knobs, one that only resembles it.
func (b *Backend) lookup(key string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.forgetLocked(key)
	if _, ok := b.owner[key]; ok {
		return key, true
	}
	if key == "" {
		return "", false
	}
	for k := range b.owner {
		switch {
		case b.on(AcceptsTokenPrefix) && len(key) >= 8 && strings.HasPrefix(k, key),
			b.on(CaseInsensitiveTokenMatch) && strings.EqualFold(k, key),
			b.on(ComparesFirst16Bytes) && len(key) >= 16 && len(k) >= 16 && k[:16] == key[:16]:
			return k, true
		}
	}
	return "", false
}

// quietLocked sees a request arrive at now (RevocationExpires): after a
// second without one, the instance was recycled (scaled to zero) and its
// in-memory denylist is gone: every token revoked so far works again,
// since the tokens themselves never stopped being valid. A second without
// requests happens only in the model's durability wait (its pauses are
// 200 ms at most), never inside a history, however slow the machine is
// (an earlier version forgot each revocation 1 s after it was made: under
// load a history of 42 steps outlasted that and showed the defect at a
// step its replay could not repeat).
func (b *Backend) quietLocked(now time.Time) {
	if !b.lastSeen.IsZero() && now.Sub(b.lastSeen) > time.Second {
		for key, user := range b.revoked {
			delete(b.revoked, key)
			b.owner[key] = user
			if b.devices[user] == nil {
				b.devices[user] = map[string]bool{}
			}
			b.devices[user][key] = true
		}
	}
	b.lastSeen = now
}

// forgetLocked applies time to key's session: an expired one ends
// (ExpiresSessions).
func (b *Backend) forgetLocked(key string) {
	if user, ok := b.owner[key]; ok && b.on(ExpiresSessions) && time.Since(b.born[key]) > sessionLifetime {
		delete(b.owner, key)
		delete(b.devices[user], key)
	}
}

// sessionCap and sessionLifetime are the CapsSessions and ExpiresSessions
// knobs' limits.
const (
	sessionCap      = 10
	sessionLifetime = 1500 * time.Millisecond
)

func (b *Backend) live(token string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.forgetLocked(token)
	_, ok := b.owner[token]
	return ok
}

func (b *Backend) wasRevoked(token string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.revoked[token]
	return ok
}

func (b *Backend) revokeAll(token string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if user, ok := b.owner[token]; ok {
		b.revokeUserLocked(user)
	}
}

// revokeAllOfRevoked logs out the user of a revoked token (the
// RevokedTokenRevokesAgain knob).
func (b *Backend) revokeAllOfRevoked(token string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if user, ok := b.revoked[token]; ok {
		b.revokeUserLocked(user)
	}
}

func (b *Backend) revokeUserLocked(user string) {
	keys := make([]string, 0, len(b.devices[user]))
	for t := range b.devices[user] {
		keys = append(keys, t)
	}
	if b.on(RevokesAtMost50) && len(keys) > 50 {
		slices.SortFunc(keys, func(x, y string) int { return b.seq[x] - b.seq[y] })
		keys = keys[:50]
		for _, t := range keys {
			delete(b.owner, t)
			delete(b.devices[user], t)
			b.revoked[t] = user
		}
		return
	}
	if b.on(RevokesFirstPage) && len(keys) > firstPage {
		// One page of the user's sessions, oldest first, as a paginated
		// query that is never asked for its next page.
		slices.SortFunc(keys, func(x, y string) int { return b.seq[x] - b.seq[y] })
		for _, t := range keys[:firstPage] {
			delete(b.owner, t)
			delete(b.devices[user], t)
			b.revoked[t] = user
		}
		return
	}
	for _, t := range keys {
		delete(b.owner, t)
		b.revoked[t] = user
	}
	delete(b.devices, user)
	if b.on(BansUser) {
		b.banned[user] = true
	}
}

func (b *Backend) revokeOne(token string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if user, ok := b.owner[token]; ok {
		delete(b.owner, token)
		delete(b.devices[user], token)
		b.revoked[token] = user
	}
}

func (b *Backend) revokeEveryone() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for t, u := range b.owner {
		b.revoked[t] = u
	}
	b.owner = map[string]string{}
	b.devices = map[string]map[string]bool{}
}

// enterRevoke reports false when another revoke-all of the same user is
// running (the ConcurrentRevoke500 knob's lock-contention bug). So that the
// bug shows on every run, not only when the scheduler happens to overlap
// the calls, the first of REV-005's concurrent calls (the user then has
// contract.ConcurrentRevokes live sessions) holds until a second one joins
// it; should none come, the caller times out, which fails REV-005 too.
func (b *Backend) enterRevoke(r *http.Request, token string) bool {
	b.mu.Lock()
	user := b.owner[token]
	b.inflight[user]++
	n := b.inflight[user]
	if n == 1 {
		b.joined[user] = make(chan struct{})
	} else if ch := b.joined[user]; !isClosed(ch) {
		close(ch)
	}
	joined, wait := b.joined[user], n == 1 && len(b.devices[user]) >= contract.ConcurrentRevokes
	b.mu.Unlock()
	if wait {
		select {
		case <-joined:
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}
	b.mu.Lock()
	b.inflight[user]--
	b.mu.Unlock()
	return n == 1
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// firstPage is the page size of the RevokesFirstPage knob.
const firstPage = 20

var strictB64 = base64.RawURLEncoding.Strict()

// signJWT issues an HS256 JWT for a session of user.
func (b *Backend) signJWT(user, sid string) string {
	enc := func(v any) string {
		data, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(data)
	}
	input := enc(map[string]string{"alg": "HS256", "typ": "JWT"}) + "." + enc(map[string]any{"sub": user, "sid": sid, "iat": 1767225600})
	mac := hmac.New(sha256.New, b.secret)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// sessionKey is what the backend keeps token's session under: the token
// itself, or the "sid" of a JWT whose signature it verified ("" when it
// does not verify). The AcceptsAlgNone knob trusts a header that says
// "none" and skips the signature, as JWT libraries that honour the
// header's algorithm did.
func (b *Backend) sessionKey(token string) string {
	if !b.issuesJWTs() {
		return token
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	var header struct{ Alg string }
	var claims struct{ Sid string }
	h, err := strictB64.DecodeString(parts[0])
	if err != nil || json.Unmarshal(h, &header) != nil {
		return ""
	}
	p, err := strictB64.DecodeString(parts[1])
	if err != nil || json.Unmarshal(p, &claims) != nil {
		return ""
	}
	switch {
	case b.on(AcceptsAlgNone) && strings.EqualFold(header.Alg, "none") && parts[2] == "":
		return claims.Sid
	case header.Alg != "HS256":
		return ""
	}
	sig, err := strictB64.DecodeString(parts[2])
	mac := hmac.New(sha256.New, b.secret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return ""
	}
	return claims.Sid
}
