package mockserver

import (
	"crypto/subtle"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flashback/revoke-contract/mockserver/journal"
)

// The control API's journal: GET /__mock/requests lists the recent
// requests to spec paths, newest first, filtered by the query; DELETE
// forgets them.

// journalFilters are the query parameters GET /__mock/requests reads.
var journalFilters = []string{"limit", "method", "operation", "path", "since", "status"}

// requestView is an entry as the control API shows it.
type requestView struct {
	journal.Entry
	Headers         []journal.Header `json:"headers"`
	ResponseHeaders []journal.Header `json:"responseHeaders"`
	DurationMs      float64          `json:"durationMs"`
}

func (s *Server) listRequests(w http.ResponseWriter, r *http.Request) {
	listJournal(s.journal, w, r)
}

// listJournal answers GET /__mock/requests from j (nil: the journal is
// off), for the mock and the proxy alike.
func listJournal(j journal.Backend, w http.ResponseWriter, r *http.Request) {
	decide(w, "control.requests")
	if j == nil {
		writeProblem(w, Problem{Type: problemNotFound, Title: "The journal is off", Status: http.StatusNotFound,
			Detail: "this mock was started with a negative journal size; start it with --journal-size N to keep the last N requests"})
		return
	}
	var f journal.Filter
	var errs []FieldError
	for name, vals := range r.URL.Query() {
		v := vals[len(vals)-1]
		switch name {
		case "method":
			f.Method = strings.ToUpper(v)
		case "path":
			f.Path = v
		case "operation":
			f.Operation = v
		case "status":
			n, err := strconv.Atoi(v)
			if err != nil || n < 100 || n > 599 {
				errs = append(errs, FieldError{Field: "query parameter status", Expected: "an HTTP status from 100 to 599", Received: excerpt(v), Message: "not a status"})
			}
			f.Status = n
		case "since":
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				errs = append(errs, FieldError{Field: "query parameter since", Expected: "an RFC 3339 time such as 2026-11-26T09:00:00Z", Received: excerpt(v), Message: "not a time"})
			}
			f.Since = t
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				errs = append(errs, FieldError{Field: "query parameter limit", Expected: "a whole number from 1", Received: excerpt(v), Message: "not a limit"})
			}
			f.Limit = n
		default:
			errs = append(errs, FieldError{Field: "query parameter " + excerpt(name), Expected: strings.Join(journalFilters, ", "), Message: "no such filter"})
		}
	}
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
		invalidControl(w, "control.requests-refused", "GET "+controlPrefix+"requests filters on "+strings.Join(journalFilters, ", "), errs)
		return
	}
	entries, err := j.TryList(f)
	if err != nil {
		writeHalt(w, storeHalt(err))
		return
	}
	views := make([]requestView, len(entries))
	for i, e := range entries {
		views[i] = requestView{Entry: e, Headers: e.HeaderList(), ResponseHeaders: e.ResponseHeaderList(), DurationMs: float64(e.Duration.Microseconds()) / 1000}
	}
	writeJSON(w, http.StatusOK, struct {
		Requests []requestView `json:"requests"`
	}{views})
}

func (s *Server) clearRequests(w http.ResponseWriter, _ *http.Request) {
	decide(w, "control.requests-clear")
	if s.journal != nil {
		if err := s.journal.TryClear(); err != nil {
			writeHalt(w, storeHalt(err))
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// controlAllowed checks the control token, when the mock has one: as
// "Authorization: Bearer <token>" or "Mock-Control-Token: <token>",
// compared in constant time. It answers 401 itself when it is missing.
func (s *Server) controlAllowed(w http.ResponseWriter, r *http.Request) bool {
	if s.controlToken == "" {
		return true
	}
	got := r.Header.Get(ControlTokenHeader)
	if got == "" {
		if scheme, rest, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
			got = strings.TrimSpace(rest)
		}
	}
	if got != "" && constantTimeEqual(got, s.controlToken) {
		return true
	}
	decide(w, "control.unauthorized")
	w.Header().Set("WWW-Authenticate", `Bearer realm="revoke-mock control API"`)
	detail := "this mock was started with --control-token: send it as Authorization: Bearer <token> or " + ControlTokenHeader + ": <token>"
	if got != "" {
		detail = "the control token sent is not this mock's --control-token"
	}
	writeProblem(w, Problem{Type: problemControlUnauthorized, Title: "Control token required", Status: http.StatusUnauthorized, Detail: detail})
	return false
}

// ControlTokenHeader carries the control token when Authorization cannot.
const ControlTokenHeader = "Mock-Control-Token"

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
