package mockserver_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/flashback/revoke-contract/fixtures"
	"github.com/flashback/revoke-contract/mockserver"
	"github.com/flashback/revoke-contract/spec"
)

const revokeAll = mockserver.RevokeAllPath

// specValidator is libopenapi-validator over the embedded spec: every answer
// the tests see from a spec path goes through it, so the mock can never
// teach a frontend something the contract does not allow.
var specValidator = sync.OnceValue(func() *spec.Validator {
	sp, err := spec.Embedded()
	if err != nil {
		panic(err)
	}
	v, err := sp.Validator()
	if err != nil {
		panic(err)
	}
	return v
})

type mock struct {
	t   *testing.T
	srv *mockserver.Server
	ts  *httptest.Server
}

func newMock(t *testing.T, opts mockserver.Options) *mock {
	t.Helper()
	srv, err := mockserver.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &mock{t: t, srv: srv, ts: ts}
}

func seeded() []mockserver.SeedSession {
	var out []mockserver.SeedSession
	for _, s := range fixtures.Sessions() {
		out = append(out, mockserver.SeedSession{User: s.User, Token: s.Token})
	}
	return out
}

type result struct {
	status int
	header http.Header
	body   []byte
	close  bool // the answer closes its connection (Connection: close)
}

func (r result) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return v
}

// do sends a request and, for spec paths, validates the answer against the
// spec with libopenapi-validator.
func (m *mock) do(method, path string, header http.Header, body string) result {
	m.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, m.ts.URL+path, rd)
	if err != nil {
		m.t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := m.ts.Client().Do(req)
	if err != nil {
		m.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		m.t.Fatal(err)
	}
	res := result{status: resp.StatusCode, header: resp.Header, body: data, close: resp.Close}
	if path == revokeAll && method == http.MethodPost && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		checkAgainstSpec(m.t, req, res)
	}
	return res
}

func checkAgainstSpec(t *testing.T, req *http.Request, res result) {
	t.Helper()
	resp := &http.Response{StatusCode: res.status, Header: res.header, Body: io.NopCloser(bytes.NewReader(res.body)), Request: req}
	for _, f := range specValidator().Response(req, resp) {
		t.Errorf("answer %d breaks the spec: %s", res.status, f)
	}
}

func (m *mock) revoke(token string, extra ...string) result {
	m.t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h.Add(extra[i], extra[i+1])
	}
	return m.do(http.MethodPost, revokeAll, h, "")
}

func (m *mock) mint(user string) string {
	m.t.Helper()
	res := m.do(http.MethodPost, "/__mock/sessions", http.Header{"Content-Type": {"application/json"}}, `{"user":"`+user+`"}`)
	if res.status != http.StatusCreated {
		m.t.Fatalf("mint %s: %d %s", user, res.status, res.body)
	}
	tok, _ := res.json(m.t)["token"].(string)
	if tok == "" {
		m.t.Fatalf("mint %s: no token in %s", user, res.body)
	}
	return tok
}

func mustBody(t *testing.T, status, example string) []byte {
	t.Helper()
	b, ok := fixtures.Body(status, example)
	if !ok {
		t.Fatalf("no fixture %s-%s", status, example)
	}
	return b
}
