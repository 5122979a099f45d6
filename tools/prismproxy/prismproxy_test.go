// Package prismproxy puts Stoplight Prism's validating proxy
// (`prism proxy --errors`, an independent reading of spec/openapi.yaml) in
// front of the mock, run in-process, and checks that every answer the mock
// gives passes Prism's validation unchanged. A deliberately wrong upstream
// proves that Prism does flag violations.
//
// What Prism 5.14.2 does in proxy mode (found while writing this test):
//   - it forwards the Prefer header, so `Prefer: code=500` reaches the mock;
//   - a request without credentials is answered 401 by Prism itself (an
//     application/problem+json body) and never forwarded, so the mock's 401
//     is reached with a revoked or malformed token instead;
//   - a response that breaks the spec gets an `sl-violations` header; with
//     --errors, an Error-level violation also turns the answer into Prism's
//     own 500, while a Warning (an undocumented status) passes through with
//     the header only;
//   - when the upstream cannot be reached Prism answers 500 itself, which is
//     why the checks below compare Prism's answer with what the mock sent.
package prismproxy

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/internal/testkit"
	"github.com/flashback/revoke-contract/mockserver"
	"github.com/flashback/revoke-contract/spec/endpoint"
	"github.com/flashback/revoke-contract/tools/prismrun"
)

const path = endpoint.Path

// serve runs h on a free loopback port with the mock's hardened server.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	return testkit.Serve(t, mockserver.NewHTTPServer("", h))
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func post(t *testing.T, base string, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 15 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, body}
}

func randomToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "proxycheck-" + hex.EncodeToString(b)
}

// TestPrismProxyPassesMockAnswers sends requests through Prism's validating
// proxy to the in-process mock (lazy sessions) and checks that each reached
// the mock, that Prism reports no violation and that the mock's status,
// Content-Type, body and significant headers came through unchanged.
func TestPrismProxyPassesMockAnswers(t *testing.T) {
	prismrun.Bin(t) // skip before starting anything when Prism is absent

	mock, err := mockserver.New(mockserver.Options{})
	if err != nil {
		t.Fatalf("mockserver.New: %v", err)
	}
	rec := &testkit.Recorder{Next: mock}
	upstream := serve(t, rec)

	tok1, tok2 := randomToken(t), randomToken(t)
	redact := func(s string) string {
		return strings.NewReplacer(tok1, "$TOKEN", tok2, "$TOKEN").Replace(s)
	}
	proxy := prismrun.Start(t, redact, "proxy", "--errors", "spec/openapi.yaml", upstream)

	// passedThrough asserts that the request reached the mock and that
	// Prism's answer is the mock's, unflagged.
	passedThrough := func(t *testing.T, before int, got answer, wantStatus int, headers ...string) testkit.Exchange {
		t.Helper()
		if rec.Count() != before+1 {
			t.Fatalf("the request did not reach the mock (upstream saw %d requests, want %d); Prism answered %d %s",
				rec.Count()-before, 1, got.status, redact(string(got.body)))
		}
		up := rec.Last()
		if v := got.header.Get("sl-violations"); v != "" {
			t.Errorf("Prism reports violations of the spec in the mock's answer: %s", redact(v))
		}
		if up.Status != wantStatus {
			t.Errorf("the mock answered %d, want %d (body %s)", up.Status, wantStatus, redact(string(up.Body)))
		}
		if got.status != up.Status {
			t.Errorf("Prism answered %d, the mock %d: Prism did not pass the answer through (body %s)",
				got.status, up.Status, redact(string(got.body)))
		}
		if !bytes.Equal(got.body, up.Body) {
			t.Errorf("Prism's body differs from the mock's:\n prism: %s\n mock:  %s", redact(string(got.body)), redact(string(up.Body)))
		}
		for _, h := range append([]string{"Content-Type"}, headers...) {
			if g, w := got.header.Get(h), up.Header.Get(h); g != w || w == "" {
				t.Errorf("header %s: Prism passed %q, the mock sent %q (want equal and present)", h, g, w)
			}
		}
		return up
	}

	t.Run("200 with a valid token", func(t *testing.T) {
		before := rec.Count()
		got := post(t, proxy, map[string]string{"Authorization": "Bearer " + tok1})
		passedThrough(t, before, got, http.StatusOK)
		var body struct {
			Success *bool `json:"success"`
		}
		if err := json.Unmarshal(got.body, &body); err != nil || body.Success == nil || !*body.Success {
			t.Errorf("200 body %s: want success true (%v)", redact(string(got.body)), err)
		}
	})

	t.Run("500 chosen with Prefer: code=500", func(t *testing.T) {
		before := rec.Count()
		got := post(t, proxy, map[string]string{"Authorization": "Bearer " + tok2, "Prefer": "code=500"})
		up := passedThrough(t, before, got, http.StatusInternalServerError, "Preference-Applied")
		if up.RequestHeader.Get("Prefer") != "code=500" {
			t.Errorf("Prism did not forward the Prefer header: the mock got %q", up.RequestHeader.Get("Prefer"))
		}
		if strings.Contains(string(got.body), "stoplight.io/prism") {
			t.Errorf("the 500 is Prism's own, not the mock's: %s", got.body)
		}
	})

	t.Run("401 from the mock for a revoked token", func(t *testing.T) {
		// tok1's revoke-all above revoked every session of its user,
		// tok1 included.
		before := rec.Count()
		got := post(t, proxy, map[string]string{"Authorization": "Bearer " + tok1})
		passedThrough(t, before, got, http.StatusUnauthorized, "WWW-Authenticate")
		if c := got.header.Get("WWW-Authenticate"); !strings.Contains(c, `error="invalid_token"`) {
			t.Errorf("WWW-Authenticate %q: want the mock's challenge with error=\"invalid_token\"", c)
		}
	})

	t.Run("401 from the mock for a malformed token", func(t *testing.T) {
		before := rec.Count()
		got := post(t, proxy, map[string]string{"Authorization": "Bearer not a token"})
		passedThrough(t, before, got, http.StatusUnauthorized, "WWW-Authenticate")
	})

	t.Run("401 without credentials", func(t *testing.T) {
		before := rec.Count()
		got := post(t, proxy, nil)
		if got.status != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401: %s", got.status, got.body)
		}
		if rec.Count() == before {
			// Prism answers this itself from the spec's security
			// requirement; the mock is never asked. Its own 401 is
			// checked no further: it says nothing about the mock.
			if !strings.Contains(string(got.body), "stoplight.io/prism/errors#UNAUTHORIZED") {
				t.Errorf("the request did not reach the mock, yet the 401 is not Prism's own: %s", got.body)
			}
			t.Log("as known: Prism answered the request without credentials itself (401, not forwarded); " +
				"the mock's 401s are checked with a revoked and a malformed token instead")
			return
		}
		up := rec.Last()
		if up.RequestHeader.Get("Authorization") != "" {
			t.Error("Prism added credentials to a request that had none")
		}
		passedThrough(t, before, got, http.StatusUnauthorized, "WWW-Authenticate")
	})
}

// TestPrismProxyFlagsViolations proves the check above has teeth: an
// upstream whose answers break the spec is flagged by Prism, while a
// conforming answer from the same upstream is not.
func TestPrismProxyFlagsViolations(t *testing.T) {
	prismrun.Bin(t)

	bad := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.Header.Get("X-Defect") {
		case "body-type":
			_, _ = io.WriteString(w, `{"success":"yes"}`)
		case "undocumented-status":
			w.WriteHeader(http.StatusTeapot)
			_, _ = io.WriteString(w, `{"success":false,"error":"teapot"}`)
		case "challenge":
			w.Header().Set("WWW-Authenticate", `Basic realm="flashback"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"success":false,"error":"Invalid or expired token"}`)
		case "none":
			_, _ = io.WriteString(w, `{"success":true,"message":"All sessions revoked successfully"}`)
		default:
			http.Error(w, "unknown X-Defect", http.StatusBadRequest)
		}
	}))
	proxy := prismrun.Start(t, nil, "proxy", "--errors", "spec/openapi.yaml", bad)

	for _, tc := range []struct {
		defect, mention string
	}{
		{"body-type", "success"},               // Error: turned into Prism's 500
		{"undocumented-status", "status code"}, // Warning: header only
		{"challenge", "www-authenticate"},      // the header's pattern
	} {
		t.Run(tc.defect, func(t *testing.T) {
			got := post(t, proxy, map[string]string{"Authorization": "Bearer flagged-check", "X-Defect": tc.defect})
			v := got.header.Get("sl-violations")
			if v == "" {
				t.Fatalf("Prism let a %s violation through unflagged: %d %s", tc.defect, got.status, got.body)
			}
			if !strings.Contains(strings.ToLower(v), tc.mention) {
				t.Errorf("sl-violations does not mention %q: %s", tc.mention, v)
			}
		})
	}
	t.Run("a conforming answer from the same upstream is not flagged", func(t *testing.T) {
		got := post(t, proxy, map[string]string{"Authorization": "Bearer flagged-check", "X-Defect": "none"})
		if v := got.header.Get("sl-violations"); v != "" || got.status != http.StatusOK {
			t.Errorf("status %d, sl-violations %q: want 200 and none", got.status, v)
		}
	})
}
