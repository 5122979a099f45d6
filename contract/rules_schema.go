package contract

import (
	"fmt"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
)

// expectSchema validates ex's answer against the spec.
func (c *check) expectSchema(ex *Exchange) {
	if !c.answered(ex) {
		return
	}
	if problems := env.schema.Check(ex); len(problems) > 0 {
		c.violate(ex, "the %d answer does not match the spec (libopenapi-validator):\n     - %s", ex.Status, strings.Join(problems, "\n     - "))
	}
}

func schemaRules() {
	Context("with a valid token", func() {
		rule("SCHEMA-001", "answers 200 with a body that matches the spec", func(c *check) {
			tok := c.spendStatic()
			ex := c.send(withBearer("valid token", tok))
			if c.expectStatus(ex, "a valid token is accepted", 200) {
				c.expectSchema(ex)
			}
		})
	})

	Context("without valid credentials", func() {
		rule("SCHEMA-002", "answers 401 as the spec documents it", func(c *check) {
			ex := c.send(post("no Authorization header"))
			if c.expectStatus(ex, reject401, 401) {
				c.expectSchema(ex)
			}
			// Whether an unknown token is refused at all needs a backend
			// with sessions (AUTH-005, stateful); this rule judges the shape
			// of the 401, so a stateless backend's 2xx is left to AUTH-005.
			ex = c.send(withBearer("unknown random token", randomToken()))
			if ex.Answered() && ex.Status/100 == 2 {
				fmt.Fprintf(GinkgoWriter, "  the unknown token was accepted (%d): a stateless backend? AUTH-005 judges that; no 401 to validate\n", ex.Status)
				return
			}
			if c.expectStatus(ex, "RFC 6750 §3.1: an invalid token is answered 401", 401) {
				c.expectSchema(ex)
			}
		})
	})

	Context("when it succeeds", func() {
		rule("SCHEMA-005", `says "success": true with a string "message"`, func(c *check) {
			answers := c.ownAndRecorded(func(ex *Exchange) bool { return ex.Status == 200 }, func() *Exchange {
				return c.send(withBearer("valid token", c.fresh(Primary)))
			})
			for _, ex := range answers {
				c.expectBodyFields(ex, true, "message")
			}
		})
	})

	Context("when it fails", func() {
		rule("SCHEMA-006", `says "success": false with a string "error"`, func(c *check) {
			c.send(post("no Authorization header"))
			n := 0
			for _, ex := range endpointAnswers() {
				if slices.Contains([]int{400, 401, 500}, ex.Status) {
					n++
					c.expectBodyFields(ex, false, "error")
				}
			}
			if n == 0 {
				Skip("no 400, 401 or 500 answer appeared in this run, not even to this rule's own request without credentials: nothing to check")
			}
		})
	})

	Context("with credentials", func() {
		rule("SCHEMA-007", "forbids caching its answer with Cache-Control: no-store", func(c *check) {
			c.send(withBearer("unknown random token", randomToken()))
			answers := c.ownAndRecorded(func(ex *Exchange) bool {
				return ex.Authorized && (ex.Status == 200 || ex.Status == 401)
			}, func() *Exchange { return c.send(withBearer("valid token", c.fresh(Primary))) })
			for _, ex := range answers {
				if !slices.Contains(CacheDirectives(ex.RespHeader.Values("Cache-Control")), "no-store") {
					c.violate(ex, "a %d answer to a request with credentials lacks Cache-Control: no-store (got %q)", ex.Status, ex.RespHeader.Values("Cache-Control"))
				}
			}
			fmt.Fprintf(GinkgoWriter, "checked %d answers to requests with credentials\n", len(answers))
		})
	})
}

// ownAndRecorded sends the rule's own probe when tokens can be minted and
// returns every recorded endpoint answer that matches; when there is neither
// a probe nor a recorded answer, the rule is skipped.
func (c *check) ownAndRecorded(match func(*Exchange) bool, probe func() *Exchange) []*Exchange {
	if env.tokens.CanMint() {
		probe()
	}
	var out []*Exchange
	for _, ex := range endpointAnswers() {
		if match(ex) {
			out = append(out, ex)
		}
	}
	switch {
	case len(out) > 0:
	case !env.tokens.CanMint():
		Skip(env.tokens.NeedsCmd() + " (and no matching answer was recorded earlier in the run)")
	default:
		Skip("no matching answer appeared in this run, not even to this rule's own request: nothing to check (see the rules that failed)")
	}
	return out
}

// expectBodyFields checks "success" is success and field is a string.
func (c *check) expectBodyFields(ex *Exchange, success bool, field string) {
	obj := JSONObject(ex.RespBody)
	if obj == nil {
		c.violate(ex, "the %d body is not a JSON object", ex.Status)
		return
	}
	var missing []string
	if v, ok := obj["success"].(bool); !ok || v != success {
		missing = append(missing, fmt.Sprintf(`"success": %t (got %s)`, success, jsonValue(obj, "success")))
	}
	if _, ok := obj[field].(string); !ok {
		missing = append(missing, fmt.Sprintf(`a string %q (got %s)`, field, jsonValue(obj, field)))
	}
	if len(missing) > 0 {
		c.violate(ex, "the %d body should have %s", ex.Status, strings.Join(missing, " and "))
	}
}

func jsonValue(obj map[string]any, key string) string {
	v, ok := obj[key]
	if !ok {
		return "nothing"
	}
	return fmt.Sprintf("%T %v", v, v)
}

// schema500Rule: SCHEMA-003, over every 500 of the run.
func schema500Rule() {
	rule("SCHEMA-003", "answers every 500 of the run with the spec's 500 body", func(c *check) {
		if env.tokens.CanMint() {
			// Mocks (Prism, ours) answer the documented 500 on request; a real
			// backend ignores the header and answers 200.
			r := withBearer("valid token asking for the documented 500 (Prefer: code=500)", c.fresh(Primary))
			r.Header = append(r.Header, [2]string{"Prefer", "code=500"})
			c.send(r)
		}
		all := env.recorder.All()
		n := 0
		for _, ex := range all {
			if ex.Status != 500 {
				continue
			}
			n++
			c.expectSchema(ex)
		}
		if n == 0 {
			Skip(fmt.Sprintf("no 500 answer appeared in this run (%d exchanges): nothing to check", len(all)))
		}
		fmt.Fprintf(GinkgoWriter, "checked %d answers with status 500\n", n)
	})
}

// documentedAnswersRule: SCHEMA-004, over every answer of the run.
func documentedAnswersRule() {
	rule("SCHEMA-004", "answers with a documented status and a JSON body, every time in the run", func(c *check) {
		answers := endpointAnswers()
		if len(answers) == 0 {
			Skip("no answer to POST /sessions/revoke-all was recorded: run this rule together with others")
		}
		for _, ex := range answers {
			switch {
			case ex.Status == 400 && !ex.Malformed:
				c.violate(ex, "400 is documented only for malformed credentials (RFC 6750 §3.1), and this request had none")
			case ex.Status != 400 && !slices.Contains([]int{200, 401, 500}, ex.Status):
				c.violate(ex, "status %d is not documented (the spec has 200, 401, 500; 400 for malformed credentials)", ex.Status)
				continue
			case ex.Status == 200 || ex.Status == 401:
				// Not only the answers SCHEMA-001 and SCHEMA-002 provoke: the 401
				// to a revoked token or the 200 to "bearer" must match too.
				// Every 500 is SCHEMA-003's.
				c.expectSchema(ex)
				continue
			}
			ct := ex.RespHeader.Get("Content-Type")
			if _, ok := JSONMediaType(ct); !ok {
				c.violate(ex, "Content-Type %q is not JSON (the spec documents application/json)", ct)
				continue
			}
			if p := JSONBodyProblem(ex.RespBody); p != "" {
				c.violate(ex, "%s", p)
			}
		}
		fmt.Fprintf(GinkgoWriter, "checked %d answers to POST %s\n", len(answers), EndpointPath)
	})
}
