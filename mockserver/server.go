// Package mockserver is a spec-driven mock of the Flashback sessions API:
// an http.Handler that routes, authenticates, validates and answers every
// operation of an OpenAPI document, and keeps sessions so that revoke-all
// really revokes.
//
// A request to a spec path goes through the pipeline, one stage per file:
//
//	route (route.go) -> authenticate (auth.go) -> validate (validate.go)
//	  -> choose (choose.go) -> revoke (a 2xx of revoke-all)
//	  -> deliver (delay.go: latency, delay, fault) -> write (write.go)
//
// Each stage returns its result or a *halt, the one failure path, which
// says what to answer instead and why (pipeline.go). Choose honours Prefer
// (code=, example=, delay=) and, without code= or example=, the oldest
// matching scenario arranged through the control API (scenarios.go);
// Prefer wins. The work (revocation) is done before the delivery, so a
// delay or a fault on a 2xx revokes and the client may never hear it.
//
// Around the pipeline, as net/http handlers compose: the request log, the
// request journal and panic recovery (middleware.go), CORS (cors.go), and
// the control API under /__mock/ (control.go, scenarios.go, requests.go,
// and dashboard.go: the page at /__mock/ and what it reads), optionally
// locked by Options.ControlToken. Sessions live in package store,
// scenarios in package scenario and the journal in package journal, each
// behind an interface whose calls can fail (store.Sessions,
// scenario.Backend, journal.Backend): in memory by default, or in Redis
// (package redisstore), shared by every replica of a mock; a failed call
// is answered with a 503 problem naming the store (storeHalt); answers are compiled
// from the spec once, at start-up (answers.go). A live spec reload is a new
// Server built by Reload, sharing that state, served through package
// reload's Handler.
package mockserver

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/flashback/revoke-contract/mockserver/journal"
	"github.com/flashback/revoke-contract/mockserver/reload"
	"github.com/flashback/revoke-contract/mockserver/reqlog"
	"github.com/flashback/revoke-contract/mockserver/scenario"
	"github.com/flashback/revoke-contract/mockserver/store"
	"github.com/flashback/revoke-contract/spec"
	"github.com/flashback/revoke-contract/spec/endpoint"
)

// RevokeAllPath is the operation whose 2xx answer revokes every session of
// the caller's user. Every other operation is mocked statelessly.
const RevokeAllPath = endpoint.Path

// Server is the mock. Build it with New; it is safe for concurrent use.
type Server struct {
	spec     *spec.Spec
	router   *router
	sessions store.Sessions
	cors     corsPolicy
	logger   *slog.Logger
	reqLog   *reqlog.Logger
	realm    string
	maxBody  int64
	filter   *openapi3filter.Options
	control  http.Handler
	handler  http.Handler // the middleware around dispatch

	latency      Latency
	scenarios    scenario.Backend
	journal      journal.Backend // nil: off
	redactor     *journal.Redactor
	controlToken string
	writeTimeout time.Duration
	operations   map[string]*operation // by operationId, for scenarios
	specStatus   func() SpecStatus
	storeStatus  func() StoreStatus
	connStatus   func() ConnStatus
	opts         Options // for Reload
}

// OptionError is a bad value of one of Options' fields.
type OptionError struct {
	Option string // the field of Options, such as "CORSOrigins"
	Value  string
	Want   string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("%s %q: want %s", e.Option, e.Value, e.Want)
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
		return nil, &OptionError{Option: "Sessions", Value: string(mode), Want: "off, lazy or issued"}
	}
	if opts.MaxSessions < 0 {
		return nil, &OptionError{Option: "MaxSessions", Value: fmt.Sprint(opts.MaxSessions), Want: "a number of sessions, 1 or more (0: the default)"}
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
		spec:         sp,
		opts:         opts,
		sessions:     opts.sessions,
		cors:         cors,
		logger:       opts.Logger,
		reqLog:       opts.RequestLog,
		realm:        opts.Realm,
		maxBody:      opts.MaxBodyBytes,
		latency:      opts.Latency,
		scenarios:    opts.Scenarios,
		journal:      opts.Journal,
		redactor:     journal.NewRedactor(),
		controlToken: opts.ControlToken,
		writeTimeout: opts.WriteTimeout,
		filter: &openapi3filter.Options{
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, // authenticate already decided, with sessions
			MultiError:         true,
		},
	}
	if s.realm == "" {
		s.realm = "flashback"
	}
	if s.maxBody <= 0 {
		s.maxBody = 1 << 20
	}
	if s.sessions == nil {
		s.sessions = opts.SessionStore
	}
	if s.sessions == nil {
		s.sessions = store.NewMemory(mode, opts.Seed, store.WithMaxSessions(opts.MaxSessions))
	} else if s.sessions.Mode() != mode {
		return nil, &OptionError{Option: "Sessions", Value: string(mode), Want: "the mode of the SessionStore given (" + string(s.sessions.Mode()) + ")"}
	}
	s.storeStatus = opts.StoreStatus
	if s.storeStatus == nil {
		s.storeStatus = func() StoreStatus { return StoreStatus{Kind: "memory", OK: true} }
	}
	if opts.redactor != nil {
		s.redactor = opts.redactor
	}
	s.connStatus = opts.ConnStatus
	s.specStatus = opts.SpecStatus
	if s.specStatus == nil {
		st := SpecStatus{Source: sp.Source, SHA256: reload.Hash(sp.Raw), LoadedAt: time.Now().UTC()}
		s.specStatus = func() SpecStatus { return st }
	}
	if s.writeTimeout <= 0 {
		s.writeTimeout = DefaultWriteTimeout
	}
	if s.scenarios == nil {
		s.scenarios = scenario.NewMemory()
	}
	if s.journal == nil && opts.JournalSize >= 0 {
		size := opts.JournalSize
		if size == 0 {
			size = DefaultJournalSize
		}
		s.journal = journal.NewRing(size)
	}
	if err := checkLatency(opts.Latency); err != nil {
		return nil, err
	}
	s.router, err = newRouter(sp.Kin, s.compile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sp.Source, err)
	}
	s.operations = map[string]*operation{}
	for _, e := range s.router.paths {
		for _, op := range e.ops {
			if op.kin.OperationID != "" {
				s.operations[op.kin.OperationID] = op
			}
		}
	}
	s.control = s.controlAPI()
	s.handler = s.record(s.recoverPanics(s.withCORS(http.HandlerFunc(s.dispatch))))
	return s, nil
}

// compile prepares everything the pipeline needs to answer method on tmpl.
func (s *Server) compile(tmpl, method string, kop *openapi3.Operation) (*operation, error) {
	op := &operation{kin: kop, method: method, path: tmpl, name: kop.OperationID, security: securityOf(s.spec.Kin, kop)}
	if op.name == "" {
		op.name = method + " " + tmpl
	}
	op.revokes = method == http.MethodPost && tmpl == RevokeAllPath
	item := s.spec.Kin.Paths.Value(tmpl)
	op.validates = len(kop.Parameters) > 0 || kop.RequestBody != nil || (item != nil && len(item.Parameters) > 0)
	responses, err := s.spec.Responses(tmpl, method)
	if err != nil {
		return nil, err
	}
	if op.answers, err = compileAnswers(responses, kop); err != nil {
		return nil, err
	}
	op.unauthorized = s.unauthorizedHalts(op)
	if a := op.first2xx(); a != nil {
		op.unadorned = &choice{answer: a, example: a.examples[0], decision: "example " + a.code + "/" + exampleLabel(a.examples[0]), revoke: op.revokes}
	}
	return op, nil
}

// Reload builds a mock of another spec that shares this one's state:
// sessions and revocations, scenarios, the journal (and its fingerprints).
// Serving it instead of s (reload.Handler) is a live spec reload.
func (s *Server) Reload(sp *spec.Spec) (*Server, error) {
	opts := s.opts
	opts.Spec = sp
	opts.sessions, opts.Scenarios, opts.Journal, opts.redactor = s.sessions, s.scenarios, s.journal, s.redactor
	if s.journal == nil {
		opts.JournalSize = -1
	}
	return New(opts)
}

// Mint creates a new session (a new device) of user and returns its token.
func (s *Server) Mint(user string) (string, error) { return s.sessions.Mint(user) }

// storeHalt is the 503 problem for a failed call of a shared store: the
// mock does not know the answer, so it gives none rather than a wrong 200
// or 401. The detail names the store and what went wrong.
func storeHalt(err error) *halt {
	return &halt{decision: "store.unavailable", header: [][2]string{{"Retry-After", "1"}},
		problem: &Problem{Type: problemStoreUnavailable, Title: "The mock's store is unavailable", Status: http.StatusServiceUnavailable, Detail: err.Error()}}
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// dispatch sends the control API's prefix to the control API and every
// other path through the spec's pipeline.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	if hasControlPrefix(r.URL.Path) {
		s.control.ServeHTTP(w, r)
		return
	}
	s.serveAPI(w, r)
}
