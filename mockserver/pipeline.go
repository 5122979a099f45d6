package mockserver

import "net/http"

// serveAPI answers a request to a path of the spec. Each stage returns its
// result or a *halt; a halt is written instead of the answer, and this is
// the only place where the pipeline stops early.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	m, h := s.route(r)
	if h != nil {
		writeHalt(w, h)
		return
	}
	token, h := s.authenticate(r, m.op)
	if h != nil {
		writeHalt(w, h)
		return
	}
	if h := s.validate(r, m); h != nil {
		writeHalt(w, h)
		return
	}
	c, h := s.choose(m.op, r)
	if h != nil {
		writeHalt(w, h)
		return
	}
	if c.revokes() && token != "" {
		s.sessions.RevokeAll(token)
	}
	decide(w, c.decision)
	s.write(w, c)
}

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
