package contract

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
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
		{"JSON-escaped", nil, `{"error":"bad secret\/token-123"}`, []string{"secret/token-123"}, "body"},
		{"URL-encoded", map[string][]string{"Location": {"/login?t=secret%2Ftoken-123"}}, "", []string{"secret/token-123"}, "header Location"},
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

func TestTokensFresh(t *testing.T) {
	red := &Redactor{}
	next := []string{"token-one-123", "token-two-456", "token-one-123", "", "x"}
	calls := 0
	mint := func(_ context.Context, user string) (string, error) {
		tok := next[calls]
		calls++
		return tok, nil
	}
	tk := NewTokens(mint, "", red)
	for i, want := range []string{"token-one-123", "token-two-456", "ERR gave a token of primary it had given before", "ERR printed nothing", "ERR shorter than"} {
		got, err := tk.Fresh(context.Background(), Primary)
		switch {
		case strings.HasPrefix(want, "ERR "):
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(want, "ERR ")) {
				t.Errorf("call %d: err %v, want %q", i, err, want)
			}
		case err != nil || got != want:
			t.Errorf("call %d: %q, %v; want %q", i, got, err, want)
		}
		if i == 2 && !red.Known("token-two-456") {
			t.Error("a handed-out token is not registered with the redactor")
		}
	}
	// Only the two distinct tokens handed out are sessions the run created.
	if n := tk.Minted(); n != 2 {
		t.Errorf("Minted() = %d, want 2", n)
	}
	// After breakerLimit failures in a row the source is not asked again.
	if _, err := tk.Fresh(context.Background(), Primary); err == nil || !strings.Contains(err.Error(), "not tried again") || calls != 5 {
		t.Errorf("breaker: err %v, calls %d", err, calls)
	}
}

func TestTokensStatic(t *testing.T) {
	tk := NewTokens(nil, "static-token-123", &Redactor{})
	var u *Unavailable
	if _, err := tk.Fresh(context.Background(), Primary); !errors.As(err, &u) || !strings.Contains(u.Reason, "needs CONTRACT_TOKEN_CMD") {
		t.Errorf("Fresh without a command: %v", err)
	}
	if tok, err := tk.SpendStatic(context.Background()); tok != "static-token-123" || err != nil {
		t.Errorf("first SpendStatic: %q, %v", tok, err)
	}
	if _, err := tk.SpendStatic(context.Background()); !errors.As(err, &u) {
		t.Errorf("second SpendStatic: %v (the static token may be spent once)", err)
	}
}

func TestCommandMinter(t *testing.T) {
	red := &Redactor{}
	red.Add("known-secret-token")
	tests := []struct {
		name, cmd string
		want      string // token, or "ERR substring"
	}{
		{"user and base URL in the environment", `echo "tok-$CONTRACT_USER-$(basename $CONTRACT_BASE_URL)"`, "tok-secondary-base"},
		{"trimmed", `printf '  tok-1234567890 \n\n'`, "tok-1234567890"},
		{"fails with stderr, redacted", `echo "refused known-secret-token" >&2; exit 2`, "ERR stderr: refused $TOKEN"},
		{"prints nothing", `true`, "ERR printed nothing"},
		{"too slow, children killed too", `sleep 30 & sleep 30; echo late-token-123`, "ERR did not finish within 300ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			tok, err := CommandMinter(tt.cmd, "", "http://h/base", 300*time.Millisecond, red)(context.Background(), Secondary)
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %s", d)
			}
			if w, ok := strings.CutPrefix(tt.want, "ERR "); ok {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err %v, want %q", err, w)
				}
				if err != nil && strings.Contains(err.Error(), "known-secret-token") {
					t.Errorf("error shows a token: %v", err)
				}
				return
			}
			if err != nil || tok != tt.want {
				t.Errorf("got %q, %v; want %q", tok, err, tt.want)
			}
		})
	}
}
