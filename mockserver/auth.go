package mockserver

import (
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/flashback/revoke-contract/mockserver/store"
)

// credentialProblem says why a request's credentials were refused. The zero
// value means they were accepted.
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

var credDescriptions = [...]string{
	credOK:        "",
	credMissing:   "no credentials were sent",
	credScheme:    "the Authorization scheme is not Bearer",
	credEmpty:     "the bearer token is empty",
	credMalformed: "the bearer token is malformed",
	credUnknown:   "the bearer token is not a known session",
	credRevoked:   "the session was revoked",
}

// decision names the rule that decided an answer, for the request log.
func (p credentialProblem) decision() string {
	return [...]string{"auth.ok", "auth.missing", "auth.scheme", "auth.empty", "auth.malformed", "auth.unknown", "auth.revoked"}[p]
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
	if !strings.EqualFold(scheme, "Bearer") {
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
	for i < len(s) {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0 {
			i++
			continue
		}
		break
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

// authenticate checks r against the operation's requirements and the
// session store. It returns the bearer token found (for revocation) and the
// worst problem when no alternative is satisfied.
func (s *Server) authenticate(r *http.Request, reqs []requirement) (string, credentialProblem) {
	if len(reqs) == 0 {
		return "", credOK
	}
	worst := credMissing
	for _, alt := range reqs {
		token, p := s.satisfy(r, alt)
		if p == credOK {
			return token, credOK
		}
		if p > worst {
			worst = p
		}
	}
	return "", worst
}

func (s *Server) satisfy(r *http.Request, alt requirement) (string, credentialProblem) {
	var token string
	for _, sch := range alt {
		switch sch.kind {
		case "bearer":
			t, p := bearerToken(r.Header.Get("Authorization"))
			if p != credOK {
				return "", p
			}
			switch s.sessions.Check(t) {
			case store.Unknown:
				return "", credUnknown
			case store.Revoked:
				return "", credRevoked
			}
			token = t
		case "basic":
			h := r.Header.Get("Authorization")
			if h == "" {
				return "", credMissing
			}
			if sch, rest, _ := strings.Cut(h, " "); !strings.EqualFold(sch, "Basic") || strings.TrimSpace(rest) == "" {
				return "", credScheme
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
				return "", credMissing
			}
		}
	}
	return token, credOK
}
