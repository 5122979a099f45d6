package contract

import (
	"regexp"
	"strings"
)

// Level is how binding a rule is: a MUST failure fails the run, a SHOULD
// failure is a finding unless the run is strict.
type Level string

const (
	Must   Level = "MUST"
	Should Level = "SHOULD"
)

// Label is the Ginkgo label of a level ("must" or "should").
func (l Level) Label() string { return strings.ToLower(string(l)) }

// Rule is one entry of the catalogue. IDs are public names: never renumber.
type Rule struct {
	ID       string
	Level    Level
	Group    string // Ginkgo label: auth, schema, http, revocation
	Stateful bool   // needs a backend that keeps sessions
	// Requirement is what the backend must do, phrased for a failure report.
	Requirement string
	// Source is where the requirement comes from.
	Source string
}

// Labels are the rule's Ginkgo labels: group, level and, when it needs a
// backend that keeps sessions, "stateful".
func (r Rule) Labels() []string {
	l := []string{r.Group, r.Level.Label()}
	if r.Stateful {
		l = append(l, "stateful")
	}
	return l
}

const (
	srcSeed     = "seed doc (shared/seed/revoke-all.md)"
	srcSpec     = "spec/openapi.yaml"
	srcRFC6750  = "RFC 6750"
	srcRFC9110  = "RFC 9110"
	srcOWASPAPI = "OWASP API Security Top 10 2023, API2 Broken Authentication"
)

// Catalogue lists every rule in the order the suite runs them (cross-cutting
// rules last). Keep it in step with RULES.md (a unit test checks).
var Catalogue = []Rule{
	{"AUTH-001", Must, "auth", false, "a request without an Authorization header is answered 401", srcSpec + " (security: BearerAuth; 401); " + srcRFC6750 + " §3; " + srcOWASPAPI},
	{"AUTH-002", Must, "auth", false, "Basic credentials are not Bearer credentials: 401 (or 400)", srcSpec + " (BearerAuth); " + srcRFC6750 + " §2.1, §3.1; " + srcOWASPAPI},
	{"AUTH-003", Must, "auth", false, "a scheme other than Bearer (Token, Digest, none) is rejected: 401 (or 400)", srcSpec + " (BearerAuth); " + srcRFC6750 + " §2.1; " + srcRFC9110 + " §11.4; " + srcOWASPAPI},
	{"AUTH-004", Must, "auth", false, "an empty Bearer credential is rejected: 401 (or 400)", srcRFC6750 + " §2.1, §3.1; " + srcOWASPAPI},
	{"AUTH-005", Must, "auth", true, "a well-formed token that no session has (random, or a forged unsigned JWT) is answered 401", srcRFC6750 + " §3.1 (invalid_token); " + srcOWASPAPI},
	{"AUTH-006", Must, "auth", true, "a revoked token is answered 401, every time", srcSeed + " (revoke = log out); " + srcRFC6750 + " §3.1; " + srcOWASPAPI},
	{"AUTH-007", Must, "auth", true, "a rejected request changes nothing: the caller's valid token still works afterwards", srcRFC9110 + " §15.5.2 (the request was not applied); " + srcOWASPAPI},
	{"AUTH-008", Must, "auth", false, "credentials count only in the Authorization header (not query, form body, cookie, X-Access-Token): 401", srcSpec + " (BearerAuth is an http bearer scheme, i.e. the Authorization header); " + srcRFC6750 + " §2, §5.3; " + srcOWASPAPI},
	{"AUTH-009", Must, "auth", false, "malformed credentials are answered 400 or 401, never 2xx, never 5xx", srcRFC6750 + " §2.1, §3.1 (invalid_request); " + srcOWASPAPI},
	{"AUTH-010", Should, "auth", false, "every 401 carries a WWW-Authenticate Bearer challenge, with error=\"invalid_token\" when a token was sent", srcRFC6750 + " §3, §3.1; " + srcRFC9110 + " §15.5.2, §11.6.1; " + srcSpec + " (401 header)"},
	{"AUTH-011", Should, "auth", false, "the auth scheme is case-insensitive: \"bearer\" and \"BEARER\" work like \"Bearer\" (200)", srcRFC9110 + " §11.1; " + srcRFC6750 + " §2.1"},
	{"AUTH-012", Should, "auth", false, "no response repeats the credential that was sent (headers or body)", srcRFC6750 + " §5.3 (don't leak tokens); " + srcOWASPAPI},
	{"SCHEMA-001", Must, "schema", false, "a 200 answer validates against the spec: documented status, application/json, body parses and matches the 200 schema", srcSpec + " (200); " + srcSeed},
	{"SCHEMA-002", Must, "schema", false, "401 answers validate against the spec's 401 response (WWW-Authenticate header, application/json, ErrorResponse body)", srcSpec + " (401)"},
	{"SCHEMA-003", Must, "schema", false, "every 500 answer of the run matches the spec's 500 response (application/json, ErrorResponse body)", srcSpec + " (500); " + srcSeed},
	{"SCHEMA-004", Must, "schema", false, "every answer to POST /sessions/revoke-all has a documented status (200, 401, 500; 400 only for malformed credentials) and a JSON body and content type; every 200 and 401 matches the spec's response for its status", srcSpec + " (responses); " + srcRFC6750 + " §3.1 (400 invalid_request)"},
	{"SCHEMA-005", Should, "schema", false, "a 200 body says \"success\": true and has a string \"message\"", srcSeed + " (200 example); " + srcSpec + " (RevokeAllSuccess)"},
	{"SCHEMA-006", Should, "schema", false, "an error body (400, 401, 500) says \"success\": false and has a string \"error\"", srcSeed + " (500 example); " + srcSpec + " (ErrorResponse)"},
	{"SCHEMA-007", Should, "schema", false, "answers to requests that carried credentials (200, 401) have Cache-Control: no-store", srcRFC6750 + " §5.3 (responses with tokens not cached); " + srcRFC9110 + " §15.5.2; OWASP API8 Security Misconfiguration"},
	{"HTTP-001", Must, "http", false, "GET, PUT, PATCH, DELETE and HEAD on the path never answer 2xx, even with a valid token", srcSpec + " (only POST is defined); " + srcRFC9110 + " §9.1, §15.5.6"},
	{"HTTP-002", Must, "http", true, "other methods never revoke: afterwards the same token still works with POST (200)", srcRFC9110 + " §9.2.1 (safe methods); " + srcSpec},
	{"HTTP-003", Should, "http", false, "other methods are answered 405 with an Allow header that lists POST", srcRFC9110 + " §15.5.6, §10.2.1"},
	{"HTTP-004", Must, "http", false, "unexpected request bodies (JSON, invalid JSON, 512 KiB, form data, text) never cause a 5xx", srcSpec + " (no requestBody); " + srcRFC9110 + " §15.6 (5xx means a server fault)"},
	{"HTTP-005", Must, "http", false, "odd headers (Accept, Content-Type, an 8 KiB header, two Authorization headers, a chunked body) never cause a 5xx", srcRFC9110 + " §12.5.1, §15.6; " + srcRFC6750 + " §2"},
	{"HTTP-006", Must, "http", false, "no request to the endpoint in the whole run is answered with a redirect (3xx)", srcSpec + " (responses: 200, 401, 500); " + srcRFC9110 + " §15.4 (a redirected POST may become a GET; credentials may leak)"},
	{"HTTP-007", Must, "http", false, "path variants of the endpoint without credentials are never answered 2xx (no auth bypass)", srcOWASPAPI + "; OWASP API5 Broken Function Level Authorization"},
	{"REV-001", Must, "revocation", true, "after a 200, the caller's token is rejected (401) at once", srcSeed + " (\"Revoke all active sessions\"); " + srcOWASPAPI},
	{"REV-002", Must, "revocation", true, "after a 200, every other session of the same user is rejected (401)", srcSeed + " (\"across all devices\"); " + srcOWASPAPI},
	{"REV-003", Must, "revocation", true, "a session of another user still works (200)", srcSeed + " (\"for the authenticated user\")"},
	{"REV-004", Must, "revocation", true, "a session created after the revoke-all for the same user works (200)", srcSeed + " (logout, not a ban)"},
	{"REV-005", Must, "revocation", true, "concurrent revoke-alls of one user's sessions all end in 200 or 401 (at least one 200, no 5xx) and all those sessions end up rejected", srcSeed + "; " + srcRFC9110 + " §15.6; " + srcOWASPAPI},
	{"REV-006", Must, "revocation", true, "revocation is permanent: a revoked token stays rejected after a new login of the same user", srcSeed + "; " + srcOWASPAPI},
}

// ConcurrentRevokes is the number of sessions of one user that REV-005
// revokes with concurrent calls.
const ConcurrentRevokes = 6

// ruleIDPattern finds a rule ID, in brackets, in a spec's name: the leaf
// text "[AUTH-001] answers 401" or the full name "[It] POST
// /sessions/revoke-all [AUTH-001] answers 401 [auth, must]".
var ruleIDPattern = regexp.MustCompile(`\[([A-Z]+-\d{3})\]`)

// RuleIDOf returns the rule ID a spec's name carries, or "".
func RuleIDOf(name string) string {
	if m := ruleIDPattern.FindStringSubmatch(name); m != nil {
		return m[1]
	}
	return ""
}

// RuleByID returns the catalogue entry of id.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Catalogue {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
