package contract

import (
	"strings"
	"testing"
)

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
	if !r.Known("x tok_abc/DEF+ghi= y") || r.Known("nothing here") {
		t.Error("Known does not match Redact")
	}
}

func TestEchoes(t *testing.T) {
	tok := "secret-token-123"
	tests := []struct {
		name   string
		header map[string][]string
		body   string
		creds  []string
		want   string
	}{
		{"none", map[string][]string{"Content-Type": {"application/json"}}, `{"success":false}`, []string{tok}, ""},
		{"body", nil, `{"error":"bad secret-token-123"}`, []string{tok}, "body"},
		{"header", map[string][]string{"X-Debug": {"Bearer secret-token-123"}}, "", []string{tok}, "header X-Debug"},
		{"both", map[string][]string{"X-Debug": {tok}}, tok, []string{tok}, "header X-Debug,body"},
		{"short credentials are not looked for", nil, "a b", []string{"a b"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(echoes(tt.creds, tt.header, []byte(tt.body)), ",")
			if got != tt.want {
				t.Errorf("echoes = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckToken(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"abcdefgh12345\n", "abcdefgh12345", true},
		{"  abcdefgh12345  ", "abcdefgh12345", true},
		{"", "", false},
		{"\n", "", false},
		{"two words-long-enough", "", false},
		{"line1-long-enough\nline2-long", "", false},
		{"x1y2z", "", false},
	}
	for _, tt := range tests {
		got, err := checkToken(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("checkToken(%q) = %q, %v; want %q, ok=%t", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) && strings.TrimSpace(tt.in) != "" {
			t.Errorf("checkToken(%q) error quotes the token: %v", tt.in, err)
		}
	}
}
