package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/contract/teeth"
	"github.com/flashback/revoke-contract/mockserver"
)

// proxyChecks put revoke-mock proxy between the page and an upstream (the
// mock, then broken backends): the page's preflights are the proxy's, the
// answers are the upstream's, and the page can read the violations header.
func proxyChecks(t *testing.T, b *browser, page string) {
	startProxy := func(t *testing.T, upstream string, errors bool) string {
		u, _ := url.Parse(upstream)
		p, err := mockserver.NewProxy(mockserver.ProxyOptions{Upstream: u, Errors: errors})
		if err != nil {
			t.Fatal(err)
		}
		return serve(t, p)
	}

	t.Run("through the proxy: the mock's 200, 500 and 401 reach the page unchanged, no violation", func(t *testing.T) {
		m := startMock(t, mockserver.Options{Sessions: mockserver.SessionsLazy})
		tab := b.open(t, page, startProxy(t, m.base, false))
		ok := evalFetch(t, tab, `e2e.revokeWith("browser-proxy-token-1")`)
		ok.wantStatus(t, 200)
		ok.wantBody(t, documented(t, "200", "success"))
		failed := evalFetch(t, tab, `e2e.revokeWith("browser-proxy-token-2", "code=500")`)
		failed.wantStatus(t, 500)
		failed.wantBody(t, documented(t, "500", "server_error"))
		missing := evalFetch(t, tab, `e2e.revokeAs(-1)`)
		missing.wantStatus(t, 401)
		if !strings.HasPrefix(deref(missing.WWWAuthenticate), "Bearer ") {
			t.Errorf("WWW-Authenticate through the proxy = %q", deref(missing.WWWAuthenticate))
		}
		for _, r := range []fetchResult{ok, failed, missing} {
			if r.Violations != nil {
				t.Errorf("a violation reported on the mock's answer: %s", *r.Violations)
			}
		}
		if pf := m.traffic.preflights(revokeAll); len(pf) != 0 {
			t.Errorf("preflights reached the upstream; the proxy answers them: %v", pf)
		}
		if n := len(m.traffic.requests("POST", revokeAll)); n != 3 {
			t.Errorf("%d POSTs reached the mock, want the page's 3", n)
		}
	})

	t.Run("through the proxy: a 401 without WWW-Authenticate, the page reads the violation", func(t *testing.T) {
		backend := serve(t, teeth.NewBackend(teeth.NoWWWAuthenticate))
		tab := b.open(t, page, startProxy(t, backend, false))
		r := evalFetch(t, tab, `e2e.revokeAs(-1)`)
		r.wantStatus(t, 401)
		var vs []mockserver.Violation
		if r.Violations == nil || json.Unmarshal([]byte(*r.Violations), &vs) != nil || len(vs) != 1 || !strings.Contains(vs[0].Message, "WWW-Authenticate") {
			t.Errorf("the page read %s = %v, want the one WWW-Authenticate violation", mockserver.ViolationsHeader, deref(r.Violations))
		}
	})

	t.Run("through the proxy with --errors: a broken 200 becomes the 502 problem", func(t *testing.T) {
		backend := serve(t, teeth.NewBackend(teeth.SuccessAsString))
		resp, err := http.Post(backend+"/__mock/sessions", "application/json", strings.NewReader(`{"user":"erin"}`))
		if err != nil {
			t.Fatal(err)
		}
		var minted struct{ Token string }
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := json.Unmarshal(data, &minted); err != nil || minted.Token == "" {
			t.Fatalf("mint: %s", data)
		}
		tab := b.open(t, page, startProxy(t, backend, true))
		r := evalFetch(t, tab, fmt.Sprintf(`e2e.revokeWith(%q)`, minted.Token))
		r.wantStatus(t, 502)
		if r.Body["type"] != "urn:revoke-mock:problem:contract-violation" || r.Body["upstreamStatus"] != float64(200) {
			t.Errorf("the page read %s, want the contract-violation problem with upstreamStatus 200", r.Text)
		}
	})
}
