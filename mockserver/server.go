// Package mockserver is a spec-driven mock of the Flashback sessions API:
// an http.Handler that routes, authenticates, validates and answers every
// operation of an OpenAPI document, and keeps sessions so that revoke-all
// really revokes.
package mockserver

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/flashback/revoke-contract/mockserver/store"
	"github.com/flashback/revoke-contract/spec"
)

// RevokeAllPath is the operation whose 2xx answer revokes every session of
// the caller's user. Every other operation is mocked statelessly.
const RevokeAllPath = "/sessions/revoke-all"

// Server is the mock. Build it with New; it is safe for concurrent use.
type Server struct {
	spec     *spec.Spec
	router   *router
	sessions *store.Memory
	cors     corsPolicy
	logger   *slog.Logger
	realm    string
	maxBody  int64
	filter   *openapi3filter.Options
}

// OptionError is a bad option value, named as the command line names it.
type OptionError struct {
	Option, Value, Want string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("--%s %q: want %s", e.Option, e.Value, e.Want)
}

// New builds a mock from opts.
func New(opts Options) (*Server, error) {
	sp := opts.Spec
	if sp == nil {
		var err error
		if sp, err = spec.Embedded(); err != nil {
			return nil, err
		}
	}
	mode := opts.Sessions
	if mode == "" {
		mode = SessionsLazy
	}
	switch mode {
	case SessionsOff, SessionsLazy, SessionsIssued:
	default:
		return nil, &OptionError{Option: "sessions", Value: string(mode), Want: "off, lazy or issued"}
	}
	for _, s := range opts.Seed {
		if s.User == "" || !isB64Token(s.Token) {
			return nil, fmt.Errorf("seeded session of user %q: a user and an RFC 6750 token are required", s.User)
		}
	}
	cors, err := newCORSPolicy(opts.CORSOrigins)
	if err != nil {
		return nil, err
	}
	s := &Server{
		spec:     sp,
		sessions: store.NewMemory(mode, opts.Seed),
		cors:     cors,
		logger:   opts.Logger,
		realm:    opts.Realm,
		maxBody:  opts.MaxBodyBytes,
		filter: &openapi3filter.Options{
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, // authenticate() already decided, with sessions
			MultiError:         true,
		},
	}
	if s.realm == "" {
		s.realm = "flashback"
	}
	if s.maxBody <= 0 {
		s.maxBody = 1 << 20
	}
	s.router, err = newRouter(sp.Kin, s.compile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sp.Source, err)
	}
	return s, nil
}

func (s *Server) compile(tmpl, method string, kop *openapi3.Operation) (*operation, error) {
	op := &operation{kin: kop, method: method, path: tmpl, security: securityOf(s.spec.Kin, kop)}
	op.revokes = method == http.MethodPost && tmpl == RevokeAllPath
	item := s.spec.Kin.Paths.Value(tmpl)
	op.validates = len(kop.Parameters) > 0 || kop.RequestBody != nil || (item != nil && len(item.Parameters) > 0)
	responses, err := s.spec.Responses(tmpl, method)
	if err != nil {
		return nil, err
	}
	answers, err := compileAnswers(responses, kop)
	if err != nil {
		return nil, err
	}
	op.answers = answers
	for _, a := range answers {
		if a.status >= 200 && a.status < 300 {
			op.first2xx = a
			break
		}
	}
	return op, nil
}

// Mint creates a new session (a new device) of user and returns its token.
func (s *Server) Mint(user string) (string, error) {
	return s.sessions.Mint(user)
}

// Reset forgets every session and revocation, then re-seeds.
func (s *Server) Reset() { s.sessions.Reset() }

// recorder remembers what was answered, for the request log.
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

// ServeHTTP answers one request: CORS, then the control API or the spec's
// pipeline, with one log line at the end and no panic escaping.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w := &recorder{ResponseWriter: rw}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			w.decision = "panic"
			if s.logger != nil {
				s.logger.Error("panic while answering", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
			}
			if !w.wrote {
				writeProblem(w, Problem{Type: problemInternal, Title: "Internal error in the mock", Status: http.StatusInternalServerError,
					Detail: "the mock failed while answering; this is a bug in revoke-mock, not in your request"})
			}
		}
		s.logRequest(r, w, start)
	}()
	if s.applyCORS(w, r) {
		return
	}
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.control(w, r)
		return
	}
	s.serveAPI(w, r)
}

func (s *Server) logRequest(r *http.Request, w *recorder, start time.Time) {
	if s.logger == nil {
		return
	}
	// Only the path: a query string may carry a credential (?access_token=).
	s.logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", w.status),
		slog.Duration("duration", time.Since(start)),
		slog.Int("bytes", w.bytes),
		slog.String("decision", w.decision),
	)
}

// serveAPI is the spec pipeline: route, authenticate, validate, choose the
// answer, write it.
func (s *Server) serveAPI(w *recorder, r *http.Request) {
	m, ok := s.router.find(r.Method, r.URL.Path)
	if !ok {
		w.decision = "route.not-found"
		writeProblem(w, Problem{Type: problemNotFound, Title: "No such path in the spec", Status: http.StatusNotFound,
			Detail: fmt.Sprintf("%s is not a path of %s", r.URL.Path, s.spec.Source)})
		return
	}
	if m.op == nil {
		if r.Method == http.MethodOptions {
			w.decision = "route.options"
			w.Header().Set("Allow", m.entry.allow+", OPTIONS")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.decision = "route.method-not-allowed"
		w.Header().Set("Allow", m.entry.allow)
		writeProblem(w, Problem{Type: problemMethodNotAllowed, Title: "Method not allowed", Status: http.StatusMethodNotAllowed,
			Detail: fmt.Sprintf("%s supports %s, not %s", m.entry.template, m.entry.allow, r.Method)})
		return
	}
	op := m.op

	token, cred := s.authenticate(r, op.security)
	if cred != credOK {
		s.unauthorized(w, op, cred)
		return
	}

	if err := s.readBody(r); err != nil {
		w.decision = "request.too-large"
		writeProblem(w, Problem{Type: problemBodyTooLarge, Title: "Request body too large", Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("the mock accepts request bodies of at most %d bytes", s.maxBody)})
		return
	}
	if fields := s.validate(r, m); len(fields) > 0 {
		w.decision = "request.invalid"
		writeProblem(w, Problem{Type: problemInvalidRequest, Title: "The request does not match the spec", Status: http.StatusBadRequest,
			Detail: fmt.Sprintf("%s %s breaks %s", r.Method, m.entry.template, s.spec.Source), Errors: fields})
		return
	}

	a, ex, applied, prob := s.choose(op, r.Header.Values("Prefer"))
	if prob != nil {
		w.decision = "prefer.unknown"
		writeProblem(w, *prob)
		return
	}
	if op.revokes && token != "" && a.status >= 200 && a.status < 300 {
		s.sessions.RevokeAll(token)
	}
	w.decision = "example " + a.code + "/" + exampleLabel(ex)
	if applied != "" {
		w.Header().Set("Preference-Applied", applied)
		w.decision += " (Prefer " + applied + ")"
	}
	if a.status == http.StatusUnauthorized {
		// The challenge matches the chosen example, as on a real 401: the
		// "no credentials" example gets no error parameter (RFC 6750 3.1).
		cred := credUnknown
		if ex.name == unauthorizedExample(credMissing) {
			cred = credMissing
		}
		w.Header().Set("WWW-Authenticate", s.challenge(cred))
	}
	s.writeAnswer(w, a, ex)
}

func exampleLabel(e example) string {
	if e.name == "" {
		return "example"
	}
	return e.name
}

// unauthorized answers with the spec's 401 and an RFC 6750 challenge.
func (s *Server) unauthorized(w *recorder, op *operation, cred credentialProblem) {
	w.decision = cred.decision()
	w.Header().Set("WWW-Authenticate", s.challenge(cred))
	a := op.answer("401")
	if a == nil {
		writeProblem(w, Problem{Type: problemUnauthorized, Title: "Unauthorized", Status: http.StatusUnauthorized, Detail: credDescriptions[cred]})
		return
	}
	ex, ok := a.example(unauthorizedExample(cred))
	if !ok {
		ex = a.examples[0]
	}
	w.decision += " -> example 401/" + exampleLabel(ex)
	s.writeAnswer(w, a, ex)
}

// unauthorizedExample names the spec's 401 example for a credential
// problem: one for no credentials, one for every bad credential.
func unauthorizedExample(cred credentialProblem) string {
	if cred == credMissing {
		return "missing_token"
	}
	return "invalid_token"
}

// challenge builds the WWW-Authenticate value (RFC 6750 section 3): no
// error parameter when no credentials were sent.
func (s *Server) challenge(cred credentialProblem) string {
	c := `Bearer realm="` + s.realm + `"`
	if cred == credMissing {
		return c
	}
	return c + `, error="invalid_token", error_description="` + credDescriptions[cred] + `"`
}

// readBody buffers the request body, up to the limit, so that validation
// can read it and an oversized body is refused.
func (s *Server) readBody(r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil
	}
	if r.ContentLength > s.maxBody {
		return errBodyTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, s.maxBody+1))
	if err != nil {
		return err
	}
	if int64(len(data)) > s.maxBody {
		return errBodyTooLarge
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	return nil
}

var errBodyTooLarge = fmt.Errorf("request body too large")

// choose picks the answer: the one Prefer names, else the first 2xx with its
// first example. It returns the Preference-Applied value.
func (s *Server) choose(op *operation, prefer []string) (*answer, example, string, *Problem) {
	p, err := parsePrefer(prefer)
	if err != nil {
		return nil, example{}, "", &Problem{Type: problemUnknownPreference, Title: "Malformed Prefer header", Status: http.StatusBadRequest, Detail: err.Error()}
	}
	var applied []string
	a := op.first2xx
	if a == nil && len(op.answers) > 0 {
		a = op.answers[0]
	}
	if p.code != "" {
		if a = op.answer(p.code); a == nil {
			return nil, example{}, "", &Problem{Type: problemUnknownPreference, Title: "No such response code in the spec", Status: http.StatusBadRequest,
				Detail:    fmt.Sprintf("Prefer: code=%s, but %s %s documents only these codes", p.code, op.method, op.path),
				Available: op.codes()}
		}
		applied = append(applied, "code="+p.code)
	}
	if a == nil {
		return nil, example{}, "", &Problem{Type: problemInternal, Title: "The spec documents no response", Status: http.StatusInternalServerError,
			Detail: fmt.Sprintf("%s %s has no responses in %s", op.method, op.path, s.spec.Source)}
	}
	if p.example == "" {
		return a, a.examples[0], strings.Join(applied, ", "), nil
	}
	candidates := op.answers
	if p.code != "" {
		candidates = []*answer{a}
	}
	for _, c := range candidates {
		if ex, ok := c.example(p.example); ok {
			return c, ex, strings.Join(append(applied, "example="+p.example), ", "), nil
		}
	}
	var avail []string
	for _, c := range candidates {
		for _, n := range c.exampleNames() {
			avail = append(avail, c.code+": "+n)
		}
	}
	return nil, example{}, "", &Problem{Type: problemUnknownPreference, Title: "No such example in the spec", Status: http.StatusBadRequest,
		Detail: fmt.Sprintf("Prefer: example=%s, but %s %s has no example of that name", p.example, op.method, op.path), Available: avail}
}

// Header values shared by every answer; net/http only reads them.
var (
	noStore     = []string{"no-store"}
	varyOrigin  = []string{"Origin"}
	contentType = "Content-Type"
)

// writeAnswer is the one place where a documented answer becomes bytes.
// Headers are assigned as canonical keys with precomputed values: this runs
// on every request.
func (s *Server) writeAnswer(w http.ResponseWriter, a *answer, ex example) {
	h := w.Header()
	for k, v := range a.headers {
		h.Set(k, v)
	}
	if a.contentTypeValue != nil {
		h[contentType] = a.contentTypeValue
	}
	h["Content-Length"] = ex.contentLength
	h["Cache-Control"] = noStore
	status := a.status
	if status == 999 {
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	_, _ = w.Write(ex.body)
}

// validate checks the request against the operation with kin-openapi and
// lists every broken field.
func (s *Server) validate(r *http.Request, m match) []FieldError {
	if !m.op.validates {
		return nil
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: m.params, Route: m.kinRoute(s.spec.Kin, r), Options: s.filter}
	err := openapi3filter.ValidateRequest(r.Context(), in)
	if err == nil {
		return nil
	}
	return fieldErrors(err)
}
