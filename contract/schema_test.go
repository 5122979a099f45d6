package contract

import (
	"net/http"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/spec"
)

func TestSchemaChecker(t *testing.T) {
	s, err := spec.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := NewSchemaChecker(s)
	if err != nil {
		t.Fatal(err)
	}
	const challenge = `Bearer realm="flashback", error="invalid_token"`
	tests := []struct {
		name    string
		status  int
		ct, www string
		body    string
		problem string // "" means valid
	}{
		{"200 with charset and an extra property", 200, "application/json; charset=utf-8", "", `{"success":true,"message":"ok","extra":1}`, ""},
		{"200 with every field missing (all optional)", 200, "application/json", "", `{}`, ""},
		{"200 with a wrong type", 200, "application/json", "", `{"success":"yes"}`, "want boolean"},
		{"200 as text/plain", 200, "text/plain", "", `{}`, "content type 'text/plain'"},
		{"200 without Content-Type", 200, "", "", `{}`, "content type ''"},
		{"200 with an empty body", 200, "application/json", "", ``, "the body is empty"},
		{"200 with invalid JSON", 200, "application/json", "", `{"success":`, "cannot be decoded"},
		{"401 with a Bearer challenge", 401, "application/json", challenge, `{"success":false,"error":"x"}`, ""},
		{"401 without WWW-Authenticate is left to AUTH-010 (SHOULD)", 401, "application/json", "", `{"success":false}`, ""},
		{"401 with a Basic challenge", 401, "application/json", `Basic realm="x"`, `{"success":false}`, "does not match pattern"},
		{"500 documented", 500, "application/json", "", `{"success":false,"error":"Failed to revoke all sessions"}`, ""},
		{"500 as an array", 500, "application/json", "", `[1]`, "want object"},
		{"400 is undocumented", 400, "application/json", "", `{"success":false}`, "'400' does not exist"},
		{"302 is undocumented", 302, "application/json", "", `{}`, "'302' does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.ct != "" {
				h.Set("Content-Type", tt.ct)
			}
			if tt.www != "" {
				h.Set("WWW-Authenticate", tt.www)
			}
			got := strings.Join(sc.Check(&Exchange{Status: tt.status, RespHeader: h, RespBody: []byte(tt.body)}), "\n")
			switch {
			case tt.problem == "" && got != "":
				t.Errorf("unexpected problems:\n%s", got)
			case tt.problem != "" && !strings.Contains(got, tt.problem):
				t.Errorf("problems %q do not mention %q", got, tt.problem)
			}
		})
	}
}

func TestSchemaCheckerNeedsTheOperation(t *testing.T) {
	doc := `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /other:
    post:
      responses:
        "200": {description: ok}
`
	s, err := spec.Load("other.yaml", []byte(doc))
	if err != nil {
		t.Skipf("the loader refuses the minimal document: %v", err)
	}
	if _, err := NewSchemaChecker(s); err == nil || !strings.Contains(err.Error(), "does not define POST /sessions/revoke-all") {
		t.Errorf("err = %v", err)
	}
}
