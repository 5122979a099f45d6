package contract

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/contract/internal/redact"
	"github.com/flashback/revoke-contract/contract/internal/wire"
	"github.com/flashback/revoke-contract/internal/testenv"
)

// TestLookalikesReproduce: every AUTH-013 lookalike differs from the token,
// is a well-formed b64token (so 401 is the answer RFC 6750 asks for), and
// its placeholder, quoted into a reproducer, gives the lookalike back when
// bash expands it with TOKEN set: the reproducer sends what the suite sent.
func TestLookalikesReproduce(t *testing.T) {
	bash := testenv.LookPath(t, "the lookalike placeholders of the curl reproducers", "apt-get install bash", "bash")
	for _, tok := range []string{
		"Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG0",                      // base64url, 47 characters
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWc", // a JWT
		"0123456789abcdef0123456789abcdef",                                     // hex: no case lookalike
		"abc.def~ghi+jkl/mno-pqr_stu==",                                        // every b64token character
	} {
		looks := exactMatchLookalikes(tok)
		if want := 6; isHex(tok) {
			want = 5
			if len(looks) != want {
				t.Errorf("%s: %d lookalikes, want %d", tok, len(looks), want)
			}
		} else if len(looks) != want {
			t.Errorf("%s: %d lookalikes, want %d", tok, len(looks), want)
		}
		seen := map[string]bool{tok: true}
		for _, l := range looks {
			if seen[l.value] {
				t.Errorf("%s: lookalike %q (%s) repeats another or the token", tok, l.value, l.name)
			}
			seen[l.value] = true
			if !isB64Token(l.value) || len(l.value) < redact.MinTokenLength {
				t.Errorf("%s: lookalike %q (%s) is not a b64token of %d characters or more", tok, l.value, l.name, redact.MinTokenLength)
			}
			out, err := exec.Command(bash, "-c", "TOKEN='"+tok+"'; printf %s "+wire.ShellQuote("Bearer "+l.placeholder)).Output()
			if err != nil {
				t.Fatalf("bash: %v", err)
			}
			if string(out) != "Bearer "+l.value {
				t.Errorf("%s: placeholder %s gives %q in bash, want %q (%s)", tok, l.placeholder, out, "Bearer "+l.value, l.name)
			}
		}
	}
}

// isB64Token is RFC 6750's b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" /
// "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	return body != "" && strings.Trim(body, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/") == ""
}

// TestChangedCharacterIsSignificant: the changed-character lookalike of a
// base64url segment decodes to other bytes, whatever the segment's length
// (a changed padding bit would decode to the same bytes, and a lenient
// decoder would rightly accept it).
func TestChangedCharacterIsSignificant(t *testing.T) {
	for n := 8; n <= 64; n++ {
		tok := strings.Repeat("Ab9", n)[:n]
		if n%4 == 1 {
			continue // no base64 encoding has this length
		}
		var changed string
		for _, l := range exactMatchLookalikes(tok) {
			if strings.Contains(l.name, "changed") {
				changed = l.value
			}
		}
		a, errA := decodeSegment(tok)
		b, errB := decodeSegment(changed)
		if errA == nil && errB == nil && string(a) == string(b) {
			t.Errorf("length %d: %q and %q decode to the same bytes", n, tok, changed)
		}
	}
}

// TestJWTForgeries: a JWT gets every forgery, each a b64token that differs
// from it and keeps its payload (or alters it); an opaque token gets none.
func TestJWTForgeries(t *testing.T) {
	jwt := encodeSegment(map[string]any{"alg": "RS256", "typ": "JWT", "kid": "k1"}) + "." +
		encodeSegment(map[string]any{"sub": "primary", "sid": "s-1"}) + ".c2lnbmF0dXJl"
	forged, ok := jwtForgeries(jwt)
	if !ok || len(forged) != 5 {
		t.Fatalf("jwtForgeries(JWT) = %d forgeries, %v; want 5, true", len(forged), ok)
	}
	for _, f := range forged {
		if f.value == jwt || !isB64Token(f.value) {
			t.Errorf("%s: %q", f.name, f.value)
		}
		h, payload, _, ok := jwtParts(f.value)
		if !ok {
			t.Errorf("%s: %q is not a JWT any more", f.name, f.value)
			continue
		}
		if !strings.Contains(string(payload), `"sid":"s-1"`) {
			t.Errorf("%s: the payload lost the session id: %s", f.name, payload)
		}
		if h["kid"] != "k1" {
			t.Errorf("%s: the header lost its other fields: %v", f.name, h)
		}
	}
	for _, opaque := range []string{"Zm9vYmFyYmF6cXV4MTIz", "a.b", "a.b.c.d.e", "e30.e30.sig", "bm90IGpzb24.e30.sig"} {
		if _, ok := jwtForgeries(opaque); ok {
			t.Errorf("jwtForgeries(%q) treats an opaque token as a JWT", opaque)
		}
	}
}
