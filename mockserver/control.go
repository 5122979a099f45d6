package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/flashback/revoke-contract/mockserver/store"
)

// controlPrefix reserves the mock's own endpoints; no spec path may use it.
const controlPrefix = "/__mock/"

const maxUserLen = 256

func hasControlPrefix(p string) bool { return strings.HasPrefix(p, controlPrefix) }

// controlEndpoint is one path of the control API and the methods it serves.
type controlEndpoint struct {
	path     string
	handlers map[string]http.HandlerFunc // by method; GET also answers HEAD
	allow    string                      // the Allow header: its methods
}

// controlAPI serves the control API on an http.ServeMux with method
// patterns. Every answer is one of the mock's documented ones: for each
// path a catch-all pattern answers other methods with the 405 problem (and
// OPTIONS with 204), the prefix's catch-all answers unknown paths with the
// 404 problem, and a path that ServeMux would redirect to its clean form
// gets the 404 problem too. ServeMux's own plain-text answers never reach a
// client.
func (s *Server) controlAPI() http.Handler {
	endpoints := []controlEndpoint{
		{path: "health", handlers: map[string]http.HandlerFunc{http.MethodGet: s.health}, allow: "GET, HEAD"},
		{path: "{$}", handlers: map[string]http.HandlerFunc{http.MethodGet: s.dashboard}, allow: "GET, HEAD"},
		{path: "operations", handlers: map[string]http.HandlerFunc{http.MethodGet: s.listOperations}, allow: "GET, HEAD"},
		{path: "sessions", handlers: map[string]http.HandlerFunc{http.MethodGet: s.listSessions, http.MethodPost: s.mintSession}, allow: "GET, HEAD, POST"},
		{path: "reset", handlers: map[string]http.HandlerFunc{http.MethodPost: s.reset}, allow: "POST"},
		{path: "scenarios", handlers: map[string]http.HandlerFunc{http.MethodGet: s.listScenarios, http.MethodPost: s.addScenario, http.MethodDelete: s.clearScenarios}, allow: "GET, HEAD, POST, DELETE"},
		{path: "scenarios/{id}", handlers: map[string]http.HandlerFunc{http.MethodDelete: s.deleteScenario}, allow: "DELETE"},
		{path: "requests", handlers: map[string]http.HandlerFunc{http.MethodGet: s.listRequests, http.MethodDelete: s.clearRequests}, allow: "GET, HEAD, DELETE"},
	}
	var available []string
	mux := http.NewServeMux()
	for _, e := range endpoints {
		p := controlPrefix + e.path
		for method, h := range e.handlers {
			mux.HandleFunc(method+" "+p, h)
		}
		shown := strings.TrimSuffix(p, "{$}") // the exact /__mock/ as people write it
		mux.HandleFunc(p, methodNotAllowed(shown, e.allow))
		for _, m := range strings.Split(e.allow, ", ") {
			if m != http.MethodHead {
				available = append(available, m+" "+shown)
			}
		}
	}
	notFound := func(w http.ResponseWriter, r *http.Request) {
		decide(w, "control.not-found")
		writeProblem(w, Problem{Type: problemNotFound, Title: "No such control endpoint", Status: http.StatusNotFound,
			Detail: fmt.Sprintf("%s is reserved for the mock's control API", controlPrefix), Available: available})
	}
	mux.HandleFunc(controlPrefix, notFound)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == controlPrefix && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			// The dashboard's page holds no data: it asks for the control
			// token itself, and sends it with every call it makes.
			s.dashboard(w, r)
			return
		}
		if !s.controlAllowed(w, r) {
			return
		}
		if !isCleanPath(r.URL.Path) {
			notFound(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// isCleanPath: ServeMux would redirect anything else to its clean form.
func isCleanPath(p string) bool {
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	return clean == p
}

// methodNotAllowed answers the methods a control path does not serve:
// OPTIONS with 204 and Allow, anything else with the 405 problem.
func methodNotAllowed(p, allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			decide(w, "control.options")
			w.Header().Set("Allow", allow+", OPTIONS")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		decide(w, "control.method-not-allowed")
		w.Header().Set("Allow", allow)
		writeProblem(w, Problem{Type: problemMethodNotAllowed, Title: "Method not allowed", Status: http.StatusMethodNotAllowed,
			Detail: fmt.Sprintf("%s supports %s, not %s", p, allow, r.Method)})
	}
}

// health says the mock is up, and which spec it serves.
func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	decide(w, "control.health")
	st, code, status := s.storeStatus(), http.StatusOK, "ok"
	if !st.OK {
		code, status = http.StatusServiceUnavailable, "store-unavailable"
		if st.Lost {
			status = "store-lost"
		}
	}
	var conns *ConnStatus
	if s.connStatus != nil {
		c := s.connStatus()
		conns = &c
	}
	writeJSON(w, code, struct {
		Status      string      `json:"status"`
		Spec        SpecStatus  `json:"spec"`
		Store       StoreStatus `json:"store"`
		Connections *ConnStatus `json:"connections,omitempty"`
	}{status, s.specStatus(), st, conns})
}

// reset is a clean slate for the next test: sessions and revocations,
// scenarios and the journal are forgotten, the seeds restored.
func (s *Server) reset(w http.ResponseWriter, _ *http.Request) {
	decide(w, "control.reset")
	err := s.sessions.Clear()
	if err == nil {
		err = s.scenarios.TryClear()
	}
	if err == nil && s.journal != nil {
		err = s.journal.TryClear()
	}
	if err != nil {
		writeHalt(w, storeHalt(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// mintSession creates a session: POST {"user":"alice"} -> 201 {"user","token"}.
func (s *Server) mintSession(w http.ResponseWriter, r *http.Request) {
	decide(w, "control.mint")
	bad := func(detail string) {
		decide(w, "control.mint-refused")
		writeProblem(w, Problem{Type: problemInvalidControlCall, Title: "Invalid control request", Status: http.StatusBadRequest, Detail: detail})
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	if err != nil {
		bad("cannot read the request body: " + err.Error())
		return
	}
	if len(data) > 64<<10 {
		bad("the body is larger than 64 KiB")
		return
	}
	var req struct {
		User *string `json:"user"`
	}
	if err := json.Unmarshal(data, &req); err != nil {
		bad(`the body must be JSON such as {"user":"alice"}: ` + err.Error())
		return
	}
	if req.User == nil || strings.TrimSpace(*req.User) == "" {
		bad(`"user" is required and must be a non-empty string, as in {"user":"alice"}`)
		return
	}
	if len(*req.User) > maxUserLen {
		bad(fmt.Sprintf(`"user" is longer than %d bytes`, maxUserLen))
		return
	}
	token, err := s.sessions.Mint(*req.User)
	var down *store.UnavailableError
	if errors.As(err, &down) {
		writeHalt(w, storeHalt(err))
		return
	}
	if err != nil {
		decide(w, "control.mint-failed")
		writeProblem(w, Problem{Type: problemInternal, Title: "Cannot mint a session", Status: http.StatusInternalServerError, Detail: err.Error()})
		return
	}
	// A struct, not a map: the documented answer is {"user":...,"token":...} in that order.
	writeJSON(w, http.StatusCreated, struct {
		User  string `json:"user"`
		Token string `json:"token"`
	}{*req.User, token})
}
