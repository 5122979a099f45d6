package contract

import (
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string // substrings of the error; nil: no error
		check   func(t *testing.T, c Config)
	}{
		{"defaults", nil, nil, func(t *testing.T, c Config) {
			if c.BaseURL != nil || c.Timeout != DefaultTimeout || c.Strict || c.SpecPath != "" || c.JUnitPath != "" {
				t.Errorf("unexpected defaults: %+v", c)
			}
		}},
		{"all set", map[string]string{
			"CONTRACT_BASE_URL": "https://api.example.com/v1/", "CONTRACT_TIMEOUT": "1500ms", "CONTRACT_STRICT": "1",
			"CONTRACT_SPEC": "x.yaml", "CONTRACT_JUNIT": "out.xml", "CONTRACT_TOKEN_CMD": "mint", "CONTRACT_TOKEN": "abcdefghijk",
		}, nil, func(t *testing.T, c Config) {
			if c.BaseURL.String() != "https://api.example.com/v1" || c.Timeout != 1500*time.Millisecond || !c.Strict ||
				c.SpecPath != "x.yaml" || c.JUnitPath != "out.xml" || c.TokenCmd != "mint" || c.StaticToken != "abcdefghijk" {
				t.Errorf("unexpected config: %+v", c)
			}
			if strings.Contains(c.String(), "abcdefghijk") {
				t.Errorf("Config.String shows the token: %s", c)
			}
		}},
		{"strict 0", map[string]string{"CONTRACT_STRICT": "0"}, nil, func(t *testing.T, c Config) {
			if c.Strict {
				t.Error("CONTRACT_STRICT=0 is strict")
			}
		}},
		{"bad timeout", map[string]string{"CONTRACT_TIMEOUT": "10"}, []string{`CONTRACT_TIMEOUT="10" is not a Go duration`}, nil},
		{"negative timeout", map[string]string{"CONTRACT_TIMEOUT": "-1s"}, []string{"must be positive"}, nil},
		{"bad scheme", map[string]string{"CONTRACT_BASE_URL": "localhost:4010"}, []string{"CONTRACT_BASE_URL", "http://"}, nil},
		{"no host", map[string]string{"CONTRACT_BASE_URL": "http://"}, []string{"has no host"}, nil},
		{"query", map[string]string{"CONTRACT_BASE_URL": "http://h/?a=1"}, []string{"query"}, nil},
		{"user info", map[string]string{"CONTRACT_BASE_URL": "http://u:p@h/"}, []string{"user:password"}, nil},
		// "hunter2" stands for a secret: no error may show it.
		{"user info, password not shown", map[string]string{"CONTRACT_BASE_URL": "https://ci:hunter2@staging.example/api"},
			[]string{`CONTRACT_BASE_URL="https://***@staging.example/api"`, "user:password"}, nil},
		{"query, value not shown", map[string]string{"CONTRACT_BASE_URL": "https://staging.example/?api_key=hunter2"},
			[]string{`CONTRACT_BASE_URL="https://staging.example/?…"`, "query"}, nil},
		{"unparsable, password not shown", map[string]string{"CONTRACT_BASE_URL": "http://ci:hunter2@[::1"}, []string{"not a URL"}, nil},
		{"bad strict", map[string]string{"CONTRACT_STRICT": "yes please"}, []string{"CONTRACT_STRICT"}, nil},
		{"short static token, not shown", map[string]string{"CONTRACT_TOKEN": "s3cr3t"}, []string{"shorter than"}, nil},
		{"static token with Bearer prefix", map[string]string{"CONTRACT_TOKEN": "Bearer s3cr3t-long-one"}, []string{"without the \"Bearer \" prefix"}, nil},
		{"token URL", map[string]string{"CONTRACT_TOKEN_URL": "http://127.0.0.1:8080/test/login?key=hunter2"}, nil, func(t *testing.T, c Config) {
			if c.TokenURL == nil || c.TokenURL.Path != "/test/login" || !strings.Contains(c.String(), "CONTRACT_TOKEN_URL http://127.0.0.1:8080/test/login?…") || strings.Contains(c.String(), "hunter2") {
				t.Errorf("unexpected config: %+v, %s", c, c)
			}
		}},
		{"token URL and command", map[string]string{"CONTRACT_TOKEN_URL": "http://h/login", "CONTRACT_TOKEN_CMD": "mint"}, []string{"choose one way"}, nil},
		{"token URL not http", map[string]string{"CONTRACT_TOKEN_URL": "login.example/x"}, []string{"CONTRACT_TOKEN_URL", "http://"}, nil},
		{"token URL with a password, not shown", map[string]string{"CONTRACT_TOKEN_URL": "https://ci:hunter2@h/login"}, []string{"CONTRACT_TOKEN_URL", "user:password"}, nil},
		{"every problem at once", map[string]string{"CONTRACT_TIMEOUT": "x", "CONTRACT_STRICT": "x", "CONTRACT_BASE_URL": "x"},
			[]string{"CONTRACT_TIMEOUT", "CONTRACT_STRICT", "CONTRACT_BASE_URL"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				tt.check(t, c)
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if tok := tt.env["CONTRACT_TOKEN"]; tok != "" && strings.Contains(err.Error(), tok) {
				t.Errorf("error shows CONTRACT_TOKEN: %v", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error shows a secret of CONTRACT_BASE_URL: %v", err)
			}
		})
	}
}
