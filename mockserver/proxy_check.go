package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/flashback/revoke-contract/spec"
)

// The proxy's checks: the request against its operation, then the
// upstream's answer: its status is documented, its Content-Type is one the
// spec lists, its body matches the schema (kin-openapi and
// libopenapi-validator both; a disagreement is logged), a 401 carries
// WWW-Authenticate, and no credential of the request comes back in it.

// checkRequest validates r against its operation. The body is buffered
// only when the operation documents one (and only up to maxBody); it is
// forwarded unchanged either way.
func (p *Proxy) checkRequest(r *http.Request, x *exchange) {
	var data []byte
	bodyChecked := true
	hasBody := r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
	switch {
	case hasBody && x.op.kin.RequestBody != nil:
		var complete bool
		var err error
		data, complete, r.Body, err = bufferBody(r.Body, p.maxBody)
		if err != nil {
			x.note = "the request body could not be read: " + err.Error()
			return
		}
		if !complete {
			bodyChecked = false
			x.note = fmt.Sprintf("request body over %d bytes: its schema was not checked", p.maxBody)
			x.notValidated(p.tooBig("request"))
		}
	case hasBody && r.ContentLength > p.maxBody:
		x.notValidated(p.tooBig("request"))
	case hasBody && r.ContentLength < 0:
		// No body documented, and no length: read up to the limit to know
		// whether the operation's checks saw all there is to see.
		var complete bool
		var err error
		if _, complete, r.Body, err = bufferBody(r.Body, p.maxBody); err == nil && !complete {
			x.notValidated(p.tooBig("request"))
		}
	}
	clone := func() *http.Request {
		c := r.Clone(r.Context())
		c.Body = io.NopCloser(bytes.NewReader(data))
		return c
	}
	opts := *kinOptions
	opts.ExcludeRequestBody = !bodyChecked
	kinErr := openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
		Request: clone(), PathParams: x.match.params, Route: x.match.kinRoute(p.spec.Kin, r), Options: &opts})
	kin := p.kinViolations("request", kinErr, x)
	var lib []Violation
	if bodyChecked {
		for _, f := range p.lib.Request(clone()) {
			if f.Type != "security" { // a missing credential is the upstream's 401 to give, not a broken request
				lib = append(lib, p.libViolations("request", f, x)...)
			}
		}
	}
	x.violations = append(x.violations, p.reconcile(r, "request", kin, lib)...)
	x.checked = clone()
}

// checkResponse is ReverseProxy's ModifyResponse: it checks the upstream's
// answer, adds the violations header and, with --errors, replaces a
// violating answer. Status, headers and body otherwise pass unchanged.
func (p *Proxy) checkResponse(resp *http.Response) error {
	x, _ := resp.Request.Context().Value(exchangeKey{}).(*exchange)
	if x == nil {
		return nil
	}
	x.upstreamStatus = resp.StatusCode
	if x.op != nil {
		vs := p.responseViolations(resp, x) // may add to x.violations itself
		x.violations = append(x.violations, vs...)
	}
	if !varies(resp.Header, "Origin") {
		resp.Header.Add("Vary", "Origin")
	}
	if x.corsSet {
		// The proxy's CORS policy is what the page sees; two
		// Access-Control-Allow-Origin values would make the browser refuse both.
		for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers"} {
			resp.Header.Del(h)
		}
	}
	if x.stalled {
		p.stalled(resp, x)
		return nil
	}
	if len(x.violations) == 0 {
		return nil
	}
	if p.errors && len(x.violations) > x.unchecked { // a body too big to check breaks nothing
		p.replace(resp, x)
		return nil
	}
	resp.Header.Set(ViolationsHeader, headerValue(x.violations))
	return nil
}

// tooBig names a body over the size limit as not validated: the proxy
// never passes silently what it did not check.
func (p *Proxy) tooBig(source string) Violation {
	size := fmt.Sprintf("%d bytes", p.maxBody)
	if p.maxBody%(1<<20) == 0 {
		size = fmt.Sprintf("%d MiB", p.maxBody>>20)
	}
	return Violation{Source: source, Location: []string{source, "body"},
		Message: fmt.Sprintf("not validated: the %s body is over %s, the most the proxy buffers to check; its schema and echoes were not checked", source, size)}
}

// responseViolations checks the answer to x's operation.
func (p *Proxy) responseViolations(resp *http.Response, x *exchange) []Violation {
	var out []Violation
	add := func(msg string, loc ...string) {
		out = append(out, Violation{Source: "response", Location: append([]string{"response"}, loc...), Message: p.redact(x, msg)})
	}
	code := resp.StatusCode
	ref := x.op.kin.Responses.Status(code)
	if ref == nil {
		ref = x.op.kin.Responses.Default()
	}
	documented := ref != nil && ref.Value != nil
	if !documented {
		keys := x.op.kin.Responses.Keys()
		sort.Strings(keys)
		add(fmt.Sprintf("status %d is not documented for %s %s (documented: %s)", code, x.op.method, x.op.path, strings.Join(keys, ", ")), "status")
	}
	if code == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
		add("a 401 without WWW-Authenticate (RFC 9110 section 15.5.2 requires the challenge)", "headers", "WWW-Authenticate")
	}
	ct := resp.Header.Get("Content-Type")
	ctOK := true
	if documented && len(ref.Value.Content) > 0 && code != http.StatusNoContent && code != http.StatusNotModified {
		var mt *openapi3.MediaType
		if ct != "" {
			mt = ref.Value.Content.Get(ct)
		}
		if mt == nil {
			ctOK = false
			if ct == "" {
				ct = "no Content-Type"
			}
			add(fmt.Sprintf("%s is not a documented content type of the %d (documented: %s)", ct, code, strings.Join(sortedKeys(ref.Value.Content), ", ")), "headers", "Content-Type")
		}
	}
	for name, vals := range resp.Header {
		for _, v := range vals {
			if p.echoes(x, v) {
				add(fmt.Sprintf("the %s header of the answer carries the request's credential", name), "headers", name)
			}
		}
	}
	if x.checked == nil || x.checked.Method == http.MethodHead || resp.Body == nil || resp.Body == http.NoBody {
		return out
	}
	mediaType, _, _ := mime.ParseMediaType(ct)
	buffer := (resp.ContentLength >= 0 && resp.ContentLength <= p.maxBody) || (resp.ContentLength < 0 && isJSON(mediaType))
	if !buffer {
		x.note = "answer body not buffered (over the size limit, or streamed and not JSON): its schema and echoes were not checked"
		if resp.ContentLength > p.maxBody {
			x.notValidated(p.tooBig("response"))
		}
		return out
	}
	// The client hears nothing while the body is buffered: a stalled body
	// must end, as a 504 problem, not hold the client forever.
	timer := time.AfterFunc(p.timeout, func() { x.cancel(errBodyStalled) })
	data, complete, rest, err := bufferBody(resp.Body, p.maxBody)
	if !timer.Stop() && err != nil {
		_ = rest.Close()
		x.stalled = true
		return out
	}
	resp.Body = rest
	if err != nil || !complete {
		x.note = fmt.Sprintf("answer body over %d bytes or broken: its schema and echoes were not checked", p.maxBody)
		if err == nil {
			x.notValidated(p.tooBig("response"))
		}
		return out
	}
	if p.echoes(x, string(data)) {
		add("the answer's body carries the request's credential", "body")
	}
	if !documented || !ctOK {
		return out // no schema to hold it to
	}
	kinErr := openapi3filter.ValidateResponse(x.checked.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: x.checked, PathParams: x.match.params,
			Route: x.match.kinRoute(p.spec.Kin, x.checked), Options: kinOptions},
		Status: code, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(data)), Options: kinOptions})
	kin := p.kinViolations("response", kinErr, x)
	var lib []Violation
	copyResp := *resp
	copyResp.Body = io.NopCloser(bytes.NewReader(data))
	for _, f := range p.lib.Response(x.checked, &copyResp) {
		lib = append(lib, p.libViolations("response", f, x)...)
	}
	return append(out, p.reconcile(x.checked, "response", kin, lib)...)
}

// reconcile reports libopenapi-validator's findings (the suite's
// validator), or kin-openapi's when it alone found something, and logs
// every disagreement between them.
func (p *Proxy) reconcile(r *http.Request, source string, kin, lib []Violation) []Violation {
	if (len(kin) == 0) != (len(lib) == 0) && p.logger != nil {
		k, _ := json.Marshal(kin)
		l, _ := json.Marshal(lib)
		p.logger.Warn("the validators disagree", "method", r.Method, "path", r.URL.Path, "source", source,
			"kin-openapi", string(k), "libopenapi-validator", string(l))
	}
	if len(lib) > 0 {
		return lib
	}
	return kin
}

// replace turns a violating answer into the proxy's 502 problem, naming
// each violation and the upstream's status.
func (p *Proxy) replace(resp *http.Response, x *exchange) {
	_ = resp.Body.Close()
	body, _ := json.Marshal(struct {
		Problem
		UpstreamStatus int         `json:"upstreamStatus"`
		Violations     []Violation `json:"violations"`
	}{Problem{Type: problemContractViolation, Title: "The exchange breaks the contract", Status: http.StatusBadGateway,
		Detail: fmt.Sprintf("the upstream answered %d to %s %s; revoke-mock proxy --errors replaced the answer: %d violation(s)",
			resp.StatusCode, x.checked.Method, x.checked.URL.Path, len(x.violations))}, resp.StatusCode, x.violations})
	resp.StatusCode, resp.Status = http.StatusBadGateway, "502 Bad Gateway"
	resp.Header = http.Header{
		"Content-Type":   {"application/problem+json"},
		"Content-Length": {strconv.Itoa(len(body))},
		"Cache-Control":  {"no-store"},
		"Vary":           {"Origin"},
		ViolationsHeader: {headerValue(x.violations)},
	}
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	resp.TransferEncoding, resp.Trailer = nil, nil
	x.decision = "proxy.replaced"
}

// stalled replaces an answer whose body stalled while the proxy buffered
// it with the 504 upstream-timeout problem.
func (p *Proxy) stalled(resp *http.Response, x *exchange) {
	body, _ := json.Marshal(Problem{Type: problemUpstreamTimeout, Title: "The upstream did not answer in time", Status: http.StatusGatewayTimeout,
		Detail: fmt.Sprintf("%s://%s sent the headers of a %d, then its body stalled for %s", p.upstream.Scheme, p.upstream.Host, resp.StatusCode, p.timeout)})
	resp.StatusCode, resp.Status = http.StatusGatewayTimeout, "504 Gateway Timeout"
	resp.Header = http.Header{
		"Content-Type":   {"application/problem+json"},
		"Content-Length": {strconv.Itoa(len(body))},
		"Cache-Control":  {"no-store"},
		"Vary":           {"Origin"},
	}
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	resp.TransferEncoding, resp.Trailer = nil, nil
	x.decision = "proxy.upstream-timeout"
}

// kinViolations turns kin-openapi's error tree into violations.
func (p *Proxy) kinViolations(source string, err error, x *exchange) []Violation {
	if err == nil {
		return nil
	}
	var out []Violation
	var walk func(err error, loc []string, reason string)
	walk = func(err error, loc []string, reason string) {
		// The wrappers are matched by their own type, not errors.As:
		// errors.As would look through a ResponseError into its MultiError
		// and lose where the errors are.
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, inner := range e {
				walk(inner, loc, reason)
			}
			return
		case *openapi3filter.RequestError:
			loc = []string{source, "body"}
			if e.Parameter != nil {
				loc = []string{source, e.Parameter.In, e.Parameter.Name}
			}
			if e.Err != nil {
				walk(e.Err, loc, e.Reason)
				return
			}
			reason = e.Reason
		case *openapi3filter.ResponseError:
			loc = []string{source, "body"}
			if strings.Contains(e.Reason, "header") {
				loc = []string{source, "headers"}
			}
			if e.Err != nil {
				walk(e.Err, loc, e.Reason)
				return
			}
			reason = e.Reason
		case *openapi3.SchemaError:
			if len(loc) == 0 {
				loc = []string{source, "body"}
			}
			loc = append(append([]string(nil), loc...), e.JSONPointer()...)
			msg := e.Reason
			if v, jerr := json.Marshal(e.Value); jerr == nil {
				msg += " (received " + excerpt(string(v)) + ")"
			}
			if reason != "" {
				msg = reason + ": " + msg
			}
			out = append(out, Violation{Source: source, Location: loc, Message: p.redact(x, oneLine(msg)) + " [kin-openapi]"})
			return
		default:
			var se *openapi3.SchemaError
			if errors.As(err, &se) {
				walk(se, loc, reason)
				return
			}
			reason = strings.Trim(reason+": "+err.Error(), ": ")
		}
		if len(loc) == 0 {
			loc = []string{source}
		}
		out = append(out, Violation{Source: source, Location: loc, Message: p.redact(x, oneLine(reason)) + " [kin-openapi]"})
	}
	walk(err, nil, "")
	return out
}

// libViolations turn one of libopenapi-validator's findings into
// violations: one per field of the body that broke its schema, located by
// the field's path, or one for the whole finding.
func (p *Proxy) libViolations(source string, f spec.Finding, x *exchange) []Violation {
	const by = " [libopenapi-validator]"
	msg := f.Message
	if f.Reason != "" && f.Reason != f.Message {
		msg += ": " + f.Reason
	}
	if f.Type == "parameter" {
		loc := []string{source, "parameters"}
		if f.SubType != "" && f.Name != "" {
			loc = []string{source, f.SubType, f.Name}
		}
		for _, field := range f.Fields {
			_, reason, _ := strings.Cut(field, ": ")
			msg += "; " + reason
		}
		return []Violation{{Source: source, Location: loc, Message: p.redact(x, oneLine(msg)) + by}}
	}
	var out []Violation
	for _, field := range f.Fields {
		path, reason, _ := strings.Cut(field, ": ")
		loc := []string{source, "body"}
		if path != "(root)" {
			for _, part := range strings.Split(strings.TrimPrefix(strings.TrimPrefix(path, "$"), "."), ".") {
				if part != "" {
					loc = append(loc, part)
				}
			}
		}
		out = append(out, Violation{Source: source, Location: loc, Message: p.redact(x, oneLine(reason)) + by})
	}
	if len(out) > 0 {
		return out
	}
	loc := []string{source}
	if f.Type == "requestBody" || strings.Contains(strings.ToLower(f.Message), " body ") {
		loc = append(loc, "body")
	}
	return []Violation{{Source: source, Location: loc, Message: p.redact(x, oneLine(msg)) + by}}
}

// requestSecrets are the request's credentials (Authorization's, and the
// values of query parameters named like a credential) of 8 bytes or more,
// each in the forms an answer could carry it: raw, JSON-escaped, URL-escaped.
func requestSecrets(r *http.Request) []string {
	var raw []string
	for _, v := range r.Header.Values("Authorization") {
		v = strings.TrimSpace(v)
		if _, cred, ok := strings.Cut(v, " "); ok {
			raw = append(raw, strings.TrimSpace(cred))
		}
		raw = append(raw, v)
	}
	if r.URL.RawQuery != "" {
		for name, vals := range r.URL.Query() {
			n := strings.ToLower(name)
			if strings.Contains(n, "token") || strings.Contains(n, "key") || strings.Contains(n, "secret") || strings.Contains(n, "password") || strings.Contains(n, "auth") {
				raw = append(raw, vals...)
			}
		}
	}
	var out []string
	for _, s := range raw {
		if len(s) < 8 {
			continue
		}
		j, _ := json.Marshal(s)
		out = append(out, s, string(j[1:len(j)-1]), url.QueryEscape(s), url.PathEscape(s))
	}
	// Longest first, so that a redaction never leaves part of a longer form.
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// echoes reports whether s carries one of the request's credentials.
func (p *Proxy) echoes(x *exchange, s string) bool {
	for _, sec := range x.secrets {
		if strings.Contains(s, sec) {
			return true
		}
	}
	return false
}

// redact removes the request's credentials from s: what the proxy writes
// (headers, problems, the log, the journal) never carries one.
func (p *Proxy) redact(x *exchange, s string) string {
	if x == nil {
		return s
	}
	for _, sec := range x.secrets {
		s = strings.ReplaceAll(s, sec, "[redacted]")
	}
	return s
}

// varies reports whether h's Vary already names field (or is "*").
func varies(h http.Header, field string) bool {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f == "*" || strings.EqualFold(f, field) {
				return true
			}
		}
	}
	return false
}

func isJSON(mediaType string) bool {
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

func sortedKeys(c openapi3.Content) []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
