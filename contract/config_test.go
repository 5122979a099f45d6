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
		{"model defaults", nil, nil, func(t *testing.T, c Config) {
			if c.Seed != DefaultSeed || c.SeedRandom || c.Steps != 0 || c.DurabilityWait != DefaultDurabilityWait || c.Probe != "" {
				t.Errorf("unexpected model defaults: %+v", c)
			}
		}},
		{"model set", map[string]string{"CONTRACT_SEED": "42", "CONTRACT_STEPS": "5000", "CONTRACT_DURABILITY_WAIT": "2m", "CONTRACT_PROBE": "GET /v1/me"}, nil, func(t *testing.T, c Config) {
			if c.Seed != 42 || c.Steps != 5000 || c.DurabilityWait != 2*time.Minute || c.Probe != "GET /v1/me" {
				t.Errorf("unexpected model config: %+v", c)
			}
		}},
		{"random seed", map[string]string{"CONTRACT_SEED": "random"}, nil, func(t *testing.T, c Config) {
			if !c.SeedRandom {
				t.Errorf("CONTRACT_SEED=random drew no seed: %+v", c)
			}
		}},
		{"bad model settings", map[string]string{"CONTRACT_SEED": "-3", "CONTRACT_STEPS": "0", "CONTRACT_DURABILITY_WAIT": "soon", "CONTRACT_PROBE": "POST /v1/me"},
			[]string{"CONTRACT_SEED", "or random", "CONTRACT_STEPS", "CONTRACT_DURABILITY_WAIT", "CONTRACT_PROBE", "read-only"}, nil},
		{"strict 0", map[string]string{"CONTRACT_STRICT": "0"}, nil, func(t *testing.T, c Config) {
			if c.Strict {
				t.Error("CONTRACT_STRICT=0 is strict")
			}
		}},
		{"bad timeout", map[string]string{"CONTRACT_TIMEOUT": "10"}, []string{`CONTRACT_TIMEOUT="10": not a Go duration`}, nil},
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
		{"CI settings", map[string]string{"CONTRACT_WAIT_FOR": "30s", "CONTRACT_SESSIONS_PER_USER": "12", "CONTRACT_JSON": "r.json", "CONTRACT_HTML": "r.html",
			"CONTRACT_HEADERS": "X-Api-Key: hunter2\n\nX-Tenant:  acme ", "CONTRACT_LABEL_FILTER": "auth && must", "CONTRACT_FOCUS": "AUTH-00[12]"}, nil, func(t *testing.T, c Config) {
			if c.WaitFor != 30*time.Second || c.SessionsPerUser != 12 || c.JSONPath != "r.json" || c.HTMLPath != "r.html" || c.LabelFilter != "auth && must" || c.Focus != "AUTH-00[12]" {
				t.Errorf("unexpected config: %+v", c)
			}
			if len(c.Headers) != 2 || c.Headers[0] != [2]string{"X-Api-Key", "hunter2"} || c.Headers[1] != [2]string{"X-Tenant", "acme"} {
				t.Errorf("headers %q", c.Headers)
			}
			if s := c.String(); strings.Contains(s, "hunter2") || !strings.Contains(s, "X-Api-Key, X-Tenant") {
				t.Errorf("Config.String: %s", s)
			}
		}},
		{"defaults of the CI settings", nil, nil, func(t *testing.T, c Config) {
			if c.WaitFor != 0 || c.SessionsPerUser != DefaultSessionsPerUser || len(c.Headers) != 0 {
				t.Errorf("unexpected defaults: %+v", c)
			}
		}},
		{"a header the suite sets itself", map[string]string{"CONTRACT_HEADERS": "Authorization: Bearer hunter2"}, []string{"CONTRACT_HEADERS", "Authorization is the suite's own"}, nil},
		{"a header without a colon, value not shown", map[string]string{"CONTRACT_HEADERS": "X-Api-Key hunter2"}, []string{"CONTRACT_HEADERS", "Name: value"}, nil},
		{"a header name with a space", map[string]string{"CONTRACT_HEADERS": "X Api: hunter2"}, []string{"not an RFC 9110 token"}, nil},
		{"sessions per user", map[string]string{"CONTRACT_SESSIONS_PER_USER": "0"}, []string{"CONTRACT_SESSIONS_PER_USER", "from 1 to 1000"}, nil},
		{"negative wait", map[string]string{"CONTRACT_WAIT_FOR": "-1s"}, []string{"CONTRACT_WAIT_FOR", "must be positive"}, nil},
		{"client cert without key", map[string]string{"CONTRACT_CLIENT_CERT": "config_test.go"}, []string{"CONTRACT_CLIENT_CERT and CONTRACT_CLIENT_KEY go together"}, nil},
		{"missing CA file", map[string]string{"CONTRACT_CA_CERT": "/no/such/ca.pem"}, []string{"CONTRACT_CA_CERT", "no such file"}, nil},
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

// TestParseConfigNamesFlags: a setting given as a flag is named as the flag
// in every message.
func TestParseConfigNamesFlags(t *testing.T) {
	_, err := ParseConfig(func(key string) Setting {
		flag := "--" + strings.ToLower(strings.ReplaceAll(key, "_", "-"))
		switch key {
		case "TIMEOUT":
			return Setting{"soon", flag}
		case "BASE_URL":
			return Setting{"ftp://x", flag}
		}
		return Setting{Name: flag}
	})
	for _, want := range []string{`--timeout="soon"`, `--base-url="ftp://x"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}
