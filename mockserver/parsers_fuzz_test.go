package mockserver

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// b64token is RFC 6750 section 2.1, written independently of isB64Token.
var b64token = regexp.MustCompile(`^[A-Za-z0-9\-._~+/]+=*$`)

// FuzzBearerToken: the Authorization header's scheme/credential split.
// Properties: a credential it accepts is an RFC 6750 b64token of at most
// maxTokenLen bytes and is exactly what follows "Bearer" (any case) and its
// spaces; every b64token sent as "Bearer <token>", whatever the case of the
// scheme and the number of spaces, is accepted as itself; an empty header is
// "missing", and any other refusal names a problem.
func FuzzBearerToken(f *testing.F) {
	for _, s := range [][3]any{
		{"Bearer abc", "my-dev-token", uint8(1)},
		{"bearer  x=", "a.b.c", uint8(2)},
		{"Basic dXNlcjpwYXNz", "abc==", uint8(0)},
		{"Bearer", "=", uint8(1)},
		{"Bearer ", "a==b", uint8(1)},
		{"Bearer a b", "~+/", uint8(3)},
		{"BEARER eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.", uint8(1)},
		{"Bearer\tabc", "é", uint8(1)},
		{"Bearer abc ", "abc\x00", uint8(1)},
		{"", strings.Repeat("a", maxTokenLen+1), uint8(1)},
	} {
		f.Add(s[0].(string), s[1].(string), s[2].(uint8))
	}
	f.Fuzz(func(t *testing.T, header, token string, spaces uint8) {
		got, p := bearerToken(header)
		if _, ok := credentialTable[p]; !ok {
			t.Fatalf("bearerToken(%q): problem %d is not in the credential table", header, p)
		}
		switch {
		case p == credOK:
			if !b64token.MatchString(got) || len(got) > maxTokenLen {
				t.Fatalf("bearerToken(%q) accepted %q, which is not an RFC 6750 b64token of at most %d bytes", header, got, maxTokenLen)
			}
			scheme, rest, ok := strings.Cut(header, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimLeft(rest, " ") != got {
				t.Fatalf("bearerToken(%q) = %q: not the credential after the Bearer scheme", header, got)
			}
		case got != "":
			t.Fatalf("bearerToken(%q) refused (%d) but returned %q", header, p, got)
		case header == "" && p != credMissing, header != "" && p == credMissing:
			t.Fatalf("bearerToken(%q): problem %d", header, p)
		}

		// Every well-formed credential is accepted as itself.
		if !b64token.MatchString(token) || len(token) > maxTokenLen {
			return
		}
		scheme := []byte("Bearer")
		for i := range scheme {
			if spaces>>i&1 == 1 {
				scheme[i] ^= 0x20 // flip the case
			}
		}
		h := string(scheme) + strings.Repeat(" ", 1+int(spaces%4)) + token
		if got, p := bearerToken(h); p != credOK || got != token {
			t.Fatalf("bearerToken(%q) = %q, %d; want %q accepted", h, got, p, token)
		}
	})
}

// FuzzParsePrefer: the Prefer header (RFC 7240) as the mock reads it.
// Properties: a code or example it returns is a non-empty value that
// appears in the headers, without comma or semicolon;
// code=<c> and example=<e> written in any of the header's legal shapes
// (quoted or not, with parameters, among other preferences, in one header
// or two) are read back as c and e; a refusal names the preference.
func FuzzParsePrefer(f *testing.F) {
	f.Add("code=500", "500", "server_error", uint8(0))
	f.Add("example=success", "401", "invalid_token", uint8(1))
	f.Add(`code="500"`, "200", "success", uint8(2))
	f.Add("respond-async, wait=10\ncode=500;foo=bar", "500", "x", uint8(3))
	f.Add("code=", "1", "e", uint8(4))
	f.Add("example", "2", "f", uint8(5))
	f.Add(`CODE = " 500 "`, "5", "g", uint8(6))
	f.Add(`code="`, `"`, `""`, uint8(7))
	f.Add(",,;;==", "a", "b", uint8(255))
	f.Fuzz(func(t *testing.T, raw, code, example string, layout uint8) {
		values := strings.Split(raw, "\n")
		p, err := parsePrefer(values)
		if err != nil {
			if !strings.Contains(err.Error(), "code") && !strings.Contains(err.Error(), "example") {
				t.Fatalf("parsePrefer(%q): error %q names no preference", values, err)
			}
		} else {
			for _, v := range []string{p.code, p.example} {
				if v == "" {
					continue
				}
				if !strings.Contains(raw, v) || strings.ContainsAny(v, ",;") {
					t.Fatalf("parsePrefer(%q) = %+v: %q is not a value of the headers", values, p, v)
				}
			}
		}

		// Round trip: well-formed preferences are read back.
		if !isToken(code) || !isToken(example) {
			return
		}
		q := func(s string) string {
			if layout&1 == 1 {
				return `"` + s + `"`
			}
			return s
		}
		c, e := "code="+q(code), "example="+q(example)
		if layout&2 == 2 {
			c += ";x=y"
		}
		if layout&4 == 4 {
			c, e = " "+c+" ", "  "+e
		}
		var hdrs []string
		switch layout >> 3 % 3 {
		case 0:
			hdrs = []string{c + ", " + e}
		case 1:
			hdrs = []string{"respond-async", e, "wait=5, " + c}
		case 2:
			hdrs = []string{e + ",handling=lenient," + c}
		}
		got, err := parsePrefer(hdrs)
		if err != nil || got.code != code || got.example != example {
			t.Fatalf("parsePrefer(%q) = %+v, %v; want code %q, example %q", hdrs, got, err, code, example)
		}
	})
}

// isToken: an RFC 9110 token (a legal unquoted preference value).
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return s != ""
}

// FuzzCORSOrigins: the --cors-origins list and the origin matcher.
// Properties: the list is accepted, or refused with an OptionError naming
// the entry at fault; every entry accepted is allowed as an Origin itself,
// and so is its browser form (lower case, default port dropped, no "/");
// an origin allowed by a restricted list is a serialized origin (RFC 6454:
// http or https, a host, no user, path, query or fragment) that normalises
// to an entry; "*" or an empty list allows every origin.
func FuzzCORSOrigins(f *testing.F) {
	f.Add("http://localhost:5173", "http://localhost:5173")
	f.Add("https://App.Example:443,http://x.test", "https://app.example")
	f.Add("http://a.test/", "http://a.test")
	f.Add("http://a.test", "http://a.test#frag")
	f.Add("http://a.test", "http://user@a.test")
	f.Add("http://a.test", "http://a.test/?q")
	f.Add("http://[::1]:80", "http://[::1]")
	f.Add("*", "null")
	f.Add("", "http://anything.test")
	f.Add(" , ,", "x")
	f.Add("http://x.test/path", "http://x.test")
	f.Add("ftp://x.test", "ftp://x.test")
	f.Add("http://a.test:", "http://a.test:")
	f.Add("http://%41.test", "http://A.test")
	f.Fuzz(func(t *testing.T, list, origin string) {
		entries := strings.Split(list, ",")
		p, err := newCORSPolicy(entries)
		if err != nil {
			var oe *OptionError
			if !errors.As(err, &oe) || oe.Option != "CORSOrigins" || !containsTrimmed(entries, oe.Value) {
				t.Fatalf("newCORSPolicy(%q): %v does not name a list entry", entries, err)
			}
			return
		}
		restricted := !p.any
		for _, e := range entries {
			e = strings.TrimSpace(e)
			if e == "*" {
				restricted = false
			}
			if e == "" || e == "*" {
				continue
			}
			if !p.allows(e) {
				t.Fatalf("--cors-origins %q: the entry %q is not allowed itself", list, e)
			}
			if b, ok := browserForm(e); ok && !p.allows(b) {
				t.Fatalf("--cors-origins %q: %q, as a browser sends it (%q), is not allowed", list, e, b)
			}
		}
		if p.any != !restricted {
			t.Fatalf("--cors-origins %q: any=%v", list, p.any)
		}
		if !p.allows(origin) {
			if !restricted {
				t.Fatalf("--cors-origins %q allows every origin but refused %q", list, origin)
			}
			return
		}
		if !restricted {
			return
		}
		if !isSerializedOrigin(origin) {
			t.Fatalf("--cors-origins %q allows %q, which is not a serialized origin", list, origin)
		}
		n, _ := normalizeOrigin(origin)
		if !p.origins[n] {
			t.Fatalf("--cors-origins %q allows %q (as %q), which is in no entry", list, origin, n)
		}
	})
}

func containsTrimmed(list []string, v string) bool {
	for _, e := range list {
		if strings.TrimSpace(e) == v {
			return true
		}
	}
	return false
}

// serializedOrigin is RFC 6454 section 6.2 for http and https: a scheme, a
// host (a name or a bracketed IPv6 address) and an optional port; no user,
// path, query or fragment.
var serializedOrigin = regexp.MustCompile(`(?i)^https?://([^/?#@\[\]:]+|\[[0-9a-f:.]+\])(:[0-9]*)?/?$`)

func isSerializedOrigin(s string) bool { return serializedOrigin.MatchString(s) }

// browserForm is how a browser would send the origin of an entry: lower
// case, no default port, no trailing "/".
func browserForm(e string) (string, bool) {
	n, ok := normalizeOrigin(e)
	if !ok || !isSerializedOrigin(e) {
		return "", false
	}
	return n, true
}
