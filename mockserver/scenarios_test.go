package mockserver_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/mockserver"
)

const problemJSON = "application/problem+json"

func (m *mock) addScenario(body string) map[string]any {
	m.t.Helper()
	res := m.do(http.MethodPost, "/__mock/scenarios", http.Header{"Content-Type": {"application/json"}}, body)
	if res.status != http.StatusCreated {
		m.t.Fatalf("POST /__mock/scenarios %s: %d %s", body, res.status, res.body)
	}
	v := res.json(m.t)
	if id, _ := v["id"].(string); id == "" || res.header.Get("Location") != "/__mock/scenarios/"+id {
		m.t.Fatalf("created scenario %s: want an id and a Location naming it, got Location %q", res.body, res.header.Get("Location"))
	}
	return v
}

func (m *mock) scenarios() []map[string]any {
	m.t.Helper()
	res := m.do(http.MethodGet, "/__mock/scenarios", nil, "")
	if res.status != http.StatusOK {
		m.t.Fatalf("GET /__mock/scenarios: %d %s", res.status, res.body)
	}
	var v struct {
		Scenarios []map[string]any `json:"scenarios"`
	}
	if err := json.Unmarshal(res.body, &v); err != nil || v.Scenarios == nil {
		m.t.Fatalf("GET /__mock/scenarios: %v: %s", err, res.body)
	}
	return v.Scenarios
}

func TestScenarioDecidesWithoutHeadersAndIsUsedUp(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
	tok := m.mint("alice")
	sc := m.addScenario(`{"operation":"post__sessions_revoke-all","status":500,"example":"server_error","times":1}`)
	id := sc["id"].(string)
	if sc["remaining"] != 1.0 || sc["method"] != "POST" || sc["path"] != revokeAll || sc["status"] != "500" {
		t.Errorf("created = %v, want remaining 1, POST %s, status \"500\"", sc, revokeAll)
	}
	if l := m.scenarios(); len(l) != 1 || l[0]["id"] != id || l[0]["remaining"] != 1.0 {
		t.Errorf("GET /__mock/scenarios = %v, want %s with 1 remaining", l, id)
	}

	res := m.revoke(tok)
	if res.status != 500 || string(res.body) != string(mustBody(t, "500", "server_error")) {
		t.Fatalf("with the scenario: %d %s, want the documented 500", res.status, res.body)
	}
	if got := res.header.Get("Mock-Scenario"); got != id {
		t.Errorf("Mock-Scenario = %q, want %q", got, id)
	}
	if res.header.Get("Preference-Applied") != "" {
		t.Errorf("Preference-Applied = %q on a scenario's answer", res.header.Get("Preference-Applied"))
	}
	if l := m.scenarios(); len(l) != 0 {
		t.Errorf("after its one use the scenario is still listed: %v", l)
	}
	// The 500 revoked nothing: the token still works, and the next
	// request is back to the default answer.
	if res := m.revoke(tok); res.status != 200 || res.header.Get("Mock-Scenario") != "" {
		t.Fatalf("after the scenario: %d (Mock-Scenario %q), want 200 without it", res.status, res.header.Get("Mock-Scenario"))
	}
	if res := m.revoke(tok); res.status != 401 {
		t.Fatalf("after the 200: %d, want 401 (revoked)", res.status)
	}
}

func TestScenarioByMethodAndPathUntilDeleted(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsOff})
	id := m.addScenario(`{"method":"post","path":"/sessions/revoke-all","example":"server_error"}`)["id"].(string)
	for i := 0; i < 3; i++ {
		if res := m.revoke("any"); res.status != 500 || res.header.Get("Mock-Scenario") != id {
			t.Fatalf("request %d: %d, Mock-Scenario %q; want 500 from %s", i, res.status, res.header.Get("Mock-Scenario"), id)
		}
	}
	if l := m.scenarios(); len(l) != 1 || l[0]["remaining"] != -1.0 {
		t.Fatalf("an unlimited scenario: %v, want it listed with remaining -1", l)
	}
	if res := m.do(http.MethodDelete, "/__mock/scenarios/"+id, nil, ""); res.status != 204 {
		t.Fatalf("DELETE: %d %s", res.status, res.body)
	}
	if res := m.do(http.MethodDelete, "/__mock/scenarios/"+id, nil, ""); res.status != 404 || !strings.HasPrefix(res.header.Get("Content-Type"), problemJSON) {
		t.Fatalf("DELETE again: %d %s, want the 404 problem", res.status, res.body)
	}
	if res := m.revoke("any"); res.status != 200 {
		t.Fatalf("after DELETE: %d, want 200", res.status)
	}
}

func TestScenariosClearedByDeleteAllAndReset(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsOff})
	for _, clear := range []struct{ method, path string }{{http.MethodDelete, "/__mock/scenarios"}, {http.MethodPost, "/__mock/reset"}} {
		m.addScenario(`{"operation":"post__sessions_revoke-all","status":"500"}`)
		m.addScenario(`{"operation":"post__sessions_revoke-all","fault":"reset","times":2}`)
		if res := m.do(clear.method, clear.path, nil, ""); res.status != 204 {
			t.Fatalf("%s %s: %d %s", clear.method, clear.path, res.status, res.body)
		}
		if l := m.scenarios(); len(l) != 0 {
			t.Fatalf("after %s %s: %v, want none", clear.method, clear.path, l)
		}
		if res := m.revoke("any"); res.status != 200 {
			t.Fatalf("after %s %s: %d", clear.method, clear.path, res.status)
		}
	}
}

func TestPreferWinsOverAScenarioWhichStaysUnused(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsOff})
	m.addScenario(`{"operation":"post__sessions_revoke-all","status":500,"times":1}`)
	res := m.revoke("any", "Prefer", "code=200")
	if res.status != 200 || res.header.Get("Mock-Scenario") != "" || res.header.Get("Preference-Applied") != "code=200" {
		t.Fatalf("Prefer: code=200 with a scenario pending: %d, Mock-Scenario %q, Preference-Applied %q; want Prefer's 200",
			res.status, res.header.Get("Mock-Scenario"), res.header.Get("Preference-Applied"))
	}
	if l := m.scenarios(); len(l) != 1 || l[0]["remaining"] != 1.0 {
		t.Fatalf("the scenario after a Prefer request: %v, want it unused", l)
	}
	if res := m.revoke("any"); res.status != 500 {
		t.Fatalf("next request without Prefer: %d, want the scenario's 500", res.status)
	}
}

func TestScenarioScopes(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
	alice, bob := m.mint("alice"), m.mint("bob")
	m.addScenario(`{"operation":"post__sessions_revoke-all","status":500,"user":"bob"}`)
	m.addScenario(`{"operation":"post__sessions_revoke-all","status":500,"header":{"name":"x-developer","value":"ann"}}`)
	if res := m.revoke(alice); res.status != 200 {
		t.Fatalf("alice, no header: %d, want 200 (the scenarios are bob's and ann's)", res.status)
	}
	alice = m.mint("alice")
	if res := m.revoke(alice, "X-Developer", "ann"); res.status != 500 {
		t.Fatalf("alice with X-Developer: ann: %d, want 500", res.status)
	}
	if res := m.revoke(bob); res.status != 500 {
		t.Fatalf("bob: %d, want 500", res.status)
	}
}

func TestScenarioOn2xxWithFaultRevokesFirst(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
	laptop, phone := m.mint("alice"), m.mint("alice")
	m.addScenario(`{"operation":"post__sessions_revoke-all","status":200,"fault":"reset","times":1}`)
	req, _ := http.NewRequest(http.MethodPost, m.ts.URL+revokeAll, nil)
	req.Header.Set("Authorization", "Bearer "+phone)
	if resp, err := m.ts.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a reset scenario answered %d", resp.StatusCode)
	}
	if res := m.revoke(laptop); res.status != 401 {
		t.Fatalf("alice's other device after the reset 200: %d, want 401 (revoked before the fault)", res.status)
	}
}

func TestScenario5xxWithFaultRevokesNothing(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
	tok := m.mint("alice")
	m.addScenario(`{"operation":"post__sessions_revoke-all","status":500,"fault":"close","times":1}`)
	req, _ := http.NewRequest(http.MethodPost, m.ts.URL+revokeAll, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := m.ts.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a close scenario answered %d", resp.StatusCode)
	}
	if res := m.revoke(tok); res.status != 200 {
		t.Fatalf("after the failed 500: %d, want 200 (nothing revoked)", res.status)
	}
}

func TestScenarioAppliesAfterAuthentication(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
	m.addScenario(`{"operation":"post__sessions_revoke-all","status":500,"times":1}`)
	if res := m.revoke(""); res.status != 401 || res.header.Get("Mock-Scenario") != "" {
		t.Fatalf("without credentials: %d, want the 401, the scenario unused", res.status)
	}
	if l := m.scenarios(); len(l) != 1 {
		t.Fatalf("a 401 spent the scenario: %v", l)
	}
}

func TestBadScenariosAreClearProblems(t *testing.T) {
	m := newMock(t, mockserver.Options{})
	for _, c := range []struct {
		name, body, field, avail string
	}{
		{"no target", `{"status":500}`, "operation", "post__sessions_revoke-all (POST /sessions/revoke-all)"},
		{"unknown operation", `{"operation":"nope"}`, "operation", "post__sessions_revoke-all (POST /sessions/revoke-all)"},
		{"unknown path", `{"method":"GET","path":"/sessions/revoke-all"}`, "path", "post__sessions_revoke-all (POST /sessions/revoke-all)"},
		{"both targets", `{"operation":"post__sessions_revoke-all","method":"POST","path":"/sessions/revoke-all"}`, "operation", ""},
		{"undocumented status", `{"operation":"post__sessions_revoke-all","status":404}`, "status", "200"},
		{"unknown example", `{"operation":"post__sessions_revoke-all","example":"nope"}`, "example", "500: server_error"},
		{"example of another status", `{"operation":"post__sessions_revoke-all","status":200,"example":"server_error"}`, "example", "200: success"},
		{"status not a number", `{"operation":"post__sessions_revoke-all","status":true}`, "status", ""},
		{"delay too long", `{"operation":"post__sessions_revoke-all","delay":"61s"}`, "delay", ""},
		{"delay a number", `{"operation":"post__sessions_revoke-all","delay":1500}`, "delay", ""},
		{"delay not a duration", `{"operation":"post__sessions_revoke-all","delay":"soon"}`, "delay", ""},
		{"unknown fault", `{"operation":"post__sessions_revoke-all","fault":"explode"}`, "fault", ""},
		{"times zero", `{"operation":"post__sessions_revoke-all","times":0}`, "times", ""},
		{"header without value", `{"operation":"post__sessions_revoke-all","header":{"name":"X-Dev"}}`, "header", ""},
		{"unknown field", `{"operation":"post__sessions_revoke-all","code":500}`, "", ""},
		{"not JSON", `status=500`, "", ""},
		{"empty", ``, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := m.do(http.MethodPost, "/__mock/scenarios", http.Header{"Content-Type": {"application/json"}}, c.body)
			if res.status != 400 || !strings.HasPrefix(res.header.Get("Content-Type"), problemJSON) {
				t.Fatalf("%d %s %s, want a 400 problem", res.status, res.header.Get("Content-Type"), res.body)
			}
			var p mockserver.Problem
			if err := json.Unmarshal(res.body, &p); err != nil || p.Type != "urn:revoke-mock:problem:invalid-control-request" || p.Detail == "" {
				t.Fatalf("problem %s: %v", res.body, err)
			}
			if c.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != c.field || p.Errors[0].Message == "") {
				t.Errorf("errors = %+v, want one on %q", p.Errors, c.field)
			}
			if c.avail != "" && !contains(p.Available, c.avail) {
				t.Errorf("available = %v, want it to list %q", p.Available, c.avail)
			}
		})
	}
	if l := m.scenarios(); len(l) != 0 {
		t.Fatalf("refused scenarios were stored: %v", l)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestControlTokenGuardsEveryControlPath(t *testing.T) {
	const secret = "ctl-secret-123"
	m := newMock(t, mockserver.Options{ControlToken: secret, Sessions: mockserver.SessionsOff})
	for _, p := range []struct{ method, path string }{
		{"GET", "/__mock/health"}, {"POST", "/__mock/sessions"}, {"POST", "/__mock/reset"}, {"GET", "/__mock/scenarios"},
		{"POST", "/__mock/scenarios"}, {"DELETE", "/__mock/scenarios/sc-1"}, {"GET", "/__mock/requests"}, {"DELETE", "/__mock/requests"}, {"GET", "/__mock/nope"},
	} {
		for _, h := range []http.Header{nil, {"Authorization": {"Bearer wrong"}}, {"Mock-Control-Token": {"ctl-secret"}}} {
			res := m.do(p.method, p.path, h, "")
			if res.status != 401 || !strings.HasPrefix(res.header.Get("Content-Type"), problemJSON) || !strings.Contains(string(res.body), "control-unauthorized") {
				t.Errorf("%s %s with %v: %d %s, want the 401 problem", p.method, p.path, h, res.status, res.body)
			}
			if strings.Contains(string(res.body), secret) {
				t.Errorf("the 401 reveals the control token: %s", res.body)
			}
		}
	}
	for _, h := range []http.Header{{"Authorization": {"Bearer " + secret}}, {"Mock-Control-Token": {secret}}} {
		if res := m.do("GET", "/__mock/health", h, ""); res.status != 200 {
			t.Errorf("health with %v: %d %s", h, res.status, res.body)
		}
	}
	// The spec's paths are not the control API's: no control token there.
	if res := m.revoke("user-token"); res.status != 200 {
		t.Errorf("revoke-all on a mock with a control token: %d, want 200", res.status)
	}
	// A browser's preflight carries no credentials; it must pass.
	pre := m.do(http.MethodOptions, "/__mock/scenarios", http.Header{"Origin": {"http://localhost:5173"}, "Access-Control-Request-Method": {"POST"}}, "")
	if pre.status != 204 {
		t.Errorf("preflight to the control API: %d, want 204", pre.status)
	}
}

func TestCORSExposesMockScenario(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsOff})
	res := m.revoke("any", "Origin", "http://localhost:5173")
	if !strings.Contains(res.header.Get("Access-Control-Expose-Headers"), "Mock-Scenario") {
		t.Errorf("Access-Control-Expose-Headers = %q, want Mock-Scenario among them", res.header.Get("Access-Control-Expose-Headers"))
	}
}

// TestConnectionsServeOneRequestWhileAFaultIsPending: browsers resend a
// request whose reused connection fails before any byte (Chromium does, for
// a POST too), which would hide the fault; so while one is pending, every
// answer closes its connection.
func TestConnectionsServeOneRequestWhileAFaultIsPending(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsOff})
	if res := m.revoke("any"); res.close {
		t.Fatal("Connection: close with no fault pending")
	}
	id := m.addScenario(`{"operation":"post__sessions_revoke-all","fault":"reset","user":"nobody"}`)["id"].(string)
	for _, res := range []result{m.revoke("any"), m.do(http.MethodGet, "/__mock/health", nil, ""),
		m.do(http.MethodOptions, revokeAll, http.Header{"Origin": {"http://localhost:5173"}, "Access-Control-Request-Method": {"POST"}}, "")} {
		if !res.close {
			t.Errorf("an answer (%d) while a fault is pending does not close its connection", res.status)
		}
	}
	m.do(http.MethodDelete, "/__mock/scenarios/"+id, nil, "")
	if res := m.revoke("any"); res.close {
		t.Fatal("Connection: close after the fault was deleted")
	}
}
