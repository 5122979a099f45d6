package mockserver

import (
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/flashback/revoke-contract/mockserver/store"
)

// credentialProblem says why a request's credentials were refused; credOK
// means they were accepted.
type credentialProblem int

const (
	credOK        credentialProblem = iota
	credMissing                     // no credentials at all: challenge without error
	credScheme                      // a scheme other than the one required
	credEmpty                       // "Bearer" with no token
	credMalformed                   // not an RFC 6750 b64token
	credUnknown                     // well formed, but no such session
	credRevoked                     // the session was revoked
)

// credentialTable says, for each problem, what the request log and the
// challenge name, and its rank: when no alternative of an operation's
// security is met, the answer names the problem of highest rank, the one
// closest to working credentials.
var credentialTable = map[credentialProblem]struct {
	decision    string
	description string
	rank        int
}{
	credOK:        {"auth.ok", "", 0},
	credMissing:   {"auth.missing", "no credentials were sent", 1},
	credScheme:    {"auth.scheme", "the Authorization scheme is not Bearer", 2},
	credEmpty:     {"auth.empty", "the bearer token is empty", 3},
	credMalformed: {"auth.malformed", "the bearer token is malformed", 4},
	credUnknown:   {"auth.unknown", "the bearer token is not a known session", 5},
	credRevoked:   {"auth.revoked", "the session was revoked", 6},
}

// authenticate is the pipeline's second stage: it checks r against the
// operation's security and the session store, and returns the bearer token
// found (for revocation) and the session's user when known (for scenarios
// and the journal), or the spec's 401 with an RFC 6750 challenge.
func (s *Server) authenticate(r *http.Request, op *operation) (token, user string, h *halt) {
	if len(op.security) == 0 {
		return "", "", nil
	}
	worst := credMissing
	for _, alt := range op.security {
		token, user, p, err := s.satisfy(r, alt)
		if err != nil {
			return "", "", storeHalt(err)
		}
		if p == credOK {
			return token, user, nil
		}
		if credentialTable[p].rank > credentialTable[worst].rank {
			worst = p
		}
	}
	return "", "", op.unauthorized[worst]
}

// unauthorizedHalts prepares op's 401 for each credential problem: the
// spec's 401 and its example for that problem, or the mock's own 401
// problem when the spec documents none.
func (s *Server) unauthorizedHalts(op *operation) map[credentialProblem]*halt {
	out := map[credentialProblem]*halt{}
	a := op.answer("401")
	for p, row := range credentialTable {
		if p == credOK {
			continue
		}
		h := &halt{decision: row.decision, header: [][2]string{{"WWW-Authenticate", s.challenge(p)}}}
		if a == nil {
			h.problem = &Problem{Type: problemUnauthorized, Title: "Unauthorized", Status: http.StatusUnauthorized, Detail: row.description}
		} else {
			ex, ok := a.example(unauthorizedExample(p))
			if !ok {
				ex = a.examples[0]
			}
			h.answer, h.example = a, ex
			h.decision += " -> example 401/" + exampleLabel(ex)
		}
		out[p] = h
	}
	return out
}

// unauthorizedExample names the spec's 401 example for a credential
// problem: one for no credentials, one for every bad credential.
func unauthorizedExample(p credentialProblem) string {
	if p == credMissing {
		return "missing_token"
	}
	return "invalid_token"
}

// challenge builds the WWW-Authenticate value (RFC 6750 section 3): no
// error parameter when no credentials were sent.
func (s *Server) challenge(p credentialProblem) string {
	c := `Bearer realm="` + s.realm + `"`
	if p == credMissing {
		return c
	}
	return c + `, error="invalid_token", error_description="` + credentialTable[p].description + `"`
}

// requirement is one alternative of an operation's security: every scheme
// in it must be satisfied. An empty requirement allows anonymous calls.
type requirement []scheme

type scheme struct {
	kind string // "bearer", "basic" or "apiKey"
	in   string // apiKey: header, query or cookie
	name string // apiKey: its name
}

// securityOf compiles the requirements that apply to op (its own, else the
// document's). Schemes the mock cannot check (for example mutualTLS) are
// treated as satisfied so that they never block a frontend.
func securityOf(doc *openapi3.T, op *openapi3.Operation) []requirement {
	reqs := doc.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	var out []requirement
	for _, alt := range reqs {
		var r requirement
		for name := range alt {
			ref := doc.Components.SecuritySchemes[name]
			if ref == nil || ref.Value == nil {
				continue
			}
			s := ref.Value
			switch {
			case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"), s.Type == "oauth2", s.Type == "openIdConnect":
				r = append(r, scheme{kind: "bearer"})
			case s.Type == "http" && strings.EqualFold(s.Scheme, "basic"):
				r = append(r, scheme{kind: "basic"})
			case s.Type == "apiKey":
				r = append(r, scheme{kind: "apiKey", in: s.In, name: s.Name})
			}
		}
		out = append(out, r)
	}
	return out
}

// maxTokenLen bounds a bearer token: real access tokens (JWTs included) are
// far shorter, and an unbounded one would let a client grow the lazy store.
const maxTokenLen = 4096

// bearerToken extracts the token of an Authorization header value. The
// scheme is matched case-insensitively (RFC 9110 section 11.1); the token
// must be an RFC 6750 section 2.1 b64token.
func bearerToken(header string) (string, credentialProblem) {
	if header == "" {
		return "", credMissing
	}
	scheme, rest, _ := strings.Cut(header, " ")
	if scheme != "Bearer" && !strings.EqualFold(scheme, "Bearer") {
		return "", credScheme
	}
	token := strings.TrimLeft(rest, " ")
	if token == "" {
		return "", credEmpty
	}
	if len(token) > maxTokenLen || !isB64Token(token) {
		return "", credMalformed
	}
	return token, credOK
}

// isB64Token reports whether s matches 1*( ALPHA / DIGIT / "-" / "." / "_"
// / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for i < len(s) && b64TokenByte[s[i]] {
		i++
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// b64TokenByte marks the bytes of a b64token before its padding: a table,
// since every request's token is checked byte by byte.
var b64TokenByte = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", byte(c)) >= 0
	}
	return t
}()

// firstValue is h.Get(key) for a key already in canonical form: the same
// value, without Get's canonicalisation of the key on every request.
func firstValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (s *Server) satisfy(r *http.Request, alt requirement) (string, string, credentialProblem, error) {
	var token, user string
	for _, sch := range alt {
		switch sch.kind {
		case "bearer":
			t, p := bearerToken(firstValue(r.Header, "Authorization"))
			if p != credOK {
				return "", "", p, nil
			}
			st, u, err := s.sessions.Lookup(t)
			if err != nil {
				return "", "", credOK, err
			}
			switch st {
			case store.Unknown:
				return "", "", credUnknown, nil
			case store.Revoked:
				return "", "", credRevoked, nil
			}
			token, user = t, u
		case "basic":
			h := firstValue(r.Header, "Authorization")
			if h == "" {
				return "", "", credMissing, nil
			}
			if sch, rest, _ := strings.Cut(h, " "); !strings.EqualFold(sch, "Basic") || strings.TrimSpace(rest) == "" {
				return "", "", credScheme, nil
			}
		case "apiKey":
			var v string
			switch sch.in {
			case "header":
				v = r.Header.Get(sch.name)
			case "query":
				v = r.URL.Query().Get(sch.name)
			case "cookie":
				if c, err := r.Cookie(sch.name); err == nil {
					v = c.Value
				}
			}
			if v == "" {
				return "", "", credMissing, nil
			}
		}
	}
	return token, user, credOK, nil
}
