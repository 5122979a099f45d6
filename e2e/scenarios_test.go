package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/flashback/revoke-contract/internal/testkit"
	"github.com/flashback/revoke-contract/mockserver"
)

// scenarioChecks drive the page's "Log out everywhere" button, which sends
// no Prefer header (as Flashback's client does), through scenarios arranged
// on the mock's control API from outside the page, and check afterwards
// from the journal what the page sent.
func scenarioChecks(t *testing.T, b *browser, page string) {
	t.Run("the button as a frontend calls it: success, and the journal shows exactly one POST with a Bearer credential", func(t *testing.T) {
		m := startMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
		tab := b.open(t, page, m.base)
		signIn(t, tab, "erin")
		status, text := clickLogOutEverywhere(t, tab)
		if status != "200" || !strings.Contains(text, "All sessions revoked successfully") {
			t.Fatalf("the page shows %q %q, want 200 and the documented message", status, text)
		}
		entries := journal(t, m, "?method=POST&path="+revokeAll)
		if len(entries) != 1 {
			t.Fatalf("the journal has %d POST %s, want exactly 1: %+v", len(entries), revokeAll, entries)
		}
		e := entries[0]
		if !strings.HasPrefix(e.header("Authorization"), "Bearer fp:") || e.header("Prefer") != "" || e.Status != 200 || e.User != "erin" {
			t.Errorf("journal entry = %+v, want a Bearer credential (fingerprinted), no Prefer, 200, user erin", e)
		}
	})

	t.Run("a scenario's 500 shows the documented error, and the page reads Mock-Scenario", func(t *testing.T) {
		m := startMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
		tab := b.open(t, page, m.base)
		signIn(t, tab, "frank")
		signIn(t, tab, "frank")
		addScenario(t, m, `{"operation":"post__sessions_revoke-all","status":500,"example":"server_error","times":1}`)
		status, text := clickLogOutEverywhere(t, tab)
		want := documented(t, "500", "server_error").(map[string]any)["error"].(string)
		if status != "500" || !strings.Contains(text, want) {
			t.Fatalf("the page shows %q %q, want 500 and %q", status, text, want)
		}
		id := addScenario(t, m, `{"operation":"post__sessions_revoke-all","status":500,"times":1}`)
		r := evalFetch(t, tab, `e2e.revokeAs(1)`)
		r.wantStatus(t, 500)
		if r.MockScenario == nil || *r.MockScenario != id {
			t.Errorf("Mock-Scenario read by the page = %v, want %s (exposed through CORS)", deref(r.MockScenario), id)
		}
		// The 500s revoked nothing: the button works now.
		if status, _ := clickLogOutEverywhere(t, tab); status != "200" {
			t.Errorf("after the scenarios: %s, want 200", status)
		}
	})

	t.Run("with a delay the page shows its loading state while the mock holds the answer; Cancel ends the wait", func(t *testing.T) {
		m := startMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
		tab := b.open(t, page, m.base)
		signIn(t, tab, "gina")
		addScenario(t, m, `{"operation":"post__sessions_revoke-all","delay":"60s","times":1}`)
		before := testkit.Goroutines(waitFn)
		ctx, stop := context.WithTimeout(tab, stepTimeout)
		defer stop()
		if err := chromedp.Do(ctx,
			chromedp.Click(chromedp.ID("logout-everywhere")),
			chromedp.WaitVisible(chromedp.CSS(`#result[data-state="loading"]`)),
		); err != nil {
			t.Fatalf("clicking and waiting for the loading state: %v", err)
		}
		waitFor(t, "the mock holding the delayed answer", func() bool { return testkit.Goroutines(waitFn) == before+1 })
		if got := evalJS[string](t, tab, `document.getElementById("result").dataset.status || ""`); got != "" {
			t.Fatalf("the page has a status %q while the mock still holds the answer", got)
		}
		if err := chromedp.Do(ctx,
			chromedp.Click(chromedp.ID("cancel")),
			chromedp.WaitVisible(chromedp.CSS(`#result[data-status="error"]`)),
		); err != nil {
			t.Fatalf("cancelling: %v", err)
		}
		waitFor(t, "the mock to stop waiting for a client that left", func() bool { return testkit.Goroutines(waitFn) == before })
	})

	t.Run("faults make fetch reject with a TypeError: the network-error path", func(t *testing.T) {
		m := startMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
		tab := b.open(t, page, m.base)
		signIn(t, tab, "hank")
		addScenario(t, m, `{"operation":"post__sessions_revoke-all","status":500,"fault":"reset","times":1}`)
		status, text := clickLogOutEverywhere(t, tab)
		if status != "error" || !strings.Contains(text, "TypeError") || !strings.Contains(text, "you may have been signed out") {
			t.Fatalf("after a reset the page shows %q %q, want its network-error message with the TypeError", status, text)
		}
		for _, fault := range []string{"close", "malformed"} {
			addScenario(t, m, `{"operation":"post__sessions_revoke-all","status":500,"fault":"`+fault+`","times":1}`)
			r := evalFetch(t, tab, `e2e.revokeAs(0)`)
			if r.Fetched || !strings.HasPrefix(r.Error, "TypeError") {
				t.Errorf("fault %s: fetch gave %+v, want a TypeError", fault, r)
			}
		}
		// The failed 500s revoked nothing.
		if status, _ := clickLogOutEverywhere(t, tab); status != "200" {
			t.Errorf("after the faults: %s, want 200", status)
		}
	})
}

const waitFn = "mockserver.(*Server).wait"

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testkit.WaitFor(t, stepTimeout, what, cond)
}

// control calls the mock's control API from outside the page.
func control(t *testing.T, m mock, method, path, body string) []byte {
	t.Helper()
	ctx, stop := context.WithTimeout(context.Background(), stepTimeout)
	defer stop()
	req, err := http.NewRequestWithContext(ctx, method, m.base+path, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	return data
}

func addScenario(t *testing.T, m mock, body string) string {
	t.Helper()
	var sc struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(control(t, m, http.MethodPost, "/__mock/scenarios", body), &sc); err != nil || sc.ID == "" {
		t.Fatalf("adding %s: %v", body, err)
	}
	return sc.ID
}

type journalEntry struct {
	Method  string `json:"method"`
	Path    string `json:"path"`
	Status  int    `json:"status"`
	User    string `json:"user"`
	Headers []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"headers"`
}

func (e journalEntry) header(name string) string {
	for _, h := range e.Headers {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}

func journal(t *testing.T, m mock, query string) []journalEntry {
	t.Helper()
	var v struct {
		Requests []journalEntry `json:"requests"`
	}
	if err := json.Unmarshal(control(t, m, http.MethodGet, "/__mock/requests"+query, ""), &v); err != nil {
		t.Fatal(err)
	}
	return v.Requests
}
