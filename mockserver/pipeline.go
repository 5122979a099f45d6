package mockserver

import "net/http"

// serveAPI answers a request to a path of the spec. Each stage returns its
// result or a *halt; a halt is written instead of the answer, and this is
// the only place where the pipeline stops early.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	m, h := s.route(r)
	if h != nil {
		s.writeHaltLate(w, r, h)
		return
	}
	annotate(w, m.op.name, "")
	token, user, h := s.authenticate(r, m.op)
	if h != nil {
		s.writeHaltLate(w, r, h)
		return
	}
	annotate(w, m.op.name, user)
	if h := s.validate(r, m); h != nil {
		s.writeHaltLate(w, r, h)
		return
	}
	c, d, h := s.choose(m.op, r, user)
	if h != nil {
		s.writeHaltLate(w, r, h)
		return
	}
	// The work comes first: whatever the delay or the fault, a 2xx of
	// revoke-all has revoked when the client could have heard of it.
	if c.revokes() && token != "" {
		if err := s.sessions.RevokeUser(token); err != nil {
			// Never a 200 for a revocation that may not have happened.
			s.writeHaltLate(w, r, storeHalt(err))
			return
		}
	}
	decide(w, c.decision)
	if d.scenario != "" {
		w.Header().Set(ScenarioHeader, d.scenario)
		noteScenario(w, d.scenario)
	}
	s.deliver(w, r, c, d)
}

// writeHaltLate writes a halt after the mock's latency, if any: a slow
// network is slow for errors too.
func (s *Server) writeHaltLate(w http.ResponseWriter, r *http.Request, h *halt) {
	if !s.wait(w, r, s.latency.draw()) {
		decide(w, h.decision+"; client left during the delay")
		return
	}
	writeHalt(w, h)
}

// ScenarioHeader names, on an answer a scenario decided, that scenario.
const ScenarioHeader = "Mock-Scenario"

// halt is a stage's decision to answer something else than the operation's
// answer: a documented answer (the spec's 401), a problem of the mock's own,
// or a bare status, with the headers that go with it, and the decision the
// request log names.
type halt struct {
	decision string
	header   [][2]string // set before writing: Allow, WWW-Authenticate
	answer   *answer     // a documented answer, with example, or
	example  example
	problem  *Problem // the mock's own problem, or
	status   int      // a bare status
}
