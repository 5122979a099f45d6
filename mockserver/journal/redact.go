package journal

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash/maphash"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
)

// Redactor turns a request's headers and query into what the journal may
// keep. A credential is never kept, not even in part: Authorization keeps
// its scheme and a fingerprint, "fp:" and 8 hex digits of SHA-256 over a
// key drawn at start-up and the credential. The same credential has the
// same fingerprint for the life of the process, so a reader can tell that
// two requests carried the same token, but no one can test a guess against
// it without the key.
type Redactor struct {
	key [32]byte
	// recent caches the fingerprints of recent credentials: a UI sends the
	// same token again and again, and SHA-256 was most of the journal's
	// cost per request. A slot is found by a seeded maphash of the
	// credential and holds that hash and the fingerprint, never the
	// credential. Lock-free: a slot is replaced whole.
	seed   maphash.Seed
	recent [256]atomic.Pointer[cachedFingerprint]
	// answers and requests cache the text of the last few header sets
	// redacted: a mock's answers repeat the same few header sets (its 200,
	// its 401), and a client's requests repeat theirs (the same browser,
	// the same token); formatting them was most of the journal's cost per
	// request.
	answers, requests textCache
}

// textCache holds the text of the last few header sets, each found by
// comparing contents, never addresses. A secret's values are compared by
// their seeded hashes, as the fingerprint cache keeps them: the cache
// never holds a credential. Lock-free: an entry is replaced whole.
type textCache struct {
	slots [4]atomic.Pointer[headersText]
	next  atomic.Uint32
	// seen holds the signatures of sets formatted once: a set is cached
	// the second time it is seen, so that a client sending a header that
	// differs on every request (a trace or request ID) does not replace
	// the cache with a new entry per request.
	seen [16]atomic.Uint64
}

// headersText is one header set, by value, and its redacted text.
type headersText struct {
	fields []cachedField
	text   string
}

type headerField struct {
	name   string
	values []string
}

// cachedField is a field of a cached set: its values as they are, or a
// secret's as their seeded hashes.
type cachedField struct {
	headerField
	secret bool
	hashes []uint64
}

type cachedFingerprint struct {
	hash uint64
	fp   [fingerprintLen]byte
}

// fingerprintLen is len("fp:") and 8 hex digits.
const fingerprintLen = 3 + 8

// NewRedactor draws a fresh key.
func NewRedactor() *Redactor {
	r := &Redactor{seed: maphash.MakeSeed()}
	_, _ = rand.Read(r.key[:]) // never fails (crypto/rand since Go 1.24)
	return r
}

// Fingerprint is "fp:" and 8 hex digits.
func (r *Redactor) Fingerprint(secret string) string {
	var out [16]byte
	return string(r.appendFingerprint(out[:0], secret))
}

func (r *Redactor) appendFingerprint(b []byte, secret string) []byte {
	h := maphash.String(r.seed, secret)
	slot := &r.recent[h%uint64(len(r.recent))]
	if c := slot.Load(); c != nil && c.hash == h {
		return append(b, c.fp[:]...)
	}
	c := &cachedFingerprint{hash: h}
	r.fingerprint(c.fp[:0], secret)
	slot.Store(c)
	return append(b, c.fp[:]...)
}

// fingerprint appends the fingerprint of secret, computed.
func (r *Redactor) fingerprint(b []byte, secret string) []byte {
	var sum [sha256.Size]byte
	var stack [1024]byte // no allocation for any usual credential
	if len(r.key)+len(secret) <= len(stack) {
		n := copy(stack[:], r.key[:])
		n += copy(stack[n:], secret)
		sum = sha256.Sum256(stack[:n])
	} else {
		sum = sha256.Sum256(append(r.key[:len(r.key):len(r.key)], secret...))
	}
	b = append(b, "fp:"...)
	return hex.AppendEncode(b, sum[:4])
}

// Credential reduces an Authorization value to its scheme and the
// fingerprint of the rest: "Bearer fp:1a2b3c4d".
func (r *Redactor) Credential(value string) string {
	var out [64]byte
	return string(r.appendCredential(out[:0], value))
}

func (r *Redactor) appendCredential(b []byte, value string) []byte {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(value), " ")
	rest = strings.TrimSpace(rest)
	if !ok || rest == "" {
		// A bare word is a scheme with no credential, or a credential with
		// no scheme: keep neither.
		if scheme == "" {
			return b
		}
		return r.appendFingerprint(b, scheme)
	}
	if len(scheme) > 32 || !isToken(scheme) {
		return r.appendFingerprint(b, value)
	}
	b = append(b, scheme...)
	b = append(b, ' ')
	return r.appendFingerprint(b, rest)
}

// Headers lists h sorted by name with secrets replaced (see AppendHeaders).
func (r *Redactor) Headers(h http.Header) []Header {
	e := Entry{Headers: string(r.AppendHeaders(nil, h))}
	return e.HeaderList()
}

// AppendHeaders appends h to b as "Name: value" lines sorted by name (one
// line per value), with secrets replaced: Authorization and
// Proxy-Authorization as Credential says, Cookie and every header whose
// name suggests a secret (token, key, secret, password, session, auth) by
// a fingerprint. It allocates nothing for a usual request when b has room.
func (r *Redactor) AppendHeaders(b []byte, h http.Header) []byte {
	var stack [24]headerField
	fields := stack[:0]
	for name, values := range h {
		fields = append(fields, headerField{name, values})
	}
	// Insertion sort: a request has a handful of headers, and sort.Slice
	// would allocate on every request.
	for i := 1; i < len(fields); i++ {
		for j := i; j > 0 && fields[j].name < fields[j-1].name; j-- {
			fields[j], fields[j-1] = fields[j-1], fields[j]
		}
	}
	for _, f := range fields {
		for _, v := range f.values {
			if len(b) > 0 {
				b = append(b, '\n')
			}
			b = append(b, f.name...)
			b = append(b, ": "...)
			switch {
			case f.name == "Authorization" || f.name == "Proxy-Authorization":
				b = r.appendCredential(b, v)
			case isSecretHeader(f.name):
				b = r.appendFingerprint(b, v)
			default:
				b = appendLine(b, v)
			}
		}
	}
	return b
}

// HeadersText is AppendHeaders' text of an answer's headers, from a cache
// of the last few sets when h has the same names and values as one of them.
func (r *Redactor) HeadersText(h http.Header) string { return r.answers.text(r, h) }

// RequestHeadersText is HeadersText for a request's headers (a cache of
// its own, so that requests and answers do not push each other out).
func (r *Redactor) RequestHeadersText(h http.Header) string { return r.requests.text(r, h) }

// maxCachedFields: larger header sets are formatted every time (each
// lookup compares every field).
const maxCachedFields = 24

func (c *textCache) text(r *Redactor, h http.Header) string {
	if len(h) > maxCachedFields {
		return string(r.AppendHeaders(nil, h))
	}
	for i := range c.slots {
		if e := c.slots[i].Load(); e != nil && e.holds(r, h) {
			return e.text
		}
	}
	var buf [1024]byte
	text := string(r.AppendHeaders(buf[:0], h))
	sig := r.signature(h)
	if seen := &c.seen[sig%uint64(len(c.seen))]; seen.Swap(sig) != sig {
		return text // the first time: not cached yet
	}
	e := &headersText{fields: make([]cachedField, 0, len(h)), text: text}
	for name, values := range h {
		f := cachedField{headerField: headerField{name: name}, secret: isSecretHeader(name)}
		if f.secret {
			f.hashes = make([]uint64, len(values))
			for i, v := range values {
				f.hashes[i] = maphash.String(r.seed, v)
			}
		} else {
			f.values = slices.Clone(values)
		}
		e.fields = append(e.fields, f)
	}
	c.slots[c.next.Add(1)%uint32(len(c.slots))].Store(e)
	return text
}

// signature is a seeded hash of h's names and values, whatever the order
// of its fields.
func (r *Redactor) signature(h http.Header) uint64 {
	var sig uint64
	for name, values := range h {
		f := maphash.String(r.seed, name)
		for _, v := range values {
			f = (f ^ maphash.String(r.seed, v)) * 0x100000001b3
		}
		sig += f ^ (f >> 29)
	}
	return sig
}

// holds reports whether h has exactly e's names and values.
func (e *headersText) holds(r *Redactor, h http.Header) bool {
	if len(h) != len(e.fields) {
		return false
	}
	for i := range e.fields {
		f := &e.fields[i]
		values, ok := h[f.name]
		if !ok {
			return false
		}
		if !f.secret {
			if !slices.Equal(f.values, values) {
				return false
			}
			continue
		}
		if len(values) != len(f.hashes) {
			return false
		}
		for j, v := range values {
			if maphash.String(r.seed, v) != f.hashes[j] {
				return false
			}
		}
	}
	return true
}

// TextMemo holds a text formatted once, the first time it is asked for:
// the journal's text of a header set the mock writes again and again.
// The zero TextMemo is ready to use and safe for concurrent use.
type TextMemo struct {
	p atomic.Pointer[string]
}

// Get returns the text, formatting it with format the first time (two
// first callers may both format it; they format the same text).
func (m *TextMemo) Get(format func() string) string {
	if t := m.p.Load(); t != nil {
		return *t
	}
	t := format()
	m.p.Store(&t)
	return t
}

// isSecretHeader: a header whose values AppendHeaders replaces.
func isSecretHeader(name string) bool {
	return name == "Authorization" || name == "Proxy-Authorization" || secretName(name)
}

// appendLine appends v with any line break replaced, so that one value
// stays one line (net/http refuses them anyway).
func appendLine(b []byte, v string) []byte {
	if strings.IndexByte(v, '\n') < 0 && strings.IndexByte(v, '\r') < 0 {
		return append(b, v...)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\n' || c == '\r' {
			c = ' '
		}
		b = append(b, c)
	}
	return b
}

// Query returns the raw query with the value of every parameter whose name
// suggests a secret (access_token, api_key, code, ...) replaced by its
// fingerprint; the order and the other parameters stay as sent.
func (r *Redactor) Query(raw string) string {
	if raw == "" {
		return ""
	}
	var b strings.Builder
	for i, part := range strings.Split(raw, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		name, value, ok := strings.Cut(part, "=")
		if ok && value != "" && (secretName(name) || name == "code" || containsFold(name, "sig")) {
			value = r.Fingerprint(value)
		}
		b.WriteString(name)
		if ok {
			b.WriteByte('=')
			b.WriteString(value)
		}
	}
	return b.String()
}

// secretName: a header or parameter name that usually carries a secret.
func secretName(name string) bool {
	switch name { // the usual ones, canonical, answered without a scan
	case "Accept", "Accept-Encoding", "Accept-Language", "Content-Type", "Content-Length", "User-Agent", "Origin", "Referer",
		"Prefer", "Connection", "Cache-Control", "Pragma", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-Dest", "Sec-Ch-Ua",
		"Sec-Ch-Ua-Mobile", "Sec-Ch-Ua-Platform", "X-Requested-With", "X-Request-Id", "Traceparent", "Priority",
		// Answer headers (the journal keeps the answer's too): a challenge
		// names a scheme and a realm, never a credential.
		"Www-Authenticate", "Vary", "Allow", "Preference-Applied", "Mock-Scenario", "Access-Control-Allow-Origin",
		"Access-Control-Allow-Credentials", "Access-Control-Expose-Headers":
		return false
	}
	if strings.EqualFold(name, "cookie") || strings.EqualFold(name, "set-cookie") {
		return true
	}
	for _, w := range secretWords {
		if containsFold(name, w) {
			return true
		}
	}
	return false
}

var secretWords = []string{"token", "key", "secret", "password", "passwd", "session", "auth", "credential", "jwt"}

// containsFold is strings.Contains ignoring ASCII case, without the
// allocation of strings.ToLower (it runs for every header of every
// request).
func containsFold(s, lowerSub string) bool {
	for i := 0; i+len(lowerSub) <= len(s); i++ {
		j := 0
		for ; j < len(lowerSub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lowerSub[j] {
				break
			}
		}
		if j == len(lowerSub) {
			return true
		}
	}
	return false
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
