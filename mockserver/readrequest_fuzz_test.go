package mockserver_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/mockserver"
	"github.com/flashback/revoke-contract/spec"
)

// problemStatus is the mock's problem catalogue (README, "Errors of the
// mock's own"): each type and the statuses it is answered with.
var problemStatus = map[string][]int{
	"urn:revoke-mock:problem:not-found":               {404},
	"urn:revoke-mock:problem:method-not-allowed":      {405},
	"urn:revoke-mock:problem:invalid-request":         {400},
	"urn:revoke-mock:problem:unknown-preference":      {400},
	"urn:revoke-mock:problem:body-too-large":          {413},
	"urn:revoke-mock:problem:origin-not-allowed":      {403},
	"urn:revoke-mock:problem:invalid-control-request": {400},
	"urn:revoke-mock:problem:internal-error":          {500},
	"urn:revoke-mock:problem:store-unavailable":       {503},
}

// documented lists, for each operation of the embedded spec ("POST
// /sessions/revoke-all"), each documented status and its example bodies.
func documented(f *testing.F) map[string]map[int][]any {
	sp, err := spec.Embedded()
	if err != nil {
		f.Fatal(err)
	}
	out := map[string]map[int][]any{}
	for path, item := range sp.Kin.Paths.Map() {
		for method, op := range item.Operations() {
			codes := map[int][]any{}
			for code, ref := range op.Responses.Map() {
				var status int
				if err := json.Unmarshal([]byte(code), &status); err != nil {
					f.Fatalf("%s %s: response %q", method, path, code)
				}
				for _, mt := range ref.Value.Content {
					for _, ex := range mt.Examples {
						codes[status] = append(codes[status], normalise(ex.Value.Value))
					}
				}
			}
			out[strings.ToUpper(method)+" "+path] = codes
		}
	}
	return out
}

// normalise turns a value into what encoding/json would decode it to.
func normalise(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// rot swaps every letter and digit of s for another of its kind, so that
// the result is a credential of the same shape (an RFC 6750 b64token stays
// one) that shares no letter or digit position with s.
func rot(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = 'a' + (c-'a'+13)%26
		case 'A' <= c && c <= 'Z':
			b[i] = 'A' + (c-'A'+13)%26
		case '0' <= c && c <= '9':
			b[i] = '0' + (c-'0'+5)%10
		}
	}
	return string(b)
}

var authorizationLine = regexp.MustCompile(`(?im)^authorization:[^\n]*$`)

// FuzzReadRequest feeds the whole mock arbitrary request bytes, parsed as
// net/http's server parses them (http.ReadRequest), in lazy mode with every
// origin allowed or in issued mode with one origin allowed. Properties:
//   - the answer's status is one the spec documents for the operation, with
//     one of that status's examples as body, or one of the mock's own: a
//     problem of its catalogue (application/problem+json, its type, its
//     status), a 204 to OPTIONS or a preflight, or a control API answer;
//   - never 5xx unless a 500 was asked for with Prefer, and then the
//     spec's 500 (a panic would be the internal-error problem);
//   - a 401 carries a Bearer challenge;
//   - the answer (headers and body) never contains the credential sent,
//     unless it comes from elsewhere in the request or the same request with
//     another credential of the same shape gets it too (it is then text of
//     the answer's own, such as "successfully").
//
// Each input starts from fresh sessions (POST /__mock/reset).
func FuzzReadRequest(f *testing.F) {
	seeds := []string{
		"POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer my-dev-token\r\n\r\n",
		"POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer other-token\r\nPrefer: code=500\r\n\r\n",
		"POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\nAuthorization: Basic dXNlcjpwYXNz\r\n\r\n",
		"POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer successfully\r\n\r\n",
		"POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a b\r\nPrefer: example=invalid_token\r\n\r\n",
		"POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-123456789\r\nPrefer: code=404\r\n\r\n",
		"POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-123456789\r\nPrefer: example=tok-123456789\r\n\r\n",
		"POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer eyJhbGciOiJub25lIn0.eyJ1c2VySWQiOiJhbGljZSJ9.c2ln\r\nContent-Length: 5\r\n\r\nhello",
		"POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-123456789\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-123456789\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-123456789\r\nContent-Length: 2000000\r\n\r\n",
		"GET /sessions/revoke-all HTTP/1.1\r\nHost: x\r\n\r\n",
		"OPTIONS /sessions/revoke-all HTTP/1.1\r\nHost: x\r\n\r\n",
		"OPTIONS /sessions/revoke-all HTTP/1.1\r\nHost: x\r\nOrigin: http://evil.test\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, prefer\r\n\r\n",
		"OPTIONS /nowhere HTTP/1.1\r\nHost: x\r\nOrigin: http://allowed.test\r\nAccess-Control-Request-Method: DELETE\r\n\r\n",
		"POST /sessions/revoke-all?access_token=tok-123456789 HTTP/1.1\r\nHost: x\r\nOrigin: http://allowed.test\r\n\r\n",
		"GET /__mock/health HTTP/1.1\r\nHost: x\r\n\r\n",
		"HEAD /__mock/health HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /__mock/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n{\"user\":\"alice\"}",
		"POST /__mock/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n{",
		"DELETE /__mock/sessions HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /__mock/reset HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /__mock/../__mock/health HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /__mock//health HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /__mock/nothing HTTP/1.1\r\nHost: x\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST http://other.host/sessions/revoke-all HTTP/1.1\r\nHost: x\r\nAuthorization: bearer   tok-123456789==\r\n\r\n",
		"POST /sessions/revoke-all/ HTTP/1.0\r\n\r\n",
		"POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-123456789\r\nAuthorization: Bearer second-token-1\r\n\r\n",
		"BREW /sessions/revoke-all HTTP/1.1\r\nHost: x\r\n\r\n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), i%2 == 1)
	}
	docs := documented(f)
	lazy, err := mockserver.New(mockserver.Options{Sessions: mockserver.SessionsLazy})
	if err != nil {
		f.Fatal(err)
	}
	issued, err := mockserver.New(mockserver.Options{Sessions: mockserver.SessionsIssued, Seed: seeded(), CORSOrigins: []string{"http://allowed.test"}})
	if err != nil {
		f.Fatal(err)
	}
	serve := func(srv *mockserver.Server, raw []byte) *httptest.ResponseRecorder {
		reset := httptest.NewRequest(http.MethodPost, "/__mock/reset", nil)
		srv.ServeHTTP(httptest.NewRecorder(), reset)
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return nil
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	f.Fuzz(func(t *testing.T, raw []byte, strict bool) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return // net/http's server answers 400 itself; the mock never sees it
		}
		srv := lazy
		if strict {
			srv = issued
		}
		rec := serve(srv, raw)
		status, body, ctype := rec.Code, rec.Body.Bytes(), rec.Header().Get("Content-Type")
		what := req.Method + " " + req.URL.Path

		// The status and the body.
		var problem struct {
			Type   string `json:"type"`
			Status int    `json:"status"`
		}
		isProblem := ctype == "application/problem+json"
		if isProblem {
			if err := json.Unmarshal(body, &problem); err != nil {
				t.Fatalf("%s: %d problem that is not JSON: %s", what, status, body)
			}
			statuses, ok := problemStatus[problem.Type]
			if !ok || problem.Status != status || !containsInt(statuses, status) {
				t.Fatalf("%s: %d with problem %s (status %d), not in the catalogue", what, status, problem.Type, problem.Status)
			}
		}
		op, isOp := docs[req.Method+" "+req.URL.Path]
		control := strings.HasPrefix(req.URL.Path, "/__mock/")
		switch {
		case isProblem:
		case status == http.StatusNoContent:
			if len(body) != 0 || (req.Method != http.MethodOptions && !control) {
				t.Fatalf("%s: 204 with %d bytes", what, len(body))
			}
		case isOp:
			examples, ok := op[status]
			if !ok {
				t.Fatalf("%s: %d, which the spec does not document for it", what, status)
			}
			var got any
			if err := json.Unmarshal(body, &got); err != nil || !containsValue(examples, got) {
				t.Fatalf("%s: %d with a body that is none of its examples: %s", what, status, body)
			}
		case control && (status == http.StatusOK || status == http.StatusCreated) && ctype == "application/json":
		default:
			t.Fatalf("%s: %d %q is neither documented nor a problem of the mock's: %s", what, status, ctype, body)
		}
		if status >= 500 {
			prefer := strings.ToLower(strings.Join(req.Header.Values("Prefer"), ","))
			if isProblem || !strings.Contains(prefer, "500") && !strings.Contains(prefer, "server_error") {
				t.Fatalf("%s: %d without Prefer asking for it: %s", what, status, body)
			}
		}
		if status == http.StatusUnauthorized && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer ") {
			t.Fatalf("%s: 401 with challenge %q", what, rec.Header().Get("WWW-Authenticate"))
		}

		// The credential is never echoed.
		for _, h := range req.Header.Values("Authorization") {
			_, cred, _ := strings.Cut(h, " ")
			cred = strings.TrimLeft(cred, " ")
			if len(cred) < 8 || rot(cred) == cred || !strings.Contains(answerText(rec), cred) {
				continue
			}
			if bytes.Contains(authorizationLine.ReplaceAll(raw, nil), []byte(cred)) {
				continue // also sent elsewhere (path, Prefer, body): echoing that is not echoing the credential
			}
			if other := serve(srv, bytes.ReplaceAll(raw, []byte(cred), []byte(rot(cred)))); other != nil && strings.Contains(answerText(other), cred) {
				continue // the answer's own text, whatever the credential
			}
			t.Fatalf("%s: the answer repeats the credential %q:\n%s", what, cred, answerText(rec))
		}
	})
}

func answerText(rec *httptest.ResponseRecorder) string {
	var b strings.Builder
	_ = rec.Header().Write(&b)
	b.Write(rec.Body.Bytes())
	return b.String()
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func containsValue(list []any, v any) bool {
	for _, x := range list {
		if reflect.DeepEqual(x, v) {
			return true
		}
	}
	return false
}
