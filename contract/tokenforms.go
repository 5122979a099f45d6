package contract

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/flashback/revoke-contract/contract/internal/redact"
)

// A lookalike is a credential made from a real, live token that is not that
// token: what a backend accepts when it compares tokens loosely (a prefix
// or LIKE query, a case-insensitive collation, a hash or column that keeps
// only the first bytes, as bcrypt keeps 72, a lenient base64 decoding) or
// when it decodes a JWT without verifying it. Each carries the placeholder
// that stands for it in every report: a shell expansion of $TOKEN where one
// exists, so that the reproducer stays runnable.
type lookalike struct {
	name        string // what it is, for the report
	value       string
	placeholder string
}

// b64url is the base64url alphabet, in order.
const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// exactMatchLookalikes are AUTH-013's credentials, made from tok. Each
// differs from tok; none is shorter than redact.MinTokenLength (a shorter
// one could not be redacted, so it is not sent).
func exactMatchLookalikes(tok string) []lookalike {
	var out []lookalike
	add := func(name, value, placeholder string) {
		if value == tok || len(value) < redact.MinTokenLength {
			return
		}
		out = append(out, lookalike{name, value, placeholder})
	}
	if body := strings.TrimRight(tok, "="); body == tok {
		add("the token with a character appended", tok+"A", "${TOKEN}A")
	} else { // before the padding, where a b64token allows it
		add("the token with a character inserted before its padding", body+"A"+tok[len(body):], "${TOKEN%%=*}A"+tok[len(body):])
	}
	add("the token without its last character", tok[:len(tok)-1], "${TOKEN%?}")
	half := len(tok) / 2
	add(fmt.Sprintf("the first half of the token (%d characters)", half), tok[:half], fmt.Sprintf("${TOKEN:0:%d}", half))
	if !isHex(tok) {
		// Hex tokens decode to the same bytes in either case: no loss.
		add("the token with every letter in the other case", swapCase(tok), "${TOKEN~~}")
	}
	if i := strings.LastIndexFunc(tok, isAlnum); i >= 0 {
		// Flip the high bit of its 6-bit value: in base64url it is a bit a
		// decoder keeps (the low bits of a last character may be padding).
		c := b64url[strings.IndexByte(b64url, tok[i])^32]
		add(fmt.Sprintf("the token with character %d of %d changed", i+1, len(tok)), tok[:i]+string(c)+tok[i+1:],
			fmt.Sprintf("${TOKEN:0:%d}%c${TOKEN:%d}", i, c, i+1))
	}
	add(`the token with "=" padding appended`, tok+"=", "${TOKEN}=")
	return out
}

func isAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}

func isHex(s string) bool {
	return strings.Trim(s, "0123456789abcdefABCDEF") == ""
}

func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		case 'A' <= r && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, s)
}

// jwtParts splits a compact JWS (header.payload.signature) whose header is
// a JSON object with a string "alg"; ok is false for anything else,
// opaque tokens and encrypted JWTs (five parts) included.
func jwtParts(tok string) (header map[string]any, payload []byte, parts [3]string, ok bool) {
	p := strings.Split(tok, ".")
	if len(p) != 3 || p[0] == "" || p[1] == "" {
		return nil, nil, parts, false
	}
	h, err := decodeSegment(p[0])
	if err != nil || json.Unmarshal(h, &header) != nil {
		return nil, nil, parts, false
	}
	if alg, isString := header["alg"].(string); !isString || alg == "" {
		return nil, nil, parts, false
	}
	if payload, err = decodeSegment(p[1]); err != nil {
		return nil, nil, parts, false
	}
	copy(parts[:], p)
	return header, payload, parts, true
}

// decodeSegment decodes base64url with or without padding.
func decodeSegment(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func encodeSegment(v any) string {
	data, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(data)
}

// jwtForgeries are AUTH-014's credentials, made from a JWT tok: each is
// what an attacker makes of a token they hold (or of its header and
// payload, which anyone can read) and a backend that trusts a JWT without
// verifying its signature accepts. ok is false when tok is not a JWT.
func jwtForgeries(tok string) (forged []lookalike, ok bool) {
	header, payload, parts, ok := jwtParts(tok)
	if !ok {
		return nil, false
	}
	withAlg := func(alg string) string {
		h := map[string]any{}
		for k, v := range header {
			h[k] = v
		}
		h["alg"] = alg
		return encodeSegment(h)
	}
	forged = append(forged,
		lookalike{"the token without its signature (header.payload.)", parts[0] + "." + parts[1] + ".", "[TOKEN-without-signature]"},
		lookalike{`the token's payload under "alg":"none", unsigned`, withAlg("none") + "." + parts[1] + ".", "[TOKEN-as-alg-none]"},
		lookalike{`the token's payload under "alg":"None", unsigned`, withAlg("None") + "." + parts[1] + ".", "[TOKEN-as-alg-None]"},
	)
	hs := withAlg("HS256") + "." + parts[1]
	mac := hmac.New(sha256.New, nil)
	mac.Write([]byte(hs))
	forged = append(forged, lookalike{"the token's payload re-signed with HS256 and an empty key", hs + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), "[TOKEN-resigned-HS256-empty-key]"})
	var claims map[string]any
	if json.Unmarshal(payload, &claims) == nil && claims != nil {
		// One claim more, the signature kept: a backend that reads the
		// claims without verifying them accepts it.
		claims["revoke_contract_probe"] = true
		forged = append(forged, lookalike{"the token with a claim added to its payload, the original signature kept", parts[0] + "." + encodeSegment(claims) + "." + parts[2], "[TOKEN-with-altered-payload]"})
	}
	return forged, true
}
