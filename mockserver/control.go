package mockserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// controlPrefix reserves the mock's own endpoints; no spec path may use it.
const controlPrefix = "/__mock/"

const maxUserLen = 256

// control serves the control API: health, minting sessions, reset.
func (s *Server) control(w *recorder, r *http.Request) {
	type endpoint struct {
		allow   string
		methods map[string]func(*recorder, *http.Request)
	}
	var ep endpoint
	switch strings.TrimPrefix(r.URL.Path, controlPrefix) {
	case "health":
		ep = endpoint{"GET, HEAD", map[string]func(*recorder, *http.Request){http.MethodGet: s.health, http.MethodHead: s.health}}
	case "sessions":
		ep = endpoint{"POST", map[string]func(*recorder, *http.Request){http.MethodPost: s.mintSession}}
	case "reset":
		ep = endpoint{"POST", map[string]func(*recorder, *http.Request){http.MethodPost: s.reset}}
	default:
		w.decision = "control.not-found"
		writeProblem(w, Problem{Type: problemNotFound, Title: "No such control endpoint", Status: http.StatusNotFound,
			Detail:    fmt.Sprintf("%s is reserved for the mock's control API", controlPrefix),
			Available: []string{"GET /__mock/health", "POST /__mock/sessions", "POST /__mock/reset"}})
		return
	}
	if r.Method == http.MethodOptions {
		w.decision = "control.options"
		w.Header().Set("Allow", ep.allow+", OPTIONS")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h, ok := ep.methods[r.Method]
	if !ok {
		w.decision = "control.method-not-allowed"
		w.Header().Set("Allow", ep.allow)
		writeProblem(w, Problem{Type: problemMethodNotAllowed, Title: "Method not allowed", Status: http.StatusMethodNotAllowed,
			Detail: fmt.Sprintf("%s supports %s, not %s", r.URL.Path, ep.allow, r.Method)})
		return
	}
	h(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Server) health(w *recorder, _ *http.Request) {
	w.decision = "control.health"
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) reset(w *recorder, _ *http.Request) {
	w.decision = "control.reset"
	s.sessions.Reset()
	w.WriteHeader(http.StatusNoContent)
}

// mintSession creates a session: POST {"user":"alice"} -> 201 {"user","token"}.
func (s *Server) mintSession(w *recorder, r *http.Request) {
	w.decision = "control.mint"
	bad := func(detail string) {
		w.decision = "control.mint-refused"
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
	if err != nil {
		w.decision = "control.mint-failed"
		writeProblem(w, Problem{Type: problemInternal, Title: "Cannot mint a session", Status: http.StatusInternalServerError, Detail: err.Error()})
		return
	}
	// A struct, not a map: the documented answer is {"user":...,"token":...} in that order.
	writeJSON(w, http.StatusCreated, struct {
		User  string `json:"user"`
		Token string `json:"token"`
	}{*req.User, token})
}
