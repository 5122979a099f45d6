package mockserver_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/internal/testkit"
	"github.com/flashback/revoke-contract/mockserver"
)

type journalEntry struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Method  string    `json:"method"`
	Path    string    `json:"path"`
	Query   string    `json:"query"`
	Headers []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"headers"`
	BodyBytes  int64    `json:"bodyBytes"`
	Status     int      `json:"status"`
	Operation  string   `json:"operation"`
	Decision   string   `json:"decision"`
	Scenario   string   `json:"scenario"`
	DurationMs *float64 `json:"durationMs"`
	User       string   `json:"user"`
	// The answer: its headers (redacted like the request's) and body size.
	ResponseHeaders []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"responseHeaders"`
	ResponseBytes int64 `json:"responseBytes"`
}

func (e journalEntry) responseHeader(name string) string {
	for _, h := range e.ResponseHeaders {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}

func (e journalEntry) header(name string) string {
	for _, h := range e.Headers {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}

func (m *mock) journal(query string) ([]journalEntry, string) {
	m.t.Helper()
	res := m.do(http.MethodGet, "/__mock/requests"+query, nil, "")
	if res.status != http.StatusOK {
		m.t.Fatalf("GET /__mock/requests%s: %d %s", query, res.status, res.body)
	}
	var v struct {
		Requests []journalEntry `json:"requests"`
	}
	if err := json.Unmarshal(res.body, &v); err != nil || v.Requests == nil {
		m.t.Fatalf("GET /__mock/requests: %v: %s", err, res.body)
	}
	return v.Requests, string(res.body)
}

func TestJournalRecordsWhatWasSentNeverTheToken(t *testing.T) {
	var logOut testkit.Buffer
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued, Logger: slog.New(slog.NewTextHandler(&logOut, nil))})
	tok := m.mint("alice")
	sc := m.addScenario(`{"operation":"post__sessions_revoke-all","status":500,"times":1}`)["id"].(string)
	m.revoke(tok, "X-Api-Key", tok)                                          // 500 by the scenario
	m.do(http.MethodPost, revokeAll+"?access_token="+tok+"&page=2", nil, "") // 401, the token in the query
	m.do(http.MethodPost, revokeAll, http.Header{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/json"}}, `{"all":true}`)
	m.revoke(tok) // 401: revoked

	entries, raw := m.journal("")
	if strings.Contains(raw, tok) || strings.Contains(raw, tok[:8]) || strings.Contains(raw, tok[len(tok)-8:]) {
		t.Fatalf("the journal contains the token, or a part of it:\n%s", raw)
	}
	if len(entries) != 4 {
		t.Fatalf("%d entries, want the 4 requests to spec paths (the control API is not journaled):\n%s", len(entries), raw)
	}
	revoked, ok200, query401, scen := entries[0], entries[1], entries[2], entries[3]
	if !(revoked.Seq > ok200.Seq && ok200.Seq > query401.Seq && query401.Seq > scen.Seq) {
		t.Errorf("not newest first: %d %d %d %d", revoked.Seq, ok200.Seq, query401.Seq, scen.Seq)
	}
	if scen.Status != 500 || scen.Scenario != sc || !strings.Contains(scen.Decision, "scenario "+sc) || scen.User != "alice" || scen.Operation != "post__sessions_revoke-all" {
		t.Errorf("scenario entry = %+v, want 500 by %s, user alice, the operation", scen, sc)
	}
	auth := scen.header("Authorization")
	if !strings.HasPrefix(auth, "Bearer fp:") || len(auth) != len("Bearer fp:12345678") {
		t.Errorf("Authorization in the journal = %q, want Bearer fp:<8 hex digits>", auth)
	}
	if ok200.header("Authorization") != auth {
		t.Errorf("the same token has two fingerprints: %q, %q", auth, ok200.header("Authorization"))
	}
	if !strings.HasPrefix(scen.header("X-Api-Key"), "fp:") {
		t.Errorf("X-Api-Key = %q, want a fingerprint", scen.header("X-Api-Key"))
	}
	if query401.Status != 401 || !strings.HasPrefix(query401.Query, "access_token=fp:") || !strings.HasSuffix(query401.Query, "&page=2") || !strings.HasPrefix(query401.Decision, "auth.missing") {
		t.Errorf("401 entry = %+v, want auth.missing with the query's token redacted", query401)
	}
	if ok200.Status != 200 || ok200.BodyBytes != int64(len(`{"all":true}`)) || ok200.DurationMs == nil || ok200.Time.IsZero() {
		t.Errorf("200 entry = %+v, want status 200, bodyBytes 12, a duration and a time", ok200)
	}
	if revoked.Status != 401 || !strings.HasPrefix(revoked.Decision, "auth.revoked") {
		t.Errorf("last entry = %+v, want auth.revoked", revoked)
	}
	// What came back: the answer's headers and body size.
	if scen.responseHeader("Mock-Scenario") != sc || scen.responseHeader("Content-Type") != "application/json" || scen.ResponseBytes != int64(len(`{"success":false,"error":"Failed to revoke all sessions"}`)) {
		t.Errorf("scenario entry's answer: headers %+v, %d bytes; want Mock-Scenario %s, application/json and the documented body's size", scen.ResponseHeaders, scen.ResponseBytes, sc)
	}
	if !strings.HasPrefix(revoked.responseHeader("Www-Authenticate"), "Bearer ") || revoked.ResponseBytes == 0 {
		t.Errorf("401 entry's answer: %+v, %d bytes; want the challenge and a body", revoked.ResponseHeaders, revoked.ResponseBytes)
	}
	// The log line says which scenario decided too.
	if !strings.Contains(logOut.String(), "scenario "+sc) {
		t.Errorf("no log line names %s:\n%s", sc, logOut.String())
	}
}

func TestJournalFilters(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsOff})
	m.revoke("a")
	mid := time.Now().UTC()
	m.revoke("a", "Prefer", "code=500")
	m.do(http.MethodGet, revokeAll, nil, "")
	m.do(http.MethodGet, "/nowhere", nil, "")
	for _, c := range []struct {
		query string
		want  []int // statuses, newest first
	}{
		{"", []int{404, 405, 500, 200}},
		{"?method=post", []int{500, 200}},
		{"?path=" + revokeAll, []int{405, 500, 200}},
		{"?status=500", []int{500}},
		{"?operation=post__sessions_revoke-all", []int{500, 200}},
		{"?since=" + url.QueryEscape(mid.Format(time.RFC3339Nano)), []int{404, 405, 500}},
		{"?limit=1", []int{404}},
		{"?method=POST&status=200", []int{200}},
	} {
		got, _ := m.journal(c.query)
		var statuses []int
		for _, e := range got {
			statuses = append(statuses, e.Status)
		}
		if fmt.Sprint(statuses) != fmt.Sprint(c.want) {
			t.Errorf("%s: statuses %v, want %v", c.query, statuses, c.want)
		}
	}
	for _, q := range []string{"?status=abc", "?status=999", "?since=yesterday", "?limit=0", "?limit=x", "?stauts=200"} {
		res := m.do(http.MethodGet, "/__mock/requests"+q, nil, "")
		if res.status != 400 || !strings.HasPrefix(res.header.Get("Content-Type"), problemJSON) || !strings.Contains(string(res.body), "query parameter") {
			t.Errorf("GET /__mock/requests%s: %d %s, want a 400 problem naming the parameter", q, res.status, res.body)
		}
	}
	if res := m.do(http.MethodDelete, "/__mock/requests", nil, ""); res.status != 204 {
		t.Fatalf("DELETE /__mock/requests: %d", res.status)
	}
	if got, _ := m.journal(""); len(got) != 0 {
		t.Fatalf("after DELETE: %d entries", len(got))
	}
	m.revoke("a")
	if res := m.do(http.MethodPost, "/__mock/reset", nil, ""); res.status != 204 {
		t.Fatal(res.status)
	}
	if got, _ := m.journal(""); len(got) != 0 {
		t.Fatalf("after reset: %d entries", len(got))
	}
}

func TestJournalIsBoundedAndCanBeOff(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsOff, JournalSize: 3})
	for i := 0; i < 10; i++ {
		m.revoke("a")
	}
	if got, _ := m.journal(""); len(got) != 3 {
		t.Fatalf("--journal-size 3 kept %d entries", len(got))
	}
	off := newMock(t, mockserver.Options{Sessions: mockserver.SessionsOff, JournalSize: -1})
	off.revoke("a")
	if res := off.do(http.MethodGet, "/__mock/requests", nil, ""); res.status != 404 || !strings.Contains(string(res.body), "journal is off") {
		t.Fatalf("journal off: %d %s, want the 404 problem saying so", res.status, res.body)
	}
}

// TestJournalAnswerHeadersAreTheAnswers: the headers the journal records
// for an answer are the headers the handler set, for every kind of answer,
// each asked for again and again and in turns (an answer's text formatted
// once must never stand for another's).
func TestJournalAnswerHeadersAreTheAnswers(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsOff})
	bearer := http.Header{"Authorization": {"Bearer journal-answer-not-a-secret"}}
	with := func(h http.Header, kv ...string) http.Header {
		out := h.Clone()
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = []string{kv[i+1]}
		}
		return out
	}
	kinds := []struct {
		name, method, path string
		header             http.Header
	}{
		{"plain 200", http.MethodPost, revokeAll, bearer},
		{"200 to a page", http.MethodPost, revokeAll, with(bearer, "Origin", "http://localhost:5173")},
		{"401 without credentials", http.MethodPost, revokeAll, http.Header{}},
		{"401 with a malformed token", http.MethodPost, revokeAll, http.Header{"Authorization": {"Bearer not a token"}}},
		{"500 by Prefer", http.MethodPost, revokeAll, with(bearer, "Prefer", "code=500")},
		{"preflight", http.MethodOptions, revokeAll, http.Header{"Origin": {"http://localhost:5173"}, "Access-Control-Request-Method": {"POST"}}},
		{"405", http.MethodGet, revokeAll, bearer},
		{"404", http.MethodPost, "/no/such/path", bearer},
		{"500 by a scenario", http.MethodPost, revokeAll, bearer},
	}
	// check sends one request and compares the journal's answer headers
	// with the headers the handler set.
	check := func(label, method, path string, header http.Header) {
		t.Helper()
		req := httptest.NewRequest(method, path, nil)
		req.Header = header.Clone()
		rec := httptest.NewRecorder()
		m.srv.ServeHTTP(rec, req)
		entries, _ := m.journal("?limit=1")
		if len(entries) != 1 {
			t.Fatalf("%s: %d journal entries", label, len(entries))
		}
		var want []string
		for name, values := range rec.Header() {
			for _, v := range values {
				want = append(want, name+": "+v)
			}
		}
		sort.Strings(want)
		var got []string
		for _, h := range entries[0].ResponseHeaders {
			got = append(got, h.Name+": "+h.Value)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s (answered %d): the journal has the answer headers\n  %q\nthe handler set\n  %q", label, rec.Code, got, want)
		}
	}
	for round := range 3 {
		for i, k := range kinds {
			if k.name == "500 by a scenario" {
				m.addScenario(`{"operation":"post__sessions_revoke-all","status":500,"times":1}`)
			}
			check(fmt.Sprintf("round %d, %s", round, k.name), k.method, k.path, k.header)
			// The plain 200 between every other kind: its text is the one
			// formatted once, each time after another answer's.
			if i%2 == 1 {
				check(fmt.Sprintf("round %d, the plain 200 after %s", round, k.name), http.MethodPost, revokeAll, bearer)
			}
		}
	}
}
