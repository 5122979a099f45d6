package contract

import (
	"fmt"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
)

var otherMethods = []string{"GET", "PUT", "PATCH", "DELETE", "HEAD"}

func withMethod(method, tok string) Request {
	r := withBearer(method+" with a valid token", tok)
	r.Method = method
	return r
}

func httpRules() {
	Context("with another method", func() {
		rule("HTTP-001", "never answers 2xx, even with a valid token", func(c *check) {
			tok := c.fresh(Primary)
			for _, m := range otherMethods {
				c.expectNotClass(c.send(withMethod(m, tok)), "only POST is defined on this path (RFC 9110 §15.5.6: 405 Method Not Allowed)", 2)
			}
		})
		rule("HTTP-002", "revokes nothing: the token still works with POST afterwards", func(c *check) {
			tok := c.fresh(Primary)
			for _, m := range otherMethods {
				c.send(withMethod(m, tok))
			}
			c.expectStatus(c.send(withBearer("POST with the same token, after "+strings.Join(otherMethods, ", "), tok)),
				"requests with other methods must not have revoked the token", 200)
		})
		rule("HTTP-003", "answers 405 with an Allow header that lists POST", func(c *check) {
			tok := c.fresh(Primary)
			for _, m := range otherMethods {
				ex := c.send(withMethod(m, tok))
				if !c.expectStatus(ex, "RFC 9110 §15.5.6: a method the resource does not support is answered 405", 405) {
					continue
				}
				allow := ex.RespHeader.Values("Allow")
				var methods []string
				for _, v := range allow {
					for _, m := range strings.Split(v, ",") {
						methods = append(methods, strings.TrimSpace(m))
					}
				}
				if !slices.Contains(methods, "POST") {
					c.violate(ex, "the 405 answer's Allow header %q does not list POST (RFC 9110 §15.5.6: a 405 MUST carry Allow)", allow)
				}
			}
		})
	})

	Context("with an unexpected request body", func() {
		rule("HTTP-004", "never answers 5xx", func(c *check) {
			type body struct {
				name, contentType, shell string
				data                     []byte
			}
			big := []byte(strings.Repeat("a", 512<<10))
			for i, b := range []body{
				{"JSON object body", "application/json", "", []byte(`{"userId":"secondary","all":false}`)},
				{"invalid JSON body", "application/json", "", []byte(`{"all": tru`)},
				{"512 KiB body", "application/octet-stream", fmt.Sprintf(`head -c %d /dev/zero | tr '\0' a`, len(big)), big},
				{"form data body", "application/x-www-form-urlencoded", "", []byte("user=secondary&all=true")},
				{"text/plain body", "text/plain", "", []byte("please revoke all sessions")},
			} {
				r := withBearer(b.name, c.fresh(users[i%2])) // each call spends its session
				r.Header = append(r.Header, [2]string{"Content-Type", b.contentType})
				r.Body, r.BodyShell = b.data, b.shell
				c.expectNotClass(c.send(r), "the operation takes no body; an unexpected one is ignored or refused, never a server fault (RFC 9110 §15.6)", 5)
			}
		})
	})

	Context("with odd headers", func() {
		rule("HTTP-005", "never answers 5xx", func(c *check) {
			why := "odd but legal headers are a client matter: never a server fault (RFC 9110 §15.6)"
			// Each valid call spends its session: the users take turns.
			for i, accept := range []string{"text/html", "application/xml"} {
				r := withHeader(withBearer("Accept: "+accept, c.fresh(users[i%2])), "Accept", accept)
				c.expectNotClass(c.send(r), why, 5)
			}

			r := withBearer("nonsense Content-Type", c.fresh(Primary))
			r.Header = append(r.Header, [2]string{"Content-Type", ";;;nonsense/=="})
			r.Body = []byte("{}")
			c.expectNotClass(c.send(r), why, 5)

			r = withBearer("8 KiB custom header", c.fresh(Secondary))
			r.Header = append(r.Header, [2]string{"X-Contract-Padding", strings.Repeat("x", 8192)})
			c.expectNotClass(c.send(r), why, 5)

			tok, other := c.fresh(Primary), randomToken()
			r = post("two Authorization headers", auth("Bearer "+tok), auth("Bearer "+other))
			// Two credentials are a malformed credential: 400 is documented.
			r.Credentials, r.Malformed = []string{tok, other}, true
			c.expectNotClass(c.send(r), why+"; RFC 9110 §5.3: a repeated singleton field may be refused with 400", 5)

			r = withBearer("chunked request body", c.fresh(Secondary))
			r.Header = append(r.Header, [2]string{"Content-Type", "application/json"})
			r.Body, r.Chunked = []byte(`{"all":true}`), true
			c.expectNotClass(c.send(r), why, 5)
		})
	})

	Context("at a variant of its path", func() {
		rule("HTTP-007", "never answers 2xx without credentials", func(c *check) {
			for _, p := range []string{
				EndpointPath + "/",
				EndpointPath + "?x=1",
				strings.ToUpper(EndpointPath),
				"/sessions//revoke-all",
				"/sessions/./revoke-all",
				EndpointPath + "%2F",
			} {
				r := post("path variant " + p + " without credentials")
				r.Path = p
				c.expectNotClass(c.send(r), "a path variant must not reach the operation without authentication (OWASP API2/API5)", 2)
			}
		})
	})
}

func httpCrossCutting() {
	rule("HTTP-006", "never redirects a request to the endpoint, in the whole run", func(c *check) {
		n := 0
		for _, ex := range env.recorder.All() {
			if !ex.Endpoint || ex.Status == 0 {
				continue
			}
			n++
			if ex.Status/100 == 3 {
				c.violate(ex, "a redirect (%d, Location %q): the spec documents no 3xx; clients turn a redirected POST into a GET and may send the credential elsewhere (RFC 9110 §15.4)", ex.Status, ex.RespHeader.Get("Location"))
			}
		}
		if n == 0 {
			Skip("no answer from the endpoint was recorded: run this rule together with others")
		}
		fmt.Fprintf(GinkgoWriter, "checked %d answers from %s\n", n, EndpointPath)
	})
}
