package mockserver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 && !strings.Contains(strings.ToLower(prefer), "code") && !strings.Contains(prefer, "example") {
			t.Fatalf("%s %s: %d %s", method, req.URL.Path, rec.Code, rec.Body)
		}
	})
}
