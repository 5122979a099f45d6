package mockserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/flashback/revoke-contract/mockserver/journal"
	"github.com/flashback/revoke-contract/spec"
)

// The validating proxy (revoke-mock proxy): a frontend points at it instead
// of a real backend. Every request goes to the upstream unchanged and the
// upstream's status and body come back byte for byte; the proxy validates
// both against the spec (kin-openapi and libopenapi-validator, each
// checking the other) and only adds headers: CORS and ViolationsHeader.
// It answers two things itself: its control API under /__mock/ (health and
// the journal) and CORS preflights. Pipeline, one function each:
//
//	cors -> control API -> route -> checkRequest (proxy_check.go)
//	  -> forward (httputil.ReverseProxy) -> checkResponse -> report

// ViolationsHeader carries, on every answer of the proxy that broke the
// contract, a JSON array of Violation (Prism's sl-violations shape).
const ViolationsHeader = "Revoke-Mock-Violations"

// Violation is one way a request or an answer breaks the contract.
type Violation = journal.Violation

// Problem types of the proxy's own answers.
const (
	problemUpstreamUnreachable = "urn:revoke-mock:problem:upstream-unreachable"
	problemUpstreamTimeout     = "urn:revoke-mock:problem:upstream-timeout"
	problemUpstreamTLS         = "urn:revoke-mock:problem:upstream-tls"
	problemContractViolation   = "urn:revoke-mock:problem:contract-violation"
)

// DefaultUpstreamTimeout is how long the proxy waits for the upstream's
// answer (its status and headers; a body may stream for longer).
const DefaultUpstreamTimeout = 30 * time.Second

// DefaultMaxValidatedBody is the largest body the proxy buffers to
// validate; larger ones stream through with their schema unchecked.
const DefaultMaxValidatedBody = 1 << 20

// ProxyOptions configure NewProxy.
type ProxyOptions struct {
	Upstream    *url.URL   // required: http or https, optionally with a base path
	Spec        *spec.Spec // nil: the embedded spec
	CORSOrigins []string   // empty: every origin, echoed back
	// Errors replaces an answer that breaks the contract with a 502
	// problem naming each violation and the upstream's status.
	Errors bool
	// Transport reaches the upstream; nil: UpstreamTransport("", UpstreamTimeout).
	Transport http.RoundTripper
	// UpstreamTimeout bounds how long a body the proxy buffers to check
	// may stall (the Transport bounds the wait for the headers); 0 is
	// DefaultUpstreamTimeout.
	UpstreamTimeout time.Duration
	// Logger gets one "request" record per request, and the validators'
	// disagreements; nil: none.
	Logger *slog.Logger
	// JournalSize bounds the journal (GET /__mock/requests): 0 is
	// DefaultJournalSize, negative turns it off.
	JournalSize int
	// MaxValidatedBody: 0 is DefaultMaxValidatedBody.
	MaxValidatedBody int64
}

// Proxy is the validating proxy. Build it with NewProxy; it is safe for
// concurrent use.
type Proxy struct {
	spec     *spec.Spec
	lib      *spec.Validator
	upstream *url.URL
	router   *router
	cors     corsPolicy
	errors   bool
	logger   *slog.Logger
	journal  journal.Store
	redactor *journal.Redactor
	maxBody  int64
	timeout  time.Duration
	reverse  *httputil.ReverseProxy
	control  http.Handler
}

// NewProxy builds a proxy from o.
func NewProxy(o ProxyOptions) (*Proxy, error) {
	if o.Upstream == nil || (o.Upstream.Scheme != "http" && o.Upstream.Scheme != "https") || o.Upstream.Host == "" {
		v := ""
		if o.Upstream != nil {
			v = o.Upstream.Redacted()
		}
		return nil, &OptionError{Option: "Upstream", Value: v, Want: "an http:// or https:// URL with a host, such as https://staging.example.com"}
	}
	if o.Upstream.RawQuery != "" || o.Upstream.Fragment != "" {
		return nil, &OptionError{Option: "Upstream", Value: o.Upstream.Scheme + "://" + o.Upstream.Host + o.Upstream.EscapedPath() + "?...", Want: "a URL without a query or fragment (a base path is fine)"}
	}
	sp := o.Spec
	if sp == nil {
		var err error
		if sp, err = spec.Embedded(); err != nil {
			return nil, err
		}
	}
	lib, err := sp.Validator()
	if err != nil {
		return nil, err
	}
	cors, err := newCORSPolicy(o.CORSOrigins)
	if err != nil {
		return nil, err
	}
	p := &Proxy{spec: sp, lib: lib, upstream: o.Upstream, cors: cors, errors: o.Errors, logger: o.Logger,
		redactor: journal.NewRedactor(), maxBody: o.MaxValidatedBody, timeout: o.UpstreamTimeout}
	if p.timeout <= 0 {
		p.timeout = DefaultUpstreamTimeout
	}
	if p.maxBody <= 0 {
		p.maxBody = DefaultMaxValidatedBody
	}
	if o.JournalSize >= 0 {
		size := o.JournalSize
		if size == 0 {
			size = DefaultJournalSize
		}
		p.journal = journal.NewRing(size)
	}
	p.router, err = newRouter(sp.Kin, func(tmpl, method string, kop *openapi3.Operation) (*operation, error) {
		name := kop.OperationID
		if name == "" {
			name = method + " " + tmpl
		}
		return &operation{kin: kop, method: method, path: tmpl, name: name}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sp.Source, err)
	}
	transport := o.Transport
	if transport == nil {
		if transport, err = UpstreamTransport("", p.timeout); err != nil {
			return nil, err
		}
	}
	p.reverse = &httputil.ReverseProxy{
		Rewrite:        p.rewrite,
		Transport:      transport,
		FlushInterval:  -1, // stream: every write of the upstream's body is flushed at once
		ModifyResponse: p.checkResponse,
		ErrorHandler:   p.upstreamFailed,
	}
	if o.Logger != nil {
		p.reverse.ErrorLog = slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn)
	}
	p.control = p.controlAPI()
	return p, nil
}

// UpstreamTransport is the proxy's way to the upstream: TLS verified
// against the system's roots, plus the PEM certificates of caFile when it
// is set (a private CA); timeout bounds the wait for an answer's headers
// (0: DefaultUpstreamTimeout), and connecting and the TLS handshake take at
// most 10 s each.
func UpstreamTransport(caFile string, timeout time.Duration) (*http.Transport, error) {
	if timeout <= 0 {
		timeout = DefaultUpstreamTimeout
	}
	t := &http.Transport{
		Proxy:                 nil, // the upstream is reached directly: HTTP_PROXY would add a hop this proxy cannot see
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   64,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("reading the upstream CA: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
		}
		t.TLSClientConfig.RootCAs = pool
	}
	return t, nil
}

// proxyExposed are the answer headers a page may read through the proxy.
var proxyExposed = []string{exposedHeaders + ", " + ViolationsHeader}

// exchange is what the proxy learns of one request while forwarding it.
type exchange struct {
	op             *operation // nil: no operation of the spec (not validated)
	match          match
	checked        *http.Request // a copy of the request with its buffered body, for the validators
	secrets        []string      // the request's credentials, in every form an answer could carry them
	violations     []Violation
	unchecked      int // of violations, the bodies not validated (too big)
	upstreamStatus int
	note           string // what was not checked, and why
	corsSet        bool   // the proxy's CORS headers are on the answer
	decision       string // set when the answer is not the upstream's
	cancel         context.CancelCauseFunc
	stalled        bool // a buffered body stalled: the answer is the 504 problem
}

// notValidated records a body the proxy did not check, as a violation:
// in the header, the journal and the log like any other.
func (x *exchange) notValidated(v Violation) {
	x.violations = append(x.violations, v)
	x.unchecked++
}

// errBodyStalled ends the exchange when a body the proxy buffers stalls.
var errBodyStalled = errors.New("the upstream's body stalled")

type exchangeKey struct{}

// ServeHTTP answers one request.
func (p *Proxy) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w := &recorder{ResponseWriter: rw}
	x := &exchange{secrets: requestSecrets(r)}
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	x.cancel = cancel
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				// ReverseProxy's way to break the client's connection
				// when the upstream's body broke midway: the client sees
				// what the upstream did. Recorded, then passed on.
				decide(w, "proxy.upstream-body-broken")
				p.report(w, r, x, start)
				panic(v)
			}
			decide(w, "panic")
			if p.logger != nil {
				p.logger.Error("panic while proxying", "method", r.Method, "path", r.URL.Path, "panic", p.redact(x, fmt.Sprint(v)))
			}
			if !w.wrote {
				writeProblem(w, Problem{Type: problemInternal, Title: "Internal error in the proxy", Status: http.StatusInternalServerError,
					Detail: "the proxy failed while answering; this is a bug in revoke-mock, not in your request or the upstream"})
			}
		}
		p.report(w, r, x, start)
	}()
	if p.cors.apply(w, r, proxyExposed) {
		return
	}
	x.corsSet = w.Header().Get("Access-Control-Allow-Origin") != ""
	// Vary: Origin goes on the upstream's answer only if its Vary lacks it
	// (checkResponse), so that a header is not doubled.
	delete(w.Header(), "Vary")
	if hasControlPrefix(r.URL.Path) {
		p.control.ServeHTTP(w, r)
		return
	}
	if m, ok := p.router.find(r.Method, r.URL.Path); ok && m.op != nil {
		x.op, x.match = m.op, m
		annotate(w, m.op.name, "")
		p.checkRequest(r, x)
	} else {
		x.note = "not an operation of the spec: forwarded unchecked"
	}
	decide(w, "proxy")
	p.reverse.ServeHTTP(w, r.WithContext(context.WithValue(ctx, exchangeKey{}, x)))
	if x.decision != "" {
		decide(w, x.decision)
	}
}

// rewrite forwards the request as it came: method, path (under the
// upstream's base path), query, headers and body. ReverseProxy has already
// removed the hop-by-hop headers (RFC 9110 section 7.6.1) and the
// X-Forwarded-* ones, which are put back: this proxy adds none of its own,
// so the upstream sees what the client sent. Host is the upstream's, as
// virtual hosting needs.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(p.upstream)
	pr.Out.URL.RawQuery = pr.In.URL.RawQuery
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if v, ok := pr.In.Header[h]; ok && !connectionNames(pr.In.Header, h) {
			pr.Out.Header[h] = v
		}
	}
}

// connectionNames reports whether the Connection header names h (then it
// is hop-by-hop and stays removed).
func connectionNames(hdr http.Header, h string) bool {
	for _, v := range hdr["Connection"] {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), h) {
				return true
			}
		}
	}
	return false
}

// upstreamFailed answers when no answer came from the upstream: 504 when
// it did not answer in time, 502 otherwise (refused, reset, TLS), as
// problem+json saying so. Nothing is written for a client that left.
func (p *Proxy) upstreamFailed(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		decide(w, "proxy.client-gone")
		return
	}
	host := p.upstream.Scheme + "://" + p.upstream.Host
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err // without the URL: its query may carry a credential
	}
	x, _ := r.Context().Value(exchangeKey{}).(*exchange)
	msg := p.redact(x, cause.Error())
	var netErr net.Error
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	prob := Problem{Type: problemUpstreamUnreachable, Title: "The upstream could not be reached", Status: http.StatusBadGateway,
		Detail: fmt.Sprintf("no answer from %s: %s", host, msg)}
	switch {
	case errors.As(err, &certErr) || errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &invalid):
		prob.Type, prob.Title = problemUpstreamTLS, "The upstream's TLS certificate is not trusted"
		prob.Detail = fmt.Sprintf("%s: %s (a private CA: --upstream-ca FILE)", host, msg)
	case errors.As(err, &netErr) && netErr.Timeout():
		prob.Type, prob.Title, prob.Status = problemUpstreamTimeout, "The upstream did not answer in time", http.StatusGatewayTimeout
		prob.Detail = fmt.Sprintf("%s: %s", host, msg)
	}
	decide(w, "proxy."+strings.TrimPrefix(prob.Type, "urn:revoke-mock:problem:"))
	w.Header().Set("Vary", "Origin")
	writeProblem(w, prob)
}

// report writes the log line and the journal entry of one request.
func (p *Proxy) report(w *recorder, r *http.Request, x *exchange, start time.Time) {
	end := time.Now()
	if p.journal != nil && !hasControlPrefix(r.URL.Path) {
		var buf [1024]byte
		e := journal.Entry{Time: start, Method: r.Method, Path: r.URL.Path, Query: p.redactor.Query(r.URL.RawQuery),
			Headers: string(p.redactor.AppendHeaders(buf[:0], r.Header)), BodyBytes: max(r.ContentLength, 0), Status: w.status,
			Operation: w.operation, Decision: w.decision, Duration: end.Sub(start), Violations: x.violations}
		if x.upstreamStatus != w.status {
			e.UpstreamStatus = x.upstreamStatus
		}
		p.journal.Add(e)
	}
	if p.logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path), // never the query: it may carry a credential
		slog.Int("status", w.status),
		slog.Int("upstream_status", x.upstreamStatus),
		slog.Duration("duration", end.Sub(start)),
		slog.Int("bytes", w.bytes),
		slog.String("decision", w.decision),
	}
	if len(x.violations) > 0 {
		v, _ := json.Marshal(x.violations)
		attrs = append(attrs, slog.String("violations", string(v)))
	}
	if x.note != "" {
		attrs = append(attrs, slog.String("note", x.note))
	}
	level := slog.LevelInfo
	if len(x.violations) > 0 {
		level = slog.LevelWarn
	}
	p.logger.LogAttrs(r.Context(), level, "request", attrs...)
}

// controlAPI serves GET /__mock/health and the journal.
func (p *Proxy) controlAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+controlPrefix+"health", func(w http.ResponseWriter, _ *http.Request) {
		decide(w, "control.health")
		writeJSON(w, http.StatusOK, struct {
			Status   string `json:"status"`
			Mode     string `json:"mode"`
			Upstream string `json:"upstream"`
			Errors   bool   `json:"errors"`
			Spec     string `json:"spec"`
		}{"ok", "proxy", p.upstream.Redacted(), p.errors, p.spec.Source})
	})
	mux.HandleFunc("GET "+controlPrefix+"requests", func(w http.ResponseWriter, r *http.Request) {
		var j journal.Backend // nil when the journal is off
		if ring, ok := p.journal.(*journal.Ring); ok && ring != nil {
			j = ring
		}
		listJournal(j, w, r)
	})
	mux.HandleFunc("DELETE "+controlPrefix+"requests", func(w http.ResponseWriter, _ *http.Request) {
		decide(w, "control.requests-clear")
		if p.journal != nil {
			p.journal.Clear()
		}
		w.WriteHeader(http.StatusNoContent)
	})
	available := []string{"GET " + controlPrefix + "health", "GET " + controlPrefix + "requests", "DELETE " + controlPrefix + "requests"}
	mux.HandleFunc(controlPrefix, func(w http.ResponseWriter, r *http.Request) {
		decide(w, "control.not-found")
		writeProblem(w, Problem{Type: problemNotFound, Title: "No such control endpoint", Status: http.StatusNotFound,
			Detail: fmt.Sprintf("the proxy serves only these under %s; everything else goes to the upstream", controlPrefix), Available: available})
	})
	return mux
}

// bufferBody reads up to limit bytes of body. complete says whether that
// was all of it; rest is the whole body again (what was read, then what
// was not), to be forwarded unchanged.
func bufferBody(body io.ReadCloser, limit int64) (data []byte, complete bool, rest io.ReadCloser, err error) {
	data, err = io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		// What came, then the same error: the client sees the break as it happened.
		return nil, false, struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(data), errReader{err}), body}, err
	}
	if int64(len(data)) <= limit {
		_ = body.Close()
		return data, true, io.NopCloser(bytes.NewReader(data)), nil
	}
	return nil, false, struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(data), body), body}, nil
}

// kinOptions validate what the spec says of parameters, bodies and
// headers; authentication is the upstream's business (a request without
// credentials is a documented 401, not a broken request).
var kinOptions = &openapi3filter.Options{
	AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	MultiError:            true,
	IncludeResponseStatus: true,
}

// headerValue renders violations for ViolationsHeader, at most 8 KiB: the
// journal and the log keep them all.
func headerValue(vs []Violation) string {
	for n := len(vs); n > 0; n-- {
		list := vs[:n]
		if n < len(vs) {
			list = append(append([]Violation(nil), list...), Violation{Source: "proxy", Location: []string{}, Message: strconv.Itoa(len(vs)-n) + " more violations: GET /__mock/requests lists them all"})
		}
		b, _ := json.Marshal(list)
		if len(b) <= 8<<10 {
			return string(b)
		}
	}
	return `[{"source":"proxy","location":[],"message":"too many violations for a header: GET /__mock/requests lists them all"}]`
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
