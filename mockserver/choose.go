package mockserver

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/flashback/revoke-contract/mockserver/scenario"
)

// choice is the documented answer the pipeline writes: a response, one of
// its examples, and what the request log and the answer's headers say of
// the choice.
type choice struct {
	answer    *answer
	example   example
	applied   string // Preference-Applied, when Prefer chose
	challenge string // WWW-Authenticate, for a 401 chosen with Prefer
	decision  string
	revoke    bool // a 2xx of revoke-all: the caller's sessions end
}

func (c *choice) revokes() bool { return c.revoke }

// choose is the pipeline's fourth stage: the answer the request gets, and
// how it is delivered. By default the operation's first 2xx with its first
// example; Prefer: code= and example= (RFC 7240, as Prism reads them)
// choose another; without them, the oldest scenario that matches the
// request (operation, user, header) decides and spends one of its uses.
// Prefer wins over a scenario, which then stays unused: a script's explicit
// header is more specific than a standing arrangement. The delay is, first
// found: Prefer: delay=, the scenario's delay, the mock's latency.
//
// A code or an example the spec lacks is the unknown-preference problem,
// listing what exists; never a silent fallback.
func (s *Server) choose(op *operation, r *http.Request, user string) (*choice, delivery, *halt) {
	var d delivery
	var p preferences
	if prefer := r.Header["Prefer"]; len(prefer) > 0 {
		var err error
		if p, err = parsePrefer(prefer); err != nil {
			return nil, d, preferenceHalt(Problem{Title: "Malformed Prefer header", Detail: err.Error()})
		}
	}
	var sc scenario.Scenario
	var taken bool
	if p.code == "" && p.example == "" {
		var err error
		sc, taken, err = s.scenarios.TryTake(scenario.Request{Method: op.method, Path: op.path, User: user, Header: r.Header})
		if err != nil {
			// A scenario may have been due: the default answer could be wrong.
			return nil, d, storeHalt(err)
		}
	}
	switch {
	case p.delaySet:
		d.delay = p.delay
	case taken && sc.Delay > 0:
		d.delay = sc.Delay
	default:
		d.delay = s.latency.draw()
	}
	if taken {
		d.scenario, d.fault = sc.ID, sc.Fault
		if sc.Fault == scenario.Drip {
			d.delay = sc.Delay // the drip's duration (0: its default), not a wait before it
		}
		c, h := s.pick(op, sc.Status, sc.Example, "scenario "+sc.ID)
		if h != nil {
			// The spec changed under the scenario (it was checked when added).
			return nil, d, h
		}
		c.decision = "scenario " + sc.ID + ": " + c.decision
		if sc.Fault != "" {
			c.decision += ", fault " + string(sc.Fault)
		}
		return c, d, nil
	}
	if p.code == "" && p.example == "" && op.unadorned != nil {
		return op.unadorned, d, nil
	}
	c, h := s.pick(op, p.code, p.example, "Prefer")
	if h != nil {
		return nil, d, h
	}
	var applied []string
	if p.code != "" {
		applied = append(applied, "code="+p.code)
	}
	if p.example != "" {
		applied = append(applied, "example="+p.example)
	}
	c.applied = strings.Join(applied, ", ")
	if c.applied != "" {
		c.decision += " (Prefer " + c.applied + ")"
	}
	return c, d, nil
}

// pick finds the answer a code and an example name (either may be empty)
// choose among op's documented ones; by says who asked, for the problem.
func (s *Server) pick(op *operation, code, exampleName, by string) (*choice, *halt) {
	a, h := op.pickAnswer(code, exampleName, by)
	if h != nil {
		if h.problem != nil && h.problem.Type == problemInternal {
			h.problem.Detail = fmt.Sprintf("%s %s has no responses in %s", op.method, op.path, s.spec.Source)
		}
		return nil, h
	}
	ex := a.examples[0]
	if exampleName != "" {
		ex, _ = a.example(exampleName)
	}
	c := &choice{answer: a, example: ex, decision: "example " + a.code + "/" + exampleLabel(ex),
		revoke: op.revokes && !a.isDefault && a.status >= 200 && a.status < 300}
	if a.status == http.StatusUnauthorized {
		// The challenge matches the chosen example, as on a real 401: the
		// "no credentials" example gets no error parameter (RFC 6750 3.1).
		p := credUnknown
		if ex.name == unauthorizedExample(credMissing) {
			p = credMissing
		}
		c.challenge = s.challenge(p)
	}
	return c, nil
}

// pickAnswer is the documented answer that code and exampleName name, or
// the unknown-preference problem listing what exists.
func (op *operation) pickAnswer(code, exampleName, by string) (*answer, *halt) {
	asked := func(key, val string) string {
		if by == "Prefer" {
			return "Prefer: " + key + "=" + val
		}
		if key == "code" {
			key = "status"
		}
		return fmt.Sprintf("%s asks for %s %s", by, key, val)
	}
	a := op.first2xx()
	if a == nil && len(op.answers) > 0 {
		a = op.answers[0]
	}
	if code != "" {
		if a = op.answer(code); a == nil {
			return nil, preferenceHalt(Problem{Title: "No such response code in the spec",
				Detail:    fmt.Sprintf("%s, but %s %s documents only these codes", asked("code", code), op.method, op.path),
				Available: op.codes()})
		}
	}
	if a == nil {
		return nil, &halt{decision: "spec.no-responses", problem: &Problem{Type: problemInternal, Title: "The spec documents no response", Status: http.StatusInternalServerError}}
	}
	if exampleName == "" {
		return a, nil
	}
	candidates := op.answers
	if code != "" {
		candidates = []*answer{a}
	}
	for _, c := range candidates {
		if _, ok := c.example(exampleName); ok {
			return c, nil
		}
	}
	var avail []string
	for _, c := range candidates {
		for _, n := range c.exampleNames() {
			avail = append(avail, c.code+": "+n)
		}
	}
	return nil, preferenceHalt(Problem{Title: "No such example in the spec",
		Detail: fmt.Sprintf("%s, but %s %s has no example of that name", asked("example", exampleName), op.method, op.path), Available: avail})
}

func preferenceHalt(p Problem) *halt {
	p.Type, p.Status = problemUnknownPreference, http.StatusBadRequest
	return &halt{decision: "prefer.unknown", problem: &p}
}

// preferences are the parts of an RFC 7240 Prefer header the mock honours.
type preferences struct {
	code, example string
	delay         time.Duration
	delaySet      bool
}

// parsePrefer reads every Prefer header. Unknown preferences are ignored, as
// RFC 7240 section 2 requires; a malformed code is reported.
func parsePrefer(values []string) (preferences, error) {
	var p preferences
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			pref, _, _ := strings.Cut(item, ";") // parameters are not used
			name, val, ok := strings.Cut(pref, "=")
			name = strings.ToLower(strings.TrimSpace(name))
			val = strings.TrimSpace(val)
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				val = val[1 : len(val)-1]
			}
			switch name {
			case "code":
				if !ok || val == "" {
					return p, fmt.Errorf("the code preference needs a value, as in Prefer: code=500")
				}
				p.code = val
			case "example":
				if !ok || val == "" {
					return p, fmt.Errorf("the example preference needs a value, as in Prefer: example=success")
				}
				p.example = val
			case "delay":
				ms, err := strconv.ParseInt(val, 10, 64)
				if !ok || err != nil || ms < 0 {
					return p, fmt.Errorf("the delay preference is a whole number of milliseconds, as in Prefer: delay=1500; got %q", val)
				}
				if ms > MaxDelay.Milliseconds() {
					return p, fmt.Errorf("the delay preference %s ms is longer than the mock's limit of %d ms (%s)", val, MaxDelay.Milliseconds(), MaxDelay)
				}
				p.delay, p.delaySet = time.Duration(ms)*time.Millisecond, true
			}
		}
	}
	return p, nil
}
