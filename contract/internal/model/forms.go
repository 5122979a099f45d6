package model

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/flashback/revoke-contract/spec/endpoint"
)

// Class is what the model expects of a request, whatever its details.
type Class int

const (
	// Canonical is POST to the path with "Authorization: Bearer <token>".
	Canonical Class = iota
	// AuthPOST is an authenticated POST to the path with something more
	// (an identity header or parameter, a method override, another
	// spelling of the scheme): the bearer alone decides whose sessions a
	// 2xx revokes; a non-2xx revokes nothing.
	AuthPOST
	// NoAuth carries no Authorization header (a credential elsewhere, an
	// identity header): never 2xx, revokes nothing.
	NoAuth
	// BadCred carries an Authorization header with a credential that was
	// never issued (a lookalike of a token): never 2xx, revokes nothing.
	BadCred
	// OtherMethod is not a POST (maybe with a header or parameter asking
	// for one): never 2xx (OPTIONS excepted), revokes nothing.
	OtherMethod
	// PathVariant is another spelling of the path: a lenient router may
	// treat it as the endpoint, so a 2xx with a live token may have
	// revoked its user; with a dead token or none, never 2xx.
	PathVariant
	// DupAuth sends two Authorization headers, the session's token first
	// and a dead token second: never authenticates as the second.
	DupAuth
)

// Form is one request shape of the vocabulary: a family (THREATS.md's
// generator dimension), a name for reports and a template.
type Form struct {
	Family string
	Name   string
	Class  Class
	// Other: the template names the other user (identity headers and
	// parameters).
	Other bool
	// Aux: the template uses a second, dead token ({{A}}).
	Aux bool
	// AnyStatus: any status is allowed (OPTIONS answers CORS preflights).
	AnyStatus bool
	// Combined: the form carries every variant of its family at once (every
	// identity header, every place for a credential); shrinking tries the
	// family's single forms in its place, to name the one that matters.
	Combined bool
	Tpl      Template
}

// Template is a request with markers: {{T}} is the session's token, and
// {{T+}}, {{T-}}, {{T/}}, {{T~}} lookalikes of it (a character appended,
// the last dropped, the first half, the letters' case swapped); {{A}} the
// auxiliary dead token; {{OTHER}} the other user's name.
type Template struct {
	Method string
	Path   string
	Header [][2]string
	Body   string
	Raw    bool
}

// Families of the vocabulary, each a row group of contract/THREATS.md.
const (
	FamCanonical     = "canonical"
	FamMethodOver    = "method-override"
	FamMethod        = "method-spelling"
	FamCredLocation  = "credential-location"
	FamIdentityHdr   = "identity-header"
	FamIdentityParam = "identity-parameter"
	FamPath          = "path-spelling"
	FamAuthSpelling  = "authorization-spelling"
	FamLookalike     = "token-lookalike"
)

func bearer(v string) [2]string { return [2]string{"Authorization", "Bearer " + v} }

var (
	accept   = [2]string{"Accept", "application/json"}
	jsonType = [2]string{"Content-Type", "application/json"}
	formType = [2]string{"Content-Type", "application/x-www-form-urlencoded"}
)

// CanonicalForm is the documented call.
var CanonicalForm = Form{Family: FamCanonical, Name: "revoke-all", Class: Canonical,
	Tpl: Template{Method: "POST", Path: endpoint.Path, Header: [][2]string{accept, bearer("{{T}}")}}}

// Vocabulary is every form the generator draws from, by family. The
// derivation of each family is contract/THREATS.md.
var Vocabulary = buildVocabulary()

func buildVocabulary() []Form {
	p := endpoint.Path
	var v []Form
	add := func(f Form) { v = append(v, f) }

	// Method overrides: Express method-override, Laravel and Symfony
	// (_method, X-HTTP-Method-Override), Rails' Rack::MethodOverride and
	// Spring's HiddenHttpMethodFilter (_method), ASP.NET Core
	// UseHttpMethodOverride, Google's and OData's X-HTTP-Method.
	for _, h := range []string{"X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"} {
		add(Form{Family: FamMethodOver, Name: "GET with " + h + ": POST", Class: OtherMethod,
			Tpl: Template{Method: "GET", Path: p, Header: [][2]string{accept, bearer("{{T}}"), {h, "POST"}}}})
	}
	add(Form{Family: FamMethodOver, Name: "GET with ?_method=POST", Class: OtherMethod,
		Tpl: Template{Method: "GET", Path: p + "?_method=POST", Header: [][2]string{accept, bearer("{{T}}")}}})
	add(Form{Family: FamMethodOver, Name: "GET with ?_method=POST, no credentials", Class: NoAuth,
		Tpl: Template{Method: "GET", Path: p + "?_method=POST", Header: [][2]string{accept}}})
	add(Form{Family: FamMethodOver, Name: "POST with X-HTTP-Method-Override: GET", Class: AuthPOST,
		Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, bearer("{{T}}"), {"X-HTTP-Method-Override", "GET"}}}})
	add(Form{Family: FamMethodOver, Name: "POST with a form body _method=DELETE", Class: AuthPOST,
		Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, bearer("{{T}}"), formType}, Body: "_method=DELETE"}})

	// Other methods (RFC 9110 §9; WSTG-CONF-06).
	for _, m := range []string{"GET", "HEAD", "PUT", "PATCH", "DELETE", "TRACE"} {
		add(Form{Family: FamMethod, Name: m + " with the token", Class: OtherMethod,
			Tpl: Template{Method: m, Path: p, Header: [][2]string{accept, bearer("{{T}}")}}})
	}
	add(Form{Family: FamMethod, Name: "OPTIONS (a CORS preflight) with the token", Class: OtherMethod, AnyStatus: true,
		Tpl: Template{Method: "OPTIONS", Path: p, Header: [][2]string{accept, bearer("{{T}}"), {"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}}}})

	// Credentials anywhere but the Authorization header: query parameters
	// (RFC 6750 §2.3), form bodies (§2.2), the session cookies of the
	// common stacks, and API-key style headers.
	for _, q := range []string{"access_token", "token", "api_key", "jwt"} {
		add(Form{Family: FamCredLocation, Name: "token as ?" + q + "=", Class: NoAuth,
			Tpl: Template{Method: "POST", Path: p + "?" + q + "={{T}}", Header: [][2]string{accept}}})
	}
	add(Form{Family: FamCredLocation, Name: "token in a form body access_token=", Class: NoAuth,
		Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, formType}, Body: "access_token={{T}}"}})
	add(Form{Family: FamCredLocation, Name: `token in a JSON body {"token": ...}`, Class: NoAuth,
		Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, jsonType}, Body: `{"token":"{{T}}"}`}})
	for _, c := range []string{"session", "sessionid", "connect.sid", "_session_id", "laravel_session", "JSESSIONID", ".AspNetCore.Cookies", "jwt", "auth_token"} {
		add(Form{Family: FamCredLocation, Name: "token in Cookie " + c, Class: NoAuth,
			Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, {"Cookie", c + "={{T}}"}}}})
	}
	for _, h := range []string{"X-Auth-Token", "X-Api-Key", "Token", "X-Token", "X-Session-Token", "Api-Key"} {
		add(Form{Family: FamCredLocation, Name: "token in " + h, Class: NoAuth,
			Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, {h, "{{T}}"}}}})
	}
	add(Form{Family: FamCredLocation, Name: "token in Proxy-Authorization", Class: NoAuth,
		Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, {"Proxy-Authorization", "Bearer {{T}}"}}}})

	// Identity headers of authenticating proxies and gateways: oauth2-proxy,
	// Apache/nginx REMOTE_USER, Kong, AWS ALB, Google IAP, Azure App
	// Service, and the home-grown X-User-Id. Without a bearer they must not
	// authenticate; with one they must not choose whose sessions go.
	for _, h := range []string{"X-User-Id", "X-User", "X-Forwarded-User", "X-Remote-User", "Remote-User", "X-Auth-Request-User",
		"X-Auth-Request-Email", "X-Forwarded-Email", "X-Authenticated-Userid", "X-Consumer-Username", "X-Amzn-Oidc-Identity",
		"X-Goog-Authenticated-User-Email", "X-Ms-Client-Principal-Name"} {
		add(Form{Family: FamIdentityHdr, Name: h + " naming the other user, no credentials", Class: NoAuth, Other: true,
			Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, {h, "{{OTHER}}"}}}})
		add(Form{Family: FamIdentityHdr, Name: "the token with " + h + " naming the other user", Class: AuthPOST, Other: true,
			Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, bearer("{{T}}"), {h, "{{OTHER}}"}}}})
	}
	add(Form{Family: FamIdentityHdr, Name: "X-Forwarded-For: 127.0.0.1 (a trusted-network bypass), no credentials", Class: NoAuth,
		Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, {"X-Forwarded-For", "127.0.0.1"}, {"X-Real-IP", "127.0.0.1"}}}})
	add(Form{Family: FamIdentityHdr, Name: "POST / with X-Original-URL: the path, no credentials", Class: NoAuth,
		Tpl: Template{Method: "POST", Path: "/", Header: [][2]string{accept, {"X-Original-URL", p}, {"X-Rewrite-URL", p}}}})

	// Identity in parameters and bodies (API1 BOLA, API3 mass assignment).
	for _, q := range []string{"user_id", "userId", "user", "sub"} {
		add(Form{Family: FamIdentityParam, Name: "the token with ?" + q + "= naming the other user", Class: AuthPOST, Other: true,
			Tpl: Template{Method: "POST", Path: p + "?" + q + "={{OTHER}}", Header: [][2]string{accept, bearer("{{T}}")}}})
	}
	for _, k := range []string{"userId", "user_id", "sub", "username"} {
		add(Form{Family: FamIdentityParam, Name: fmt.Sprintf(`the token with a JSON body {%q: the other user}`, k), Class: AuthPOST, Other: true,
			Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, bearer("{{T}}"), jsonType}, Body: fmt.Sprintf(`{%q:"{{OTHER}}"}`, k)}})
	}
	add(Form{Family: FamIdentityParam, Name: "the token with a form body user= the other user", Class: AuthPOST, Other: true,
		Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, bearer("{{T}}"), formType}, Body: "user={{OTHER}}"}})

	// Spellings of the path: what routers normalise and auth middleware
	// may not (trailing slash, case, empty and dot segments, encodings,
	// Tomcat/Spring ;params, Rails/Spring format suffixes).
	for _, v := range []string{p + "/", strings.ToUpper(p), "/Sessions/Revoke-All", "/" + p, "/sessions//revoke-all",
		"/sessions/./revoke-all", "/sessions/x/../revoke-all", "/sessions/revoke%2Dall", "/sessions%2Frevoke-all",
		p + ";x=1", p + ";jsessionid=0", p + ".json", p + "%20", "/api/.." + p} {
		add(Form{Family: FamPath, Name: "path " + v + " with the token", Class: PathVariant,
			Tpl: Template{Method: "POST", Path: v, Header: [][2]string{accept, bearer("{{T}}")}}})
		add(Form{Family: FamPath, Name: "path " + v + " without credentials", Class: NoAuth,
			Tpl: Template{Method: "POST", Path: v, Header: [][2]string{accept}}})
	}

	// Spellings of the Authorization header (RFC 9110 §11.4: the scheme is
	// case-insensitive, 1*SP before the credential).
	add(Form{Family: FamAuthSpelling, Name: `"bearer" in lower case`, Class: AuthPOST,
		Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, {"Authorization", "bearer {{T}}"}}}})
	add(Form{Family: FamAuthSpelling, Name: `"BEARER" in upper case`, Class: AuthPOST,
		Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, {"Authorization", "BEARER {{T}}"}}}})
	add(Form{Family: FamAuthSpelling, Name: "two spaces after Bearer", Class: AuthPOST,
		Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, {"Authorization", "Bearer  {{T}}"}}, Raw: true}})
	add(Form{Family: FamAuthSpelling, Name: "two Authorization headers: the token, then a revoked token", Class: DupAuth, Aux: true,
		Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, bearer("{{T}}"), bearer("{{A}}")}}})
	add(Form{Family: FamAuthSpelling, Name: "two Authorization headers: a revoked token, then the token", Class: DupAuth, Aux: true,
		Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, bearer("{{A}}"), bearer("{{T}}")}}})
	add(Form{Family: FamAuthSpelling, Name: "a revoked token and the token in one header, comma-separated", Class: DupAuth, Aux: true,
		Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, {"Authorization", "Bearer {{A}}, Bearer {{T}}"}}}})

	// Lookalikes of a token (AUTH-013's, on any session at any time).
	for _, m := range []struct{ op, name string }{{"+", "a character appended"}, {"-", "the last character dropped"}, {"/", "its first half"}, {"~", "its letters' case swapped"}} {
		add(Form{Family: FamLookalike, Name: "the token with " + m.name, Class: BadCred,
			Tpl: Template{Method: "POST", Path: p, Header: [][2]string{accept, bearer("{{T" + m.op + "}}")}}})
	}
	// One request with every variant of a family at once: a backend that
	// honours any one of them answers it as it answers that one.
	var idHdrs, credHdrs [][2]string
	for _, f := range v {
		switch {
		case f.Family == FamIdentityHdr && f.Class == AuthPOST:
			idHdrs = append(idHdrs, f.Tpl.Header[2])
		case f.Family == FamCredLocation && f.Tpl.Body == "" && !strings.Contains(f.Tpl.Path, "?"):
			credHdrs = append(credHdrs, f.Tpl.Header[1:]...)
		}
	}
	var cookies []string
	var hdrs [][2]string
	for _, h := range credHdrs {
		if h[0] == "Cookie" {
			cookies = append(cookies, h[1])
		} else {
			hdrs = append(hdrs, h)
		}
	}
	add(Form{Family: FamIdentityHdr, Name: "the token with every identity header naming the other user", Class: AuthPOST, Other: true, Combined: true,
		Tpl: Template{Method: "POST", Path: p, Header: append([][2]string{accept, bearer("{{T}}")}, idHdrs...)}})
	add(Form{Family: FamIdentityHdr, Name: "every identity header naming the other user, no credentials", Class: NoAuth, Other: true, Combined: true,
		Tpl: Template{Method: "POST", Path: p, Header: append([][2]string{accept}, idHdrs...)}})
	add(Form{Family: FamCredLocation, Name: "the token in every cookie, query parameter and header but Authorization", Class: NoAuth, Combined: true,
		Tpl: Template{Method: "POST", Path: p + "?access_token={{T}}&token={{T}}&api_key={{T}}&jwt={{T}}",
			Header: append([][2]string{accept, {"Cookie", strings.Join(cookies, "; ")}}, hdrs...)}})
	add(Form{Family: FamIdentityParam, Name: "the token with the other user in every query parameter and JSON body field", Class: AuthPOST, Other: true, Combined: true,
		Tpl: Template{Method: "POST", Path: p + "?user_id={{OTHER}}&userId={{OTHER}}&user={{OTHER}}&sub={{OTHER}}", Header: [][2]string{accept, bearer("{{T}}"), jsonType},
			Body: `{"userId":"{{OTHER}}","user_id":"{{OTHER}}","sub":"{{OTHER}}","username":"{{OTHER}}"}`}})
	add(Form{Family: FamMethodOver, Name: "GET with every method override asking for POST", Class: OtherMethod, Combined: true,
		Tpl: Template{Method: "GET", Path: p + "?_method=POST", Header: [][2]string{accept, bearer("{{T}}"), {"X-HTTP-Method-Override", "POST"}, {"X-HTTP-Method", "POST"}, {"X-Method-Override", "POST"}}}})
	slices.SortStableFunc(v, func(a, b Form) int { return strings.Compare(familyOrder[a.Family], familyOrder[b.Family]) })
	return v
}

// familyOrder keeps the vocabulary grouped by family, in THREATS.md's order.
var familyOrder = map[string]string{FamMethodOver: "1", FamMethod: "2", FamCredLocation: "3", FamIdentityHdr: "4",
	FamIdentityParam: "5", FamPath: "6", FamAuthSpelling: "7", FamLookalike: "8"}

// Families lists the vocabulary's families in order.
func Families() []string {
	var out []string
	for _, f := range Vocabulary {
		if len(out) == 0 || out[len(out)-1] != f.Family {
			out = append(out, f.Family)
		}
	}
	return out
}

var marker = regexp.MustCompile(`\{\{(T|A)([+\-/~]?)\}\}|\{\{OTHER\}\}`)

// mutate applies a lookalike operation to tok.
func mutate(tok, op string) string {
	switch op {
	case "+":
		return tok + "A"
	case "-":
		return tok[:len(tok)-1]
	case "/":
		return tok[:len(tok)/2]
	case "~":
		b := []byte(tok)
		for i, c := range b {
			switch {
			case 'a' <= c && c <= 'z':
				b[i] = c - 32
			case 'A' <= c && c <= 'Z':
				b[i] = c + 32
			}
		}
		return string(b)
	}
	return tok
}

// shellRef is the bash expression of a marker's value, for a variable
// holding the token.
func shellRef(name, op string) string {
	switch op {
	case "+":
		return "${" + name + "}A"
	case "-":
		return "${" + name + "%?}"
	case "/":
		return "${" + name + ":0:$((${#" + name + "}/2))}"
	case "~":
		return `$(printf %s "$` + name + `" | tr a-zA-Z A-Za-z)`
	}
	return "$" + name
}

// expand fills s's markers: tok and aux are the tokens, other the other
// user; creds collects every credential value the string carries.
func expand(s, tok, aux, other string, creds *[]string) string {
	return marker.ReplaceAllStringFunc(s, func(m string) string {
		if m == "{{OTHER}}" {
			return other
		}
		sub := marker.FindStringSubmatch(m)
		t := tok
		if sub[1] == "A" {
			t = aux
		}
		v := mutate(t, sub[2])
		*creds = append(*creds, t)
		if v != t {
			*creds = append(*creds, v)
		}
		return v
	})
}

// shellExpand renders s for a bash script: literal text single-quoted,
// markers as $TOKEN_n expansions double-quoted.
func shellExpand(s string, tok, aux int, other string) string {
	if s == "" {
		return "''"
	}
	var b strings.Builder
	at := 0
	lit := func(t string) {
		if t != "" {
			b.WriteString("'" + strings.ReplaceAll(t, "'", `'\''`) + "'")
		}
	}
	for _, sp := range marker.FindAllStringSubmatchIndex(s, -1) {
		lit(s[at:sp[0]])
		m := s[sp[0]:sp[1]]
		if m == "{{OTHER}}" {
			lit(other)
		} else {
			n := tok
			if s[sp[2]:sp[3]] == "A" {
				n = aux
			}
			b.WriteString(`"` + shellRef("TOKEN_"+strconv.Itoa(n), s[sp[4]:sp[5]]) + `"`)
		}
		at = sp[1]
	}
	lit(s[at:])
	return b.String()
}
