package mockserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/mockserver/reqlog"
	"github.com/flashback/revoke-contract/spec"
)

// withDefault is a spec whose operation documents a 2XX range and a
// default response, the cases the answer table must not confuse.
const withDefault = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /things:
    get:
      responses:
        "2XX":
          description: ok
          content:
            application/json:
              examples:
                one: {value: {ok: true}}
        default:
          description: failure
          content:
            application/json:
              examples:
                broken: {value: {ok: false}}
`

func TestDefaultResponseIsChosenOnlyByName(t *testing.T) {
	sp, err := spec.Load("default.yaml", []byte(withDefault))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Spec: sp})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		prefer string
		status int
		body   string
	}{
		{"", 200, `{"ok":true}`},
		{"code=200", 200, `{"ok":true}`},
		{"code=2XX", 200, `{"ok":true}`},
		{"code=default", 500, `{"ok":false}`},
		{"example=broken", 500, `{"ok":false}`},
		{"code=999", 400, "unknown-preference"},
		{"code=500", 400, "unknown-preference"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/things", nil)
		if tc.prefer != "" {
			r.Header.Set("Prefer", tc.prefer)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.body) {
			t.Errorf("Prefer %q: %d %s, want %d with %s", tc.prefer, w.Code, w.Body, tc.status, tc.body)
		}
	}
}

// TestPanicAnswerCarriesNoHeadersOfTheAnswerThatNeverCame: a panic after
// the pipeline set WWW-Authenticate and Preference-Applied ends in the
// mock's 500 problem without them, with the CORS headers a page needs to
// read it, and one log decision.
func TestPanicAnswerCarriesNoHeadersOfTheAnswerThatNeverCame(t *testing.T) {
	var log strings.Builder
	srv, err := New(Options{RequestLog: reqlog.NewLogger(&log, reqlog.Text)})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.record(srv.recoverPanics(srv.withCORS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="flashback"`)
		w.Header().Set("Preference-Applied", "code=500")
		panic("boom")
	}))))
	r := httptest.NewRequest(http.MethodPost, RevokeAllPath, nil)
	r.Header.Set("Origin", "http://app.test")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 500 || !strings.Contains(w.Body.String(), problemInternal) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	for _, k := range []string{"WWW-Authenticate", "Preference-Applied"} {
		if v := w.Header().Get(k); v != "" {
			t.Errorf("the 500 carries %s: %q", k, v)
		}
	}
	if w.Header().Get("Access-Control-Allow-Origin") != "http://app.test" || w.Header().Get("Vary") == "" {
		t.Errorf("the 500 lost its CORS headers: %v", w.Header())
	}
	if !strings.Contains(log.String(), " status=500 ") || !strings.Contains(log.String(), " decision=panic\n") {
		t.Errorf("log line %q, want status=500 decision=panic", log.String())
	}
}

// TestControlAnswersAreAlwaysTheMocks: whatever the path under /__mock/ and
// the method, the answer is one of the control API's own (JSON, a problem,
// or 204; GET /__mock/ exactly is the dashboard's page), never ServeMux's
// plain-text 404, 405 or redirect.
func TestControlAnswersAreAlwaysTheMocks(t *testing.T) {
	srv, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"/__mock/", "/__mock/health", "/__mock/health/", "/__mock//health", "/__mock/./health", "/__mock/x/../health",
		"/__mock/sessions", "/__mock/reset", "/__mock/nope", "/__mock/sessions/extra"}
	methods := []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "BREW"}
	for _, p := range paths {
		for _, m := range methods {
			r := httptest.NewRequest(m, "http://mock.test/", strings.NewReader(`{"user":"alice"}`))
			r.URL.Path = p
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, r)
			ct := w.Header().Get("Content-Type")
			switch {
			case w.Code == 204, w.Code == 200 && m == "HEAD":
			case p == "/__mock/" && m == "GET" && w.Code == 200 && ct == "text/html; charset=utf-8":
			case w.Code >= 300 && w.Code < 400:
				t.Errorf("%s %s: a redirect (%d), want the mock's own answer", m, p, w.Code)
			case ct != "application/json" && ct != "application/problem+json":
				t.Errorf("%s %s: %d %q %q, want JSON or a problem", m, p, w.Code, ct, w.Body)
			}
			if w.Code == 405 && w.Header().Get("Allow") == "" {
				t.Errorf("%s %s: 405 without Allow", m, p)
			}
		}
	}
}
