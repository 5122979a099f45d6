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
	// Sessions are the fresh sessions the rule creates when it passes.
	Sessions Needs
	// OnlyWhen, when set, is the kind of backend the rule applies to; with
	// any other it is skipped, saying so (AUTH-014: tokens that are JWTs).
	OnlyWhen string
}

// Needs counts sessions per user (CONTRACT_USER primary and secondary).
type Needs struct{ Primary, Secondary int }

// Of is the need for user.
func (n Needs) Of(user string) int {
	if user == Secondary {
		return n.Secondary
	}
	return n.Primary
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
	srcSeed     = "upstream doc (spec/upstream/revoke-all.md)"
	srcSpec     = "spec/openapi.yaml"
	srcRFC6750  = "RFC 6750"
	srcRFC9110  = "RFC 9110"
	srcOWASPAPI = "OWASP API Security Top 10 2023, API2 Broken Authentication"
)

// Catalogue lists every rule in the order the suite runs them (cross-cutting
// rules last). Keep it in step with RULES.md (a unit test checks).
var Catalogue = []Rule{
	{ID: "AUTH-001", Level: Must, Group: "auth", Stateful: false, Requirement: "a request without an Authorization header is answered 401", Source: srcSpec + " (security: BearerAuth; 401); " + srcRFC6750 + " §3; " + srcOWASPAPI},
	{ID: "AUTH-002", Level: Must, Group: "auth", Stateful: false, Requirement: "Basic credentials are not Bearer credentials: 401 (or 400)", Source: srcSpec + " (BearerAuth); " + srcRFC6750 + " §2.1, §3.1; " + srcOWASPAPI},
	{ID: "AUTH-003", Level: Must, Group: "auth", Stateful: false, Requirement: "a scheme other than Bearer (Token, Digest, none) is rejected: 401 (or 400)", Source: srcSpec + " (BearerAuth); " + srcRFC6750 + " §2.1; " + srcRFC9110 + " §11.4; " + srcOWASPAPI, Sessions: Needs{Primary: 1}},
	{ID: "AUTH-004", Level: Must, Group: "auth", Stateful: false, Requirement: "an empty Bearer credential is rejected: 401 (or 400)", Source: srcRFC6750 + " §2.1, §3.1; " + srcOWASPAPI},
	{ID: "AUTH-005", Level: Must, Group: "auth", Stateful: true, Requirement: "a well-formed token that no session has (random, or a forged unsigned JWT) is answered 401", Source: srcRFC6750 + " §3.1 (invalid_token); " + srcOWASPAPI},
	{ID: "AUTH-006", Level: Must, Group: "auth", Stateful: true, Requirement: "a revoked token is answered 401, every time", Source: srcSeed + " (revoke = log out); " + srcRFC6750 + " §3.1; " + srcOWASPAPI, Sessions: Needs{Primary: 1}},
	{ID: "AUTH-007", Level: Must, Group: "auth", Stateful: true, Requirement: "a rejected request changes nothing: the caller's valid token still works afterwards", Source: srcRFC9110 + " §15.5.2 (the request was not applied); " + srcOWASPAPI, Sessions: Needs{Primary: 2}},
	{ID: "AUTH-008", Level: Must, Group: "auth", Stateful: false, Requirement: "credentials count only in the Authorization header (not query, form body, cookie, X-Access-Token): 401", Source: srcSpec + " (BearerAuth is an http bearer scheme, i.e. the Authorization header); " + srcRFC6750 + " §2, §5.3; " + srcOWASPAPI, Sessions: Needs{Primary: 1}},
	{ID: "AUTH-009", Level: Must, Group: "auth", Stateful: false, Requirement: "malformed credentials are answered 400 or 401, never 2xx, never 5xx", Source: srcRFC6750 + " §2.1, §3.1 (invalid_request); " + srcOWASPAPI, Sessions: Needs{Primary: 1}},
	{ID: "AUTH-010", Level: Should, Group: "auth", Stateful: false, Requirement: "every 401 carries a WWW-Authenticate Bearer challenge, with error=\"invalid_token\" when a token was sent", Source: srcRFC6750 + " §3, §3.1; " + srcRFC9110 + " §15.5.2, §11.6.1; " + srcSpec + " (401 header)"},
	{ID: "AUTH-011", Level: Should, Group: "auth", Stateful: false, Requirement: "the auth scheme is case-insensitive: \"bearer\" and \"BEARER\" work like \"Bearer\" (200)", Source: srcRFC9110 + " §11.1; " + srcRFC6750 + " §2.1", Sessions: Needs{Primary: 1, Secondary: 1}},
	{ID: "AUTH-012", Level: Should, Group: "auth", Stateful: false, Requirement: "no response repeats the credential that was sent (headers or body)", Source: srcRFC6750 + " §5.3 (don't leak tokens); " + srcOWASPAPI},
	{ID: "AUTH-013", Level: Must, Group: "auth", Stateful: true, Requirement: "only the exact token that was issued is accepted: a character appended, the last character dropped, its first half, its letters in the other case, one character changed near its end, or \"=\" padding added are each answered 401 (or 400), and the token itself still works", Source: srcRFC6750 + " §2.1 (b64token, compared as issued); " + srcOWASPAPI + " (weak token validation)", Sessions: Needs{Primary: 1}},
	{ID: "AUTH-014", Level: Must, Group: "auth", Stateful: true, Requirement: "a JWT whose signature is stripped, replaced by \"alg\":\"none\", re-signed with an empty HS256 key, or whose payload was altered under the original signature is answered 401 (or 400), and the token itself still works", Source: "RFC 8725 §2.1, §3.1 (JWT best practices: verify the signature, never accept \"none\"); RFC 7515 §5.2; " + srcOWASPAPI, Sessions: Needs{Primary: 1}, OnlyWhen: "the backend's tokens are JWTs (three base64url parts, a JSON header with \"alg\")"},
	{ID: "SCHEMA-001", Level: Must, Group: "schema", Stateful: false, Requirement: "a 200 answer validates against the spec: documented status, application/json, body parses and matches the 200 schema", Source: srcSpec + " (200); " + srcSeed, Sessions: Needs{Primary: 1}},
	{ID: "SCHEMA-002", Level: Must, Group: "schema", Stateful: false, Requirement: "401 answers validate against the spec's 401 response (WWW-Authenticate header, application/json, ErrorResponse body)", Source: srcSpec + " (401)"},
	{ID: "SCHEMA-003", Level: Must, Group: "schema", Stateful: false, Requirement: "every 500 answer of the run matches the spec's 500 response (application/json, ErrorResponse body)", Source: srcSpec + " (500); " + srcSeed, Sessions: Needs{Primary: 1}},
	{ID: "SCHEMA-004", Level: Must, Group: "schema", Stateful: false, Requirement: "every answer to POST /sessions/revoke-all has a documented status (200, 401, 500; 400 only for malformed credentials) and a JSON body and content type; every 200 and 401 matches the spec's response for its status", Source: srcSpec + " (responses); " + srcRFC6750 + " §3.1 (400 invalid_request)"},
	{ID: "SCHEMA-005", Level: Should, Group: "schema", Stateful: false, Requirement: "a 200 body says \"success\": true and has a string \"message\"", Source: srcSeed + " (200 example); " + srcSpec + " (RevokeAllSuccess)", Sessions: Needs{Primary: 1}},
	{ID: "SCHEMA-006", Level: Should, Group: "schema", Stateful: false, Requirement: "an error body (400, 401, 500) says \"success\": false and has a string \"error\"", Source: srcSeed + " (500 example); " + srcSpec + " (ErrorResponse)"},
	{ID: "SCHEMA-007", Level: Should, Group: "schema", Stateful: false, Requirement: "answers to requests that carried credentials (200, 401) have Cache-Control: no-store", Source: srcRFC6750 + " §5.3 (responses with tokens not cached); " + srcRFC9110 + " §15.5.2; OWASP API8 Security Misconfiguration", Sessions: Needs{Primary: 1}},
	{ID: "HTTP-001", Level: Must, Group: "http", Stateful: false, Requirement: "GET, PUT, PATCH, DELETE and HEAD on the path never answer 2xx, even with a valid token", Source: srcSpec + " (only POST is defined); " + srcRFC9110 + " §9.1, §15.5.6", Sessions: Needs{Primary: 1}},
	{ID: "HTTP-002", Level: Must, Group: "http", Stateful: true, Requirement: "other methods never revoke: afterwards the same token still works with POST (200)", Source: srcRFC9110 + " §9.2.1 (safe methods); " + srcSpec, Sessions: Needs{Primary: 1}},
	{ID: "HTTP-003", Level: Should, Group: "http", Stateful: false, Requirement: "other methods are answered 405 with an Allow header that lists POST", Source: srcRFC9110 + " §15.5.6, §10.2.1", Sessions: Needs{Primary: 1}},
	{ID: "HTTP-004", Level: Must, Group: "http", Stateful: false, Requirement: "unexpected request bodies (JSON, invalid JSON, 512 KiB, form data, text) never cause a 5xx", Source: srcSpec + " (no requestBody); " + srcRFC9110 + " §15.6 (5xx means a server fault)", Sessions: Needs{Primary: 3, Secondary: 2}},
	{ID: "HTTP-005", Level: Must, Group: "http", Stateful: false, Requirement: "odd headers (Accept, Content-Type, an 8 KiB header, two Authorization headers, a chunked body) never cause a 5xx", Source: srcRFC9110 + " §12.5.1, §15.6; " + srcRFC6750 + " §2", Sessions: Needs{Primary: 3, Secondary: 3}},
	{ID: "HTTP-006", Level: Must, Group: "http", Stateful: false, Requirement: "no request to the endpoint in the whole run is answered with a redirect (3xx)", Source: srcSpec + " (responses: 200, 401, 500); " + srcRFC9110 + " §15.4 (a redirected POST may become a GET; credentials may leak)"},
	{ID: "HTTP-007", Level: Must, Group: "http", Stateful: false, Requirement: "path variants of the endpoint without credentials are never answered 2xx (no auth bypass)", Source: srcOWASPAPI + "; OWASP API5 Broken Function Level Authorization"},
	{ID: "REV-001", Level: Must, Group: "revocation", Stateful: true, Requirement: "after a 200, the caller's token is rejected (401) at once", Source: srcSeed + " (\"Revoke all active sessions\"); " + srcOWASPAPI, Sessions: Needs{Primary: 1}},
	{ID: "REV-002", Level: Must, Group: "revocation", Stateful: true, Requirement: "after a 200, every other session of the same user is rejected (401)", Source: srcSeed + " (\"across all devices\"); " + srcOWASPAPI, Sessions: Needs{Primary: 4}},
	{ID: "REV-003", Level: Must, Group: "revocation", Stateful: true, Requirement: "a session of another user still works (200)", Source: srcSeed + " (\"for the authenticated user\")", Sessions: Needs{Primary: 1, Secondary: 1}},
	{ID: "REV-004", Level: Must, Group: "revocation", Stateful: true, Requirement: "a session created after the revoke-all for the same user works (200)", Source: srcSeed + " (logout, not a ban)", Sessions: Needs{Primary: 2}},
	{ID: "REV-005", Level: Must, Group: "revocation", Stateful: true, Requirement: "concurrent revoke-alls of one user's sessions all end in 200 or 401 (at least one 200, no 5xx) and all those sessions end up rejected", Source: srcSeed + "; " + srcRFC9110 + " §15.6; " + srcOWASPAPI, Sessions: Needs{Primary: 6}},
	{ID: "REV-006", Level: Must, Group: "revocation", Stateful: true, Requirement: "revocation is permanent: a revoked token stays rejected after a new login of the same user", Source: srcSeed + "; " + srcOWASPAPI, Sessions: Needs{Primary: 2}},
	{ID: "REV-007", Level: Must, Group: "revocation", Stateful: true, Requirement: "a user with many sessions (30, more than a page or batch of 10, 20 or 25) loses every one of them, the caller's included: each answers 401 afterwards", Source: srcSeed + " (\"Revoke all active sessions ... across all devices\"); " + srcOWASPAPI, Sessions: Needs{Secondary: ManySessions}},
	// The model-based checker: one generated history, checked against the
	// model of what the endpoint means (contract/internal/model); the
	// rules are its invariants. Their sessions are what the budget leaves.
	{ID: "MODEL-001", Level: Must, Group: "model", Stateful: true, Requirement: "identity comes from the bearer credential alone: nothing else in a request (a header, a cookie, a query parameter, a body field, a spelling of the method or the path) authenticates it or changes whose sessions it revokes", Source: srcSeed + " (\"for the authenticated user\"); " + srcSpec + " (BearerAuth); OWASP API Security Top 10 2023 API1, API2, API5; OWASP ASVS 4.0.3 V4.1.1, V3.5; contract/THREATS.md"},
	{ID: "MODEL-002", Level: Must, Group: "model", Stateful: true, Requirement: "revocation is total and lasting: after a 200 from a session of a user, every session of that user created before it is rejected (401) by every later request, of any method or spelling, until the run ends (after --durability-wait too)", Source: srcSeed + " (\"Revoke all active sessions ... across all devices\"); OWASP ASVS 4.0.3 V3.3.1, V3.3.3; " + srcOWASPAPI},
	{ID: "MODEL-003", Level: Must, Group: "model", Stateful: true, Requirement: "nothing else changes: other users' sessions, and sessions of the user created after the call, keep working; a request that is not an authenticated POST to the path revokes nothing (a session the backend ends on its own, by expiry or a cap, is told apart by replaying the history without the other steps)", Source: srcSeed + " (\"for the authenticated user\"); " + srcRFC9110 + " §9.2.1, §15.5.2; OWASP API Security Top 10 2023 API1, API5"},
	{ID: "MODEL-004", Level: Must, Group: "model", Stateful: true, Requirement: "every answer to a generated request passes the schema and HTTP checks: no 5xx, no redirect of the path itself, no 2xx to a method other than POST (OPTIONS excepted), answers to POST on the path match the spec, the documented call with a live token answers 200 or 401", Source: srcSpec + "; " + srcRFC9110 + " §9.1, §15.4, §15.6"},
}

// ManySessions is the number of sessions of one user (secondary, whose
// budget the other rules hardly use) that REV-007 revokes at once: more
// than the page or batch sizes (10, 20, 25) a backend may revoke them in.
const ManySessions = 30

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
