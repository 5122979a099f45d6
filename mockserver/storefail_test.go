package mockserver_test

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/flashback/revoke-contract/mockserver"
	"github.com/flashback/revoke-contract/mockserver/journal"
	"github.com/flashback/revoke-contract/mockserver/scenario"
	"github.com/flashback/revoke-contract/mockserver/store"
)

// flaky wraps the in-memory stores; while down, every call fails as a
// shared store's does.
type flaky struct {
	down  atomic.Bool
	which atomic.Value // "lookup", "revoke", "take", ...: only that call fails ("" : all)
	mem   *store.Memory
	sc    *scenario.Memory
	j     *journal.Ring
}

func (f *flaky) fail(call string) error {
	if !f.down.Load() {
		return nil
	}
	if w, _ := f.which.Load().(string); w != "" && w != call {
		return nil
	}
	return &store.UnavailableError{Store: "redis://127.0.0.1:1/0 (prefix test:)", Err: errors.New("connection refused")}
}

type flakySessions struct{ *flaky }

func (f flakySessions) Mode() store.Mode { return f.mem.Mode() }
func (f flakySessions) Mint(user string) (string, error) {
	if err := f.fail("mint"); err != nil {
		return "", err
	}
	return f.mem.Mint(user)
}
func (f flakySessions) Lookup(token string) (store.Status, string, error) {
	if err := f.fail("lookup"); err != nil {
		return store.Unknown, "", err
	}
	return f.mem.Lookup(token)
}
func (f flakySessions) RevokeUser(token string) error {
	if err := f.fail("revoke"); err != nil {
		return err
	}
	return f.mem.RevokeUser(token)
}
func (f flakySessions) Clear() error {
	if err := f.fail("reset"); err != nil {
		return err
	}
	return f.mem.Clear()
}

type flakyScenarios struct{ *flaky }

func (f flakyScenarios) TryAdd(s scenario.Scenario) (scenario.Scenario, error) {
	if err := f.fail("scenarios"); err != nil {
		return s, err
	}
	return f.sc.TryAdd(s)
}
func (f flakyScenarios) TryList() ([]scenario.Scenario, error) {
	if err := f.fail("scenarios"); err != nil {
		return nil, err
	}
	return f.sc.TryList()
}
func (f flakyScenarios) TryDelete(id string) (bool, error) {
	if err := f.fail("scenarios"); err != nil {
		return false, err
	}
	return f.sc.TryDelete(id)
}
func (f flakyScenarios) TryClear() error {
	if err := f.fail("scenarios"); err != nil {
		return err
	}
	return f.sc.TryClear()
}
func (f flakyScenarios) TryTake(r scenario.Request) (scenario.Scenario, bool, error) {
	if err := f.fail("take"); err != nil {
		return scenario.Scenario{}, false, err
	}
	return f.sc.TryTake(r)
}
func (f flakyScenarios) HasFaults() bool { return f.sc.HasFaults() }

type flakyJournal struct{ *flaky }

func (f flakyJournal) TryAdd(e journal.Entry) error {
	if err := f.fail("journal"); err != nil {
		return err
	}
	return f.j.TryAdd(e)
}
func (f flakyJournal) TryList(fl journal.Filter) ([]journal.Entry, error) {
	if err := f.fail("journal"); err != nil {
		return nil, err
	}
	return f.j.TryList(fl)
}
func (f flakyJournal) TryClear() error {
	if err := f.fail("journal"); err != nil {
		return err
	}
	return f.j.TryClear()
}

func newFlakyMock(t *testing.T) (*mock, *flaky) {
	f := &flaky{mem: store.NewMemory(store.Issued, nil), sc: scenario.NewMemory(), j: journal.NewRing(100)}
	f.which.Store("")
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued, SessionStore: flakySessions{f},
		Scenarios: flakyScenarios{f}, Journal: flakyJournal{f},
		StoreStatus: func() mockserver.StoreStatus {
			if f.down.Load() {
				return mockserver.StoreStatus{Kind: "redis", URL: "redis://127.0.0.1:1/0", OK: false, Error: "connection refused"}
			}
			return mockserver.StoreStatus{Kind: "redis", URL: "redis://127.0.0.1:1/0", OK: true}
		}})
	return m, f
}

// checkStore503 asserts the store-unavailable problem, naming the store.
func checkStore503(t *testing.T, what string, res result) {
	t.Helper()
	if res.status != http.StatusServiceUnavailable || res.header.Get("Content-Type") != "application/problem+json" ||
		!strings.Contains(string(res.body), "urn:revoke-mock:problem:store-unavailable") || !strings.Contains(string(res.body), "redis://127.0.0.1:1/0") {
		t.Errorf("%s with the store down: %d %s %s; want 503 problem+json naming the store", what, res.status, res.header.Get("Content-Type"), res.body)
	}
}

// TestStoreDownAnswers503: with a failing store, every answer that
// depends on it is the 503 problem naming the store, never a 200 or a 401
// it cannot know; a revoke-all whose revocation failed is not a 200; a
// scenario store that fails is not "no scenario"; health says 503 with
// the store's error; and everything works again once the store is back.
func TestStoreDownAnswers503(t *testing.T) {
	m, f := newFlakyMock(t)
	tok := m.mint("alice")
	json := http.Header{"Content-Type": {"application/json"}}

	f.down.Store(true)
	checkStore503(t, "revoke-all (lookup failing)", m.revoke(tok))
	checkStore503(t, "a mint", m.do("POST", "/__mock/sessions", json, `{"user":"bob"}`))
	checkStore503(t, "a reset", m.do("POST", "/__mock/reset", nil, ""))
	checkStore503(t, "a scenario added", m.do("POST", "/__mock/scenarios", json, `{"operation":"post__sessions_revoke-all","status":500}`))
	checkStore503(t, "the scenario list", m.do("GET", "/__mock/scenarios", nil, ""))
	checkStore503(t, "a scenario deleted", m.do("DELETE", "/__mock/scenarios/sc-1", nil, ""))
	checkStore503(t, "the scenarios cleared", m.do("DELETE", "/__mock/scenarios", nil, ""))
	checkStore503(t, "the journal", m.do("GET", "/__mock/requests", nil, ""))
	checkStore503(t, "the journal cleared", m.do("DELETE", "/__mock/requests", nil, ""))
	h := m.do("GET", "/__mock/health", nil, "")
	if h.status != http.StatusServiceUnavailable || h.json(t)["status"] != "store-unavailable" || !strings.Contains(string(h.body), "connection refused") {
		t.Errorf("health with the store down: %d %s", h.status, h.body)
	}

	f.which.Store("revoke")
	checkStore503(t, "revoke-all (revocation failing)", m.revoke(tok))
	f.which.Store("take")
	checkStore503(t, "revoke-all (scenarios failing)", m.revoke(tok))

	f.down.Store(false)
	if h := m.do("GET", "/__mock/health", nil, ""); h.status != http.StatusOK || h.json(t)["status"] != "ok" {
		t.Errorf("health with the store back: %d %s", h.status, h.body)
	}
	if res := m.revoke(tok); res.status != http.StatusOK {
		t.Errorf("revoke-all with the store back: %d %s", res.status, res.body)
	}
	if res := m.revoke(tok); res.status != http.StatusUnauthorized {
		t.Errorf("the revoked token: %d, want 401", res.status)
	}
}

// TestSessionStoreModeMustMatch: a SessionStore of another mode than
// Options.Sessions is refused.
func TestSessionStoreModeMustMatch(t *testing.T) {
	_, err := mockserver.New(mockserver.Options{Sessions: mockserver.SessionsLazy, SessionStore: store.NewMemory(store.Issued, nil)})
	var oe *mockserver.OptionError
	if !errors.As(err, &oe) || oe.Option != "Sessions" {
		t.Fatalf("New with mismatched modes: %v", err)
	}
}

// TestHealthNamesTheMemoryStore: by default health reports the in-memory
// store, ok.
func TestHealthNamesTheMemoryStore(t *testing.T) {
	m := newMock(t, mockserver.Options{})
	h := m.do("GET", "/__mock/health", nil, "")
	st, _ := h.json(t)["store"].(map[string]any)
	if h.status != 200 || st["kind"] != "memory" || st["ok"] != true {
		t.Errorf("health: %d %s", h.status, h.body)
	}
}
