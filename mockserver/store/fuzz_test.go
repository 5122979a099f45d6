package store

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// FuzzLazyIdentity: the lazy mode's JWT identity decoder (userId, else sub).
// Properties: any token gets an identity: "user:<id>" with a non-empty id
// for a three-part token, else the token itself with no issue time; a JWT
// built with a userId or sub claim (string or number, any iat) is that
// user's, whatever the claim's text; and once the user has logged out
// everywhere, a JWT of theirs never seen before is refused exactly when its
// iat is before the revoke-all.
func FuzzLazyIdentity(f *testing.F) {
	f.Add("eyJhbGciOiJub25lIn0.eyJ1c2VySWQiOiJhbGljZSJ9.sig", "alice", 1.7e9, uint8(0))
	f.Add("a.b.c", "bob", 0.0, uint8(1))
	f.Add("opaque-token", "42", 1.7e9+0.5, uint8(2))
	f.Add("x.eyJzdWIiOjF9.", "", -1.0, uint8(3))
	f.Add("..", "é\x00\"\\", 9.3e18, uint8(4))
	f.Add("x.e30=.y", " ", 1e300, uint8(5))
	f.Add("x.bnVsbA.y", "user:mallory", -1e300, uint8(6))
	f.Add("x.eyJ1c2VySWQiOnt9LCJzdWIiOiJjIn0.y", "\xff", float64(math.MaxInt64), uint8(7))
	f.Fuzz(func(t *testing.T, token, user string, iat float64, shape uint8) {
		id, at := lazyIdentity(token)
		switch {
		case id == "token:"+token:
			if !at.IsZero() {
				t.Fatalf("lazyIdentity(%q): an opaque token with an issue time %v", token, at)
			}
		case strings.HasPrefix(id, "user:") && len(id) > len("user:"):
			if strings.Count(token, ".") != 2 {
				t.Fatalf("lazyIdentity(%q) = %q, but it is not a JWT", token, id)
			}
		default:
			t.Fatalf("lazyIdentity(%q) = %q", token, id)
		}

		if math.IsNaN(iat) || math.IsInf(iat, 0) {
			return
		}
		claim := "userId"
		if shape&1 == 1 {
			claim = "sub"
		}
		claims := map[string]any{claim: user, "iat": iat}
		if shape&2 == 2 {
			claims["other"] = map[string]any{"userId": "nobody"}
		}
		payload, err := json.Marshal(claims)
		if err != nil {
			t.Fatal(err)
		}
		var want struct{ U string }
		_ = json.Unmarshal([]byte(`{"U":`+string(must(json.Marshal(user)))+`}`), &want) // the claim as a decoder reads it
		enc := base64.RawURLEncoding.EncodeToString(payload)
		if shape&4 == 4 {
			enc = base64.URLEncoding.EncodeToString(payload) // padded, as some issuers write it
		}
		jwt := "eyJhbGciOiJub25lIn0." + enc + ".c2ln"
		id, _ = lazyIdentity(jwt)
		if want.U == "" {
			if id != "token:"+jwt {
				t.Fatalf("a JWT without a user is its own user, got %q", id)
			}
			return
		}
		if id != "user:"+want.U {
			t.Fatalf("a JWT with %s %q is %q's, got %q", claim, user, want.U, id)
		}

		// Revocation by issue time.
		revokedAt := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
		m := NewMemory(Lazy, nil)
		m.now = func() time.Time { return revokedAt }
		laptop, err := m.Mint(want.U)
		if err != nil {
			t.Fatal(err)
		}
		m.RevokeAll(laptop)
		got := m.Check(jwt)
		if wantRevoked := iat < float64(revokedAt.Unix()); (got == Revoked) != wantRevoked || got == Unknown {
			t.Fatalf("a JWT of %q issued at %v after a revoke-all at %d: %v", want.U, iat, revokedAt.Unix(), got)
		}
	})
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
