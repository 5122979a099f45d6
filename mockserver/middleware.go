package mockserver

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/flashback/revoke-contract/internal/wallclock"
	"github.com/flashback/revoke-contract/mockserver/journal"
	"github.com/flashback/revoke-contract/mockserver/reqlog"
)

// recorder is what the middleware learns of one request while it is
// answered: the status and bytes written, and what decided the answer (for
// the log line). The outermost middleware puts one around every request;
// handlers inside name their decision with decide.
type recorder struct {
	http.ResponseWriter
	status    int
	bytes     int
	wrote     bool
	decision  string
	operation string // for the journal: the operation routed to
	user      string // the session's user, when known
	scenario  string // the ID of the scenario that decided
	// answerText, when set, holds the journal's text of the answer's
	// headers, valid while they are answerFields in number (writeHeaders).
	answerText   *journal.TextMemo
	answerFields int
}

func (w *recorder) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// answerHeadersText is the journal's text of the answer's headers h: the
// example's, formatted once, when writeHeaders saw the plain case and h
// still has as many fields; else formatted (from the redactor's cache).
func (w *recorder) answerHeadersText(red *journal.Redactor, h http.Header) string {
	if w.answerText == nil || len(h) != w.answerFields {
		return red.HeadersText(h)
	}
	return w.answerText.Get(func() string { return red.HeadersText(h) })
}

// Unwrap lets http.ResponseController reach the connection.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// decide records what decided the answer to the request w belongs to.
func decide(w http.ResponseWriter, decision string) {
	if rec, ok := w.(*recorder); ok {
		rec.decision = decision
	}
}

// appendDecision adds what happened after the decision (a client that
// left during a delay, a hang that ended).
func appendDecision(w http.ResponseWriter, more string) {
	if rec, ok := w.(*recorder); ok {
		rec.decision += more
	}
}

// annotate records, for the journal, the operation a request was routed to
// and its session's user.
func annotate(w http.ResponseWriter, operation, user string) {
	if rec, ok := w.(*recorder); ok {
		rec.operation, rec.user = operation, user
	}
}

// noteScenario records the scenario that decided the answer.
func noteScenario(w http.ResponseWriter, id string) {
	if rec, ok := w.(*recorder); ok {
		rec.scenario = id
	}
}

var recorders = sync.Pool{New: func() any { return new(recorder) }}

// requestClock is when each request began, for the log and the journal.
var requestClock wallclock.Clock

// record wraps every request in a recorder and, at the end, writes one
// line to the request log (the path only: a query string may carry a
// credential; never a header, so never a token) and, for a request to a
// spec path, one entry to the journal (credentials reduced to a
// fingerprint).
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var start time.Time
		// The dashboard's periodic reads are left out of the request log.
		logging := (s.reqLog != nil || s.logger != nil) && !(r.Method == http.MethodGet && r.Header[DashboardHeader] != nil && hasControlPrefix(r.URL.Path))
		journaling := s.journal != nil && !hasControlPrefix(r.URL.Path)
		if logging || journaling {
			start = requestClock.Now()
		}
		if s.scenarios.HasFaults() {
			// Browsers resend a request whose reused connection is reset
			// or closed before any byte of an answer (Chromium does, even
			// for a POST): the resend would get the next answer and hide
			// the fault. While a fault is pending, every connection serves
			// one request, so the faulty one is always on a fresh one.
			rw.Header().Set("Connection", "close")
		}
		w := recorders.Get().(*recorder)
		*w = recorder{ResponseWriter: rw}
		defer func() {
			*w = recorder{}
			recorders.Put(w)
		}()
		next.ServeHTTP(w, r)
		if !logging && !journaling {
			return
		}
		// The monotonic clock alone (time.Since reads nothing else): the
		// wall clock's reading costs as much again, once per request.
		elapsed := time.Since(start)
		end := start.Add(elapsed)
		if journaling {
			// A client's headers and the mock's answers repeat from request
			// to request: their text comes from the redactor's caches.
			headers := s.redactor.RequestHeadersText(r.Header)
			answer := w.answerHeadersText(s.redactor, rw.Header())
			// A journal that cannot record loses the entry: the answer is
			// already given, and the store's health says it is down.
			_ = s.journal.TryAdd(journal.Entry{Time: start, Method: r.Method, Path: r.URL.Path, Query: s.redactor.Query(r.URL.RawQuery),
				Headers: headers, ResponseHeaders: answer, ResponseBytes: int64(w.bytes), BodyBytes: max(r.ContentLength, 0), Status: w.status,
				Operation: w.operation, Decision: w.decision, Scenario: w.scenario, Duration: elapsed, User: w.user})
		}
		if !logging {
			return
		}
		if s.reqLog != nil {
			s.reqLog.Log(reqlog.Line{Time: end, Method: r.Method, Path: r.URL.Path, Status: w.status,
				Duration: elapsed, Bytes: w.bytes, Decision: w.decision})
			return
		}
		s.logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", w.status),
			slog.Duration("duration", elapsed),
			slog.Int("bytes", w.bytes),
			slog.String("decision", w.decision),
		)
	})
}

// recoverPanics turns a panic into the mock's 500 problem (when nothing was
// written yet) so that no panic reaches the client. It runs inside record.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			decide(w, "panic")
			if s.logger != nil {
				s.logger.Error("panic while answering", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
			}
			if rec, ok := w.(*recorder); ok && rec.wrote {
				return // too late for another answer
			}
			// Headers set for the answer that never came (WWW-Authenticate,
			// Preference-Applied, ...) would describe it, not the 500; the
			// CORS headers stay so that a page can read the 500.
			h := w.Header()
			for k := range h {
				if k != "Vary" && !strings.HasPrefix(k, "Access-Control-") {
					delete(h, k)
				}
			}
			writeProblem(w, Problem{Type: problemInternal, Title: "Internal error in the mock", Status: http.StatusInternalServerError,
				Detail: "the mock failed while answering; this is a bug in revoke-mock, not in your request"})
		}()
		next.ServeHTTP(w, r)
	})
}
