package mockserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/mockserver"
)

// FuzzServeHTTP feeds arbitrary methods, paths and headers to the mock: it
// must never panic and never answer 5xx unless a 500 was asked for.
func FuzzServeHTTP(f *testing.F) {
	f.Add("POST", "/sessions/revoke-all", "Bearer abc", "code=500", "http://x.test", "")
	f.Add("GET", "/__mock/sessions", "Basic", "", "", "{")
	f.Add("POST", "/__mock/sessions", "", "", "", `{"user":"a"}`)
	f.Add("OPTIONS", "/sessions/revoke-all", "bearer  x=", "example=", "null", "")
	f.Add("POST", "/sessions/revoke-all", "Bearer eyJ.eyJ1c2VySWQiOjF9.x", "code=\"", "", "")
	srv, err := mockserver.New(mockserver.Options{Sessions: mockserver.SessionsLazy})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path, auth, prefer, origin, body string) {
		req := httptest.NewRequest(http.MethodGet, "/", strings.NewReader(body))
		req.Method = method
		req.URL.Path = "/" + strings.TrimPrefix(path, "/")
		req.Header.Set("Authorization", auth)
		req.Header.Set("Prefer", prefer)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		// A Prefer: delay the explorer finds ends with the request, not
		// 60 s later; scenarios it adds are cleared after each input.
		ctx, cancel := context.WithTimeout(req.Context(), 50*time.Millisecond)
		defer cancel()
		req = req.WithContext(ctx)
		defer srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodDelete, "/__mock/scenarios", nil))
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 && !strings.Contains(strings.ToLower(prefer), "code") && !strings.Contains(prefer, "example") {
			t.Fatalf("%s %s: %d %s", method, req.URL.Path, rec.Code, rec.Body)
		}
	})
}

// FuzzScenarioBody feeds arbitrary bodies to POST /__mock/scenarios: each
// is a 201 or a 400 problem, never a panic or a 5xx.
func FuzzScenarioBody(f *testing.F) {
	f.Add(`{"operation":"post__sessions_revoke-all","status":500,"times":1}`)
	f.Add(`{"method":"post","path":"/sessions/revoke-all","delay":"61s","fault":"drip"}`)
	f.Add(`{"operation":"post__sessions_revoke-all","status":"2XX","example":"success","header":{"name":"X-A","value":"b"}}`)
	f.Add(`{"operation":"post__sessions_revoke-all","status":1e99,"times":-1,"delay":null}`)
	f.Add(`{"path":"/sessions/revoke-all"}`)
	f.Add(`[`)
	srv, err := mockserver.New(mockserver.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/__mock/scenarios", strings.NewReader(body)))
		if rec.Code != http.StatusCreated && rec.Code != http.StatusBadRequest {
			t.Fatalf("%q: %d %s", body, rec.Code, rec.Body)
		}
		srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodDelete, "/__mock/scenarios", nil))
	})
}
