package journal

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
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
}

// NewRedactor draws a fresh key.
func NewRedactor() *Redactor {
	r := &Redactor{}
	_, _ = rand.Read(r.key[:]) // never fails (crypto/rand since Go 1.24)
	return r
}

// Fingerprint is "fp:" and 8 hex digits.
func (r *Redactor) Fingerprint(secret string) string {
	buf := make([]byte, 0, 64+len(secret))
	buf = append(buf, r.key[:]...)
	buf = append(buf, secret...)
	sum := sha256.Sum256(buf)
	var out [3 + 8]byte
	copy(out[:], "fp:")
	hex.Encode(out[3:], sum[:4])
	return string(out[:])
}

// Credential reduces an Authorization value to its scheme and the
// fingerprint of the rest: "Bearer fp:1a2b3c4d".
func (r *Redactor) Credential(value string) string {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(value), " ")
	rest = strings.TrimSpace(rest)
	if !ok || rest == "" {
		// A bare word is a scheme with no credential, or a credential with
		// no scheme: keep neither.
		if scheme == "" {
			return ""
		}
		return r.Fingerprint(scheme)
	}
	if len(scheme) > 32 || !isToken(scheme) {
		return r.Fingerprint(value)
	}
	return scheme + " " + r.Fingerprint(rest)
}

// Headers lists h sorted by name with secrets replaced: Authorization and
// Proxy-Authorization as Credential says, Cookie and every header whose
// name suggests a secret (token, key, secret, password, session, auth) by
// a fingerprint.
func (r *Redactor) Headers(h http.Header) []Header {
	out := make([]Header, 0, len(h)+2)
	for name, values := range h {
		for _, v := range values {
			switch {
			case name == "Authorization" || name == "Proxy-Authorization":
				v = r.Credential(v)
			case secretName(name):
				v = r.Fingerprint(v)
			}
			out = append(out, Header{Name: name, Value: v})
		}
	}
	// Insertion sort: a request has a handful of headers, and sort.Slice
	// would allocate on every request.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Name < out[j-1].Name; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
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
