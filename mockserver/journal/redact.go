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
	// texts caches the text of the last few header sets HeadersText
	// redacted: a mock's answers repeat the same few header sets (its 200,
	// its 401), and formatting them was half of the journal's cost per
	// request. An entry is found by comparing contents, never addresses.
	texts [4]atomic.Pointer[headersText]
	next  atomic.Uint32
}

// headersText is one header set, by value, and its redacted text.
type headersText struct {
	fields []field
	text   string
}

type field struct {
	name   string
	values []string
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
	var stack [24]field
	fields := stack[:0]
	for name, values := range h {
		fields = append(fields, field{name, values})
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
			case secretName(f.name):
				b = r.appendFingerprint(b, v)
			default:
				b = appendLine(b, v)
			}
		}
	}
	return b
}

// HeadersText is AppendHeaders' text of h, from a cache of the last few
// header sets when h has the same names and values as one of them.
func (r *Redactor) HeadersText(h http.Header) string {
	if len(h) > maxCachedFields {
		return string(r.AppendHeaders(nil, h))
	}
	for i := range r.texts {
		if c := r.texts[i].Load(); c != nil && c.holds(h) {
			return c.text
		}
	}
	c := &headersText{fields: make([]field, 0, len(h)), text: string(r.AppendHeaders(nil, h))}
	for name, values := range h {
		if name == "Authorization" || name == "Proxy-Authorization" || secretName(name) {
			// The cache keeps values as they are: never a secret's, so a
			// set with one is formatted every time.
			return c.text
		}
		c.fields = append(c.fields, field{name, append([]string(nil), values...)})
	}
	r.texts[r.next.Add(1)%uint32(len(r.texts))].Store(c)
	return c.text
}

// maxCachedFields: larger header sets are formatted every time (the
// comparison is quadratic in the fields, and a mock's answers have few).
const maxCachedFields = 12

// holds reports whether h has exactly c's names and values.
func (c *headersText) holds(h http.Header) bool {
	if len(h) != len(c.fields) {
		return false
	}
	for name, values := range h {
		found := false
		for i := range c.fields {
			if f := &c.fields[i]; f.name == name {
				if !slices.Equal(f.values, values) {
					return false
				}
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
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
