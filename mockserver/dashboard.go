package mockserver

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/flashback/revoke-contract/mockserver/scenario"
	"github.com/flashback/revoke-contract/mockserver/store"
)

// The dashboard: GET /__mock/ is one page, embedded in the binary, that
// shows the journal live, arranges scenarios and mints sessions through
// the control API (it has no power of its own). Its style and script are
// inline, allowed by their hashes in a Content-Security-Policy that lets
// the page talk to its own origin only: no CDN, no build step, offline.
//
// The page itself holds no data, so it is served without the control
// token; every call it makes carries the token the person types in once
// (kept in the page's memory, never in storage or in the DOM).
//
// A journal entry's optional "violations" (a list of strings, for the
// validating proxy's findings per request) is shown in the row's details
// when present: the hook for revoke-mock proxy.

var (
	//go:embed dashboard/index.html
	dashboardHTML string
	//go:embed dashboard/dashboard.css
	dashboardCSS string
	//go:embed dashboard/dashboard.js
	dashboardJS string
)

// dashboardPage is the page with its style and script inlined, and the
// policy that allows exactly those; dashboardLocked is the same page
// saying that the mock wants its control token (so that it asks before its
// first call, instead of after a 401 the browser would log as an error).
var (
	dashboardPage, dashboardCSP = buildDashboard()
	dashboardLocked             = bytes.Replace(dashboardPage, []byte("<body>"), []byte(`<body data-locked="">`), 1)
)

func buildDashboard() ([]byte, string) {
	page := strings.Replace(dashboardHTML, "/*STYLE*/", dashboardCSS, 1)
	page = strings.Replace(page, "/*SCRIPT*/", dashboardJS, 1)
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	csp := "default-src 'none'; connect-src 'self'; img-src data:; style-src " + hash(dashboardCSS) +
		"; script-src " + hash(dashboardJS) + "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	return []byte(page), csp
}

// DashboardHeader marks the dashboard's periodic reads of the control API,
// which the request log leaves out (one line a second would drown it).
const DashboardHeader = "Mock-Dashboard"

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	decide(w, "control.dashboard")
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", dashboardCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	page := dashboardPage
	if s.controlToken != "" {
		page = dashboardLocked
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(page))
}

// operationView is an operation as GET /__mock/operations lists it: what
// a scenario may name, with each documented answer and its examples.
type operationView struct {
	Operation string       `json:"operation,omitempty"`
	Method    string       `json:"method"`
	Path      string       `json:"path"`
	Summary   string       `json:"summary,omitempty"`
	Answers   []answerView `json:"answers"`
}

type answerView struct {
	Status   string   `json:"status"`
	Examples []string `json:"examples"` // named examples; empty: the answer's only body
}

func (s *Server) listOperations(w http.ResponseWriter, _ *http.Request) {
	decide(w, "control.operations")
	ops := []operationView{}
	for _, e := range s.router.paths {
		methods := make([]string, 0, len(e.ops))
		for m := range e.ops {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, m := range methods {
			op := e.ops[m]
			v := operationView{Operation: op.kin.OperationID, Method: op.method, Path: op.path, Summary: op.kin.Summary, Answers: []answerView{}}
			for _, a := range op.answers {
				names := a.exampleNames()
				if names == nil {
					names = []string{}
				}
				v.Answers = append(v.Answers, answerView{Status: a.code, Examples: names})
			}
			ops = append(ops, v)
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Operations []operationView  `json:"operations"`
		Faults     []scenario.Fault `json:"faults"`
		Sessions   string           `json:"sessions"`
	}{ops, scenario.Faults, string(s.sessions.Mode())})
}

// listSessions: GET /__mock/sessions, the users with live sessions and how
// many each has (never a token).
func (s *Server) listSessions(w http.ResponseWriter, _ *http.Request) {
	decide(w, "control.sessions")
	users := []store.UserSessions{} // a shared store does not list its users
	if lister, ok := s.sessions.(interface{ Users() []store.UserSessions }); ok {
		users = lister.Users()
	}
	writeJSON(w, http.StatusOK, struct {
		Mode  store.Mode           `json:"mode"`
		Users []store.UserSessions `json:"users"`
	}{s.sessions.Mode(), users})
}
