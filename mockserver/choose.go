package mockserver

import (
	"fmt"
	"net/http"
	"strings"
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

// choose is the pipeline's fourth stage: the answer the request gets. By
// default the operation's first 2xx with its first example; Prefer: code=
// and example= (RFC 7240, as Prism reads them) choose another. A code or an
// example the spec lacks is the unknown-preference problem, listing what
// exists; never a silent fallback.
func (s *Server) choose(op *operation, r *http.Request) (*choice, *halt) {
	prefer := r.Header.Values("Prefer")
	if len(prefer) == 0 && op.unadorned != nil {
		return op.unadorned, nil
	}
	p, err := parsePrefer(prefer)
	if err != nil {
		return nil, preferenceHalt(Problem{Title: "Malformed Prefer header", Detail: err.Error()})
	}
	a := op.first2xx()
	if a == nil && len(op.answers) > 0 {
		a = op.answers[0]
	}
	var applied []string
	if p.code != "" {
		if a = op.answer(p.code); a == nil {
			return nil, preferenceHalt(Problem{Title: "No such response code in the spec",
				Detail:    fmt.Sprintf("Prefer: code=%s, but %s %s documents only these codes", p.code, op.method, op.path),
				Available: op.codes()})
		}
		applied = append(applied, "code="+p.code)
	}
	if a == nil {
		return nil, &halt{decision: "spec.no-responses", problem: &Problem{Type: problemInternal, Title: "The spec documents no response", Status: http.StatusInternalServerError,
			Detail: fmt.Sprintf("%s %s has no responses in %s", op.method, op.path, s.spec.Source)}}
	}
	ex := a.examples[0]
	if p.example != "" {
		candidates := op.answers
		if p.code != "" {
			candidates = []*answer{a}
		}
		found := false
		for _, c := range candidates {
			if e, ok := c.example(p.example); ok {
				a, ex, found = c, e, true
				break
			}
		}
		if !found {
			var avail []string
			for _, c := range candidates {
				for _, n := range c.exampleNames() {
					avail = append(avail, c.code+": "+n)
				}
			}
			return nil, preferenceHalt(Problem{Title: "No such example in the spec",
				Detail: fmt.Sprintf("Prefer: example=%s, but %s %s has no example of that name", p.example, op.method, op.path), Available: avail})
		}
		applied = append(applied, "example="+p.example)
	}
	c := &choice{answer: a, example: ex, applied: strings.Join(applied, ", "), decision: "example " + a.code + "/" + exampleLabel(ex),
		revoke: op.revokes && !a.isDefault && a.status >= 200 && a.status < 300}
	if c.applied != "" {
		c.decision += " (Prefer " + c.applied + ")"
	}
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

func preferenceHalt(p Problem) *halt {
	p.Type, p.Status = problemUnknownPreference, http.StatusBadRequest
	return &halt{decision: "prefer.unknown", problem: &p}
}

// preferences are the parts of an RFC 7240 Prefer header the mock honours.
type preferences struct {
	code, example string
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
			}
		}
	}
	return p, nil
}
