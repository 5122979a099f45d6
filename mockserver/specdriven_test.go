package mockserver_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/mockserver"
	"github.com/flashback/revoke-contract/spec"
)

// widgets is a spec the mock has no code for: its operations must be
// mocked, validated and authenticated from the document alone, although its
// server is another host.
const widgets = `openapi: 3.0.3
info: {title: widgets, version: "1"}
servers: [{url: "https://api.example.com"}]
paths:
  /widgets/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
        - {name: verbose, in: query, schema: {type: boolean}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {id: {type: integer}, name: {type: string}}}
        "404": {description: not found}
  /widgets:
    post:
      security: [{key: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [name], properties: {name: {type: string, minLength: 2}}}
      responses:
        "201":
          description: created
          content:
            application/json:
              example: {id: 1, name: w}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
`

func TestAnyOperationOfTheSpecIsMocked(t *testing.T) {
	sp, err := spec.Load("widgets.yaml", []byte(widgets))
	if err != nil {
		t.Fatal(err)
	}
	m := newMock(t, mockserver.Options{Spec: sp})

	res := m.do(http.MethodGet, "/widgets/7?verbose=true", nil, "")
	if res.status != 200 || string(res.body) != `{"id":0,"name":"x"}` {
		t.Errorf("GET /widgets/7: %d %s, want 200 with a body generated from the schema", res.status, res.body)
	}
	if res := m.do(http.MethodGet, "/widgets/7", http.Header{"Prefer": {"code=404"}}, ""); res.status != 404 || len(res.body) != 0 {
		t.Errorf("Prefer code=404: %d %q", res.status, res.body)
	}

	res = m.do(http.MethodGet, "/widgets/abc", nil, "")
	var p mockserver.Problem
	if err := json.Unmarshal(res.body, &p); err != nil || res.status != 400 || len(p.Errors) != 1 {
		t.Fatalf("GET /widgets/abc: %d %s, want 400 with one field error", res.status, res.body)
	}
	if fe := p.Errors[0]; !strings.Contains(fe.Field, "path parameter id") || !strings.Contains(fe.Expected, "integer") || fe.Received == "" {
		t.Errorf("field error %+v must name the field, what was expected and what came", fe)
	}

	if res := m.do(http.MethodPost, "/widgets", http.Header{"Content-Type": {"application/json"}}, `{"name":"ok"}`); res.status != 401 {
		t.Errorf("apiKey missing: %d, want 401", res.status)
	}
	key := http.Header{"Content-Type": {"application/json"}, "X-Key": {"k"}}
	res = m.do(http.MethodPost, "/widgets", key, `{"name":"a"}`)
	if err := json.Unmarshal(res.body, &p); err != nil || res.status != 400 || len(p.Errors) == 0 || p.Errors[0].Field != "body /name" || p.Errors[0].Expected != "minLength 2" || p.Errors[0].Received != `"a"` {
		t.Errorf("too short a name: %d %s, want 400 naming /name", res.status, res.body)
	}
	if res := m.do(http.MethodPost, "/widgets", key, `{"name":"good"}`); res.status != 201 || string(res.body) != `{"id":1,"name":"w"}` {
		t.Errorf("valid POST: %d %s", res.status, res.body)
	}
	if res := m.do(http.MethodDelete, "/widgets", nil, ""); res.status != 405 || res.header.Get("Allow") != "POST" {
		t.Errorf("DELETE /widgets: %d Allow=%q", res.status, res.header.Get("Allow"))
	}
}

// TestSpecPathsUnderTheControlPrefixAreRefused: /__mock/ belongs to the
// control API, which answers first; a spec operation there would silently
// never be mocked, so the spec is refused at start-up instead.
func TestSpecPathsUnderTheControlPrefixAreRefused(t *testing.T) {
	doc := "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /__mock/health:\n    get:\n      responses:\n        '200': {description: ok}\n"
	sp, err := spec.Load("control.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	_, err = mockserver.New(mockserver.Options{Spec: sp})
	if err == nil || !strings.Contains(err.Error(), "/__mock/health") || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("New: %v, want an error naming the path and the reserved prefix", err)
	}
}
