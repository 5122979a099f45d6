package redact

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// encodings are the ways a token may reach a report, written independently
// of Forms: raw, URL-encoded (query and path), JSON-escaped (json.Marshal,
// with and without HTML escaping) and JSON-escaped with "/" as "\/".
func encodings(token string) []string {
	inner := func(escapeHTML bool) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(escapeHTML)
		if err := enc.Encode(token); err != nil {
			panic(err)
		}
		s := strings.TrimSuffix(b.String(), "\n")
		return s[1 : len(s)-1] // without the quotes
	}
	marshalled, _ := json.Marshal(token)
	forms := []string{token, url.QueryEscape(token), url.PathEscape(token),
		string(marshalled[1 : len(marshalled)-1]), inner(false)}
	for _, f := range forms[3:] {
		forms = append(forms, strings.ReplaceAll(f, "/", `\/`))
	}
	return append(forms, strings.ReplaceAll(token, "/", `\/`))
}

// FuzzRedact: for any token of MinTokenLength bytes or more, any other
// token registered beside it, and any text around its occurrences in any
// of its encodings, the redacted text contains none of its encodings.
func FuzzRedact(f *testing.F) {
	f.Add("tok_abc/DEF+ghi=", "other-token-1", "Bearer ", " and ", "", uint8(0), uint8(1))
	f.Add("tok_abc/DEF+ghi=", "tok_abc/DEF+ghi=-long", `{"error":"`, `","t":"`, `"}`, uint8(3), uint8(4))
	f.Add("x$TOKENx", "yyyyyyyy", "x", "x x", "x", uint8(0), uint8(0))        // the placeholder rebuilds the token
	f.Add("a<b>&c\"d\\e", "12345678", `{"m":"`, "", `"}`, uint8(3), uint8(4)) // JSON escapes
	f.Add("jwt.with/slash\x01", "é-token-ü", "", "", "", uint8(5), uint8(6))
	f.Add("aaaaaaaa", "aaaaaaaaa", "a", "a", "a", uint8(0), uint8(0)) // overlapping occurrences
	f.Add("%2F%2F%2F%2F", "////////", "", "", "", uint8(0), uint8(2))
	f.Add("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", "short", "", "", "", uint8(3), uint8(1))
	f.Fuzz(func(t *testing.T, token, other, before, between, after string, form1, form2 uint8) {
		if len(token) < MinTokenLength {
			return
		}
		r := &Redactor{}
		r.Add(token)
		r.Add(other)
		forms := encodings(token)
		text := before + forms[int(form1)%len(forms)] + between + forms[int(form2)%len(forms)] + after
		got := r.Redact(text)
		for _, tok := range []string{token, other} {
			if len(tok) < MinTokenLength {
				continue
			}
			for _, e := range encodings(tok) {
				if strings.Contains(got, e) {
					t.Fatalf("Redact(%q) = %q: still holds %q (token %q)", text, got, e, tok)
				}
			}
		}
		if !strings.Contains(got, Placeholder) {
			t.Fatalf("Redact(%q) = %q: no placeholder", text, got)
		}
	})
}
