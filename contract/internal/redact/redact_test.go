package redact

import "testing"

func TestRedact(t *testing.T) {
	r := &Redactor{}
	r.Add("tok_abc/DEF+ghi=")      // has URL-special characters
	r.Add("tok_abc/DEF+ghi=-long") // contains the first one
	r.Add("short")                 // below MinTokenLength: ignored
	tests := []struct{ name, in, want string }{
		{"raw", "Bearer tok_abc/DEF+ghi=", "Bearer $TOKEN"},
		{"twice", "a tok_abc/DEF+ghi= b tok_abc/DEF+ghi=", "a $TOKEN b $TOKEN"},
		{"query-escaped", "?access_token=tok_abc%2FDEF%2Bghi%3D", "?access_token=$TOKEN"},
		{"path-escaped", "/x/tok_abc%2FDEF+ghi=", "/x/$TOKEN"},
		{"longer token replaced whole", "tok_abc/DEF+ghi=-long", "$TOKEN"},
		{"inside JSON", `{"error":"bad tok_abc/DEF+ghi="}`, `{"error":"bad $TOKEN"}`},
		{"JSON-escaped slash", `{"error":"bad tok_abc\/DEF+ghi="}`, `{"error":"bad $TOKEN"}`},
		{"short tokens are not redacted", "short", "short"},
		{"nothing to redact", "Bearer other", "Bearer other"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSecretsHaveTheirPlaceholders(t *testing.T) {
	r := &Redactor{}
	r.Add("tok_0123456789")
	r.AddSecret("key-abcdefghij", HeaderPlaceholder("X-Api-Key"))
	r.AddSecret("short", HeaderPlaceholder("X-Tenant"))
	got := r.Redact("Bearer tok_0123456789 with key-abcdefghij and short")
	if want := "Bearer $TOKEN with $HEADER_X_API_KEY and short"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if p := HeaderPlaceholder("x-weird.name_1"); p != "$HEADER_X_WEIRD_NAME_1" {
		t.Errorf("placeholder %q", p)
	}
}

// TestRedactFoundByFuzzing: what FuzzRedact found. A token with characters
// JSON escapes (<, >, &, ", \, control characters, invalid UTF-8) showed
// up in a JSON answer as encoding/json writes it, and was kept; and a
// token around which the placeholder rebuilt the token itself survived a
// single pass.
func TestRedactFoundByFuzzing(t *testing.T) {
	tests := []struct{ token, in, want string }{
		{`a<b>&c"d\e`, `{"m":"a\u003cb\u003e\u0026c\"d\\e"}`, `{"m":"$TOKEN"}`},
		{`a<b>&c"d\e`, `{"m":"a<b>&c\"d\\e"}`, `{"m":"$TOKEN"}`},
		{"jwt.with/slash\x01", `"jwt.with\/slash\u0001"`, `"$TOKEN"`},
		{"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", `\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd`, "$TOKEN"},
		{"x$TOKENx", "xx$TOKENxx", "$TOKEN"},
		{"x$TOKENx", "xxx$TOKENxxx", "$TOKEN"},
	}
	for _, tt := range tests {
		r := &Redactor{}
		r.Add(tt.token)
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("token %q: Redact(%q) = %q, want %q", tt.token, tt.in, got, tt.want)
		}
	}
}
