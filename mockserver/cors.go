package mockserver

import (
	"net/http"
	"net/url"
	"strings"
)

// exposedHeaders are the answer headers a page may read besides the
// CORS-safelisted ones: the 401 challenge, the applied preference, Allow
// and the scenario that decided.
const exposedHeaders = "WWW-Authenticate, Preference-Applied, Allow, " + ScenarioHeader

// defaultAllowedHeaders answer a preflight that lists no headers.
const defaultAllowedHeaders = "Authorization, Content-Type, Prefer"

type corsPolicy struct {
	any     bool
	origins map[string]bool // normalised scheme://host[:port]
}

func newCORSPolicy(origins []string) (corsPolicy, error) {
	p := corsPolicy{origins: map[string]bool{}}
	for _, o := range origins {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o == "*" {
			p.any = true
			continue
		}
		n, ok := normalizeOrigin(o)
		if !ok {
			return p, &OptionError{Option: "CORSOrigins", Value: o, Want: "an origin such as http://localhost:5173 (scheme, host and optional port; no path)"}
		}
		p.origins[n] = true
	}
	if len(p.origins) == 0 {
		p.any = true
	}
	return p, nil
}

func normalizeOrigin(o string) (string, bool) {
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || strings.Contains(o, "#") || u.User != nil {
		return "", false
	}
	host := u.Host
	// Browsers never send a default port (RFC 6454 section 6.2), so
	// https://app.example:443 in the list must match https://app.example.
	if p := u.Port(); (u.Scheme == "http" && p == "80") || (u.Scheme == "https" && p == "443") {
		host = strings.TrimSuffix(host, ":"+p)
	}
	return strings.ToLower(u.Scheme + "://" + host), true
}

func (p corsPolicy) allows(origin string) bool {
	if p.any {
		return true
	}
	n, ok := normalizeOrigin(origin)
	return ok && p.origins[n]
}

// withCORS adds the CORS headers to every answer and answers preflights
// itself. The Origin is echoed rather than "*" so that pages sending
// credentials work (Fetch refuses "*" with credentials).
func (s *Server) withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.applyCORS(w, r) {
			next.ServeHTTP(w, r)
		}
	})
}

// applyCORS sets the CORS headers and reports whether it answered the
// request itself (a preflight, or a refused one).
func (s *Server) applyCORS(w http.ResponseWriter, r *http.Request) bool {
	return s.cors.apply(w, r, exposeHeaders)
}

// apply is applyCORS for any handler: the mock and the proxy answer
// preflights alike, and expose differs (the proxy's violations header).
func (p corsPolicy) apply(w http.ResponseWriter, r *http.Request, expose []string) bool {
	h := w.Header()
	h["Vary"] = varyOrigin // the first header set: nothing to append to
	origin := firstValue(r.Header, "Origin")
	if origin == "" {
		return false
	}
	preflight := r.Method == http.MethodOptions && firstValue(r.Header, "Access-Control-Request-Method") != ""
	if !p.allows(origin) {
		if preflight {
			decide(w, "cors.origin-refused")
			writeProblem(w, Problem{Type: problemOriginNotAllowed, Title: "Origin not allowed", Status: http.StatusForbidden,
				Detail: "this mock was started with --cors-origins, and the request's Origin is not in that list"})
			return true
		}
		return false // answered, but without CORS headers: the browser hides it
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h["Access-Control-Allow-Credentials"] = allowCredentials
	if !preflight {
		h["Access-Control-Expose-Headers"] = expose
		return false
	}
	h.Set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	// The requested method is allowed whatever it is, so that a page sees the
	// mock's real answer (a 405 with Allow, a 404) instead of a CORS error.
	h.Set("Access-Control-Allow-Methods", r.Header.Get("Access-Control-Request-Method"))
	allowed := defaultAllowedHeaders
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" && isTokenList(req) {
		allowed = req
	}
	h.Set("Access-Control-Allow-Headers", allowed)
	h.Set("Access-Control-Max-Age", "600")
	decide(w, "cors.preflight")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// Header values shared by every answer; net/http only reads them.
var (
	varyOrigin       = []string{"Origin"}
	allowCredentials = []string{"true"}
	exposeHeaders    = []string{exposedHeaders}
)

// isTokenList reports whether s is a comma-separated list of RFC 9110
// tokens, so that echoing it cannot inject anything into a header.
func isTokenList(s string) bool {
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
				return false
			}
		}
	}
	return true
}
