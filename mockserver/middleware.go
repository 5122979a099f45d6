package mockserver

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/flashback/revoke-contract/mockserver/reqlog"
)

// recorder is what the middleware learns of one request while it is
// answered: the status and bytes written, and what decided the answer (for
// the log line). The outermost middleware puts one around every request;
// handlers inside name their decision with decide.
type recorder struct {
	http.ResponseWriter
	status   int
	bytes    int
	wrote    bool
	decision string
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

// Unwrap lets http.ResponseController reach the connection.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// decide records what decided the answer to the request w belongs to.
func decide(w http.ResponseWriter, decision string) {
	if rec, ok := w.(*recorder); ok {
		rec.decision = decision
	}
}

var recorders = sync.Pool{New: func() any { return new(recorder) }}

// record wraps every request in a recorder and, when there is a log, writes
// one line per request at the end: the path only (a query string may carry
// a credential), never a header, so never a token.
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var start time.Time
		logging := s.reqLog != nil || s.logger != nil
		if logging {
			start = time.Now()
		}
		w := recorders.Get().(*recorder)
		*w = recorder{ResponseWriter: rw}
		defer func() {
			*w = recorder{}
			recorders.Put(w)
		}()
		next.ServeHTTP(w, r)
		if !logging {
			return
		}
		end := time.Now()
		if s.reqLog != nil {
			s.reqLog.Log(reqlog.Line{Time: end, Method: r.Method, Path: r.URL.Path, Status: w.status,
				Duration: end.Sub(start), Bytes: w.bytes, Decision: w.decision})
			return
		}
		s.logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", w.status),
			slog.Duration("duration", end.Sub(start)),
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
