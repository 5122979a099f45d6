// Package wire is how the contract suite talks to a backend: the requests
// the rules send, the exchanges recorded (every credential already
// redacted), the curl line that reproduces each, and a client that sends
// each request on a connection of its own, bounded in time and size, with a
// circuit breaker for backends that stop answering.
package wire

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/flashback/revoke-contract/contract/internal/redact"
	"github.com/flashback/revoke-contract/spec/endpoint"
)

// EndpointPath is the operation under test.
const EndpointPath = endpoint.Path

// MaxBodyBytes caps every response body the suite reads.
const MaxBodyBytes = 1 << 20

// maxResponseHeaderBytes bounds the header section of every answer.
const maxResponseHeaderBytes = 256 << 10

// BreakerLimit: after this many consecutive requests without an answer in
// time, the client stops sending, so a hanging backend costs a few timeouts,
// not one per request of the run.
const BreakerLimit = 3

// BreakerTotalLimit: after this many requests of the run without an answer
// in time, in a row or not, the client stops sending too: a backend that
// answers most requests but stalls on every valid call (a rule or two
// apart) costs at most this many timeouts, whatever the number of rules.
const BreakerTotalLimit = 5

// Request is one request a rule sends. Header keeps order and duplicates.
type Request struct {
	Name      string // what this request tries, for reports ("Basic scheme")
	Method    string
	Path      string // relative to the base URL, as sent (may hold a query)
	Header    [][2]string
	Body      []byte
	BodyShell string // a shell command printing Body, for reproducers of large bodies
	Chunked   bool   // send Body with Transfer-Encoding: chunked
	// Raw writes the request bytes by hand: net/http trims header values,
	// and "Bearer " must go out with its trailing space.
	Raw bool
	// Credentials are the credential values the request carries anywhere
	// (header, query, body, cookie): no answer may repeat them (AUTH-012).
	Credentials []string
	// Malformed marks a malformed credential: 400 is a documented answer.
	Malformed bool
	// BearerToken marks a well-formed Bearer token: a 401 must say
	// error="invalid_token" (AUTH-010).
	BearerToken bool
}

// Exchange is one request and its answer, as recorded: every credential is
// already replaced with $TOKEN.
type Exchange struct {
	Seq      int
	Rule     string
	Name     string
	Method   string
	URL      string
	Endpoint bool // the path is exactly the endpoint's (any query)
	Header   [][2]string
	Body     []byte // nil for a large body (see BodyLen, BodyShell)
	BodyLen  int
	// BodyShell prints the body for reproducers of large bodies.
	BodyShell   string
	Chunked     bool
	Malformed   bool
	BearerToken bool
	// Authorized: the request carried an Authorization header.
	Authorized bool

	Status     int // 0 when no answer
	StatusText string
	RespHeader http.Header
	RespBody   []byte // redacted; may be shorter than RespBodyLen
	// RespBodyLen is the number of body bytes received (before redaction).
	RespBodyLen int
	// Err says why the exchange failed (no answer, body too large); "" if fine.
	Err string
	// Echoes lists where the answer repeated a credential of the request.
	Echoes []string
	// RateLimited: the backend kept answering 429 beyond the client's
	// patience; Err says so. Not an answer of the contract.
	RateLimited bool
	Elapsed     time.Duration
}

// Answered reports whether a complete answer came back.
func (e *Exchange) Answered() bool { return e.Err == "" && e.Status != 0 }

// Curl returns the reproducer of the request.
func (e *Exchange) Curl() string {
	return CurlLine(CurlRequest{Method: e.Method, URL: e.URL, Header: e.Header, Body: e.Body, BodyShell: e.BodyShell, Chunked: e.Chunked})
}

// Recorder keeps every exchange of the run, in order. Safe for concurrent use.
type Recorder struct {
	mu        sync.Mutex
	exchanges []*Exchange
}

func (r *Recorder) add(e *Exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.Seq = len(r.exchanges) + 1
	r.exchanges = append(r.exchanges, e)
}

// All returns a snapshot of the exchanges so far.
func (r *Recorder) All() []*Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Exchange(nil), r.exchanges...)
}

// Client sends the rules' requests to the backend and records each exchange.
// Every request goes out on a connection of its own (no keep-alive, no
// redirects followed, no transparent gzip), bounded by timeout from dial to
// the last byte of the answer.
type Client struct {
	base     *url.URL
	timeout  time.Duration
	redactor *redact.Redactor
	recorder *Recorder
	proxy    func(*http.Request) (*url.URL, error)
	tls      *tls.Config
	settings Settings

	mu        sync.Mutex
	timeouts  int // consecutive requests without an answer in time
	total     int // requests of the run without an answer in time
	lastError string
	// storm is set when a request gave up on 429s: until an answer other
	// than 429 comes, the next 429s are not waited on (a storm costs one
	// request's patience, not every request's).
	storm bool
}

// NewClient builds a client that honours the proxy environment variables
// (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) for every request.
func NewClient(base *url.URL, timeout time.Duration, redactor *redact.Redactor, recorder *Recorder) *Client {
	return &Client{
		base:     base,
		timeout:  timeout,
		redactor: redactor,
		recorder: recorder,
		proxy:    http.ProxyFromEnvironment,
		tls:      &tls.Config{NextProtos: []string{"http/1.1"}},
	}
}

// Settings tune a Client for a real backend's surroundings.
type Settings struct {
	// Headers go with every request that does not set them itself (a
	// gateway's API key): secrets, shown as $HEADER_<NAME> in the record.
	Headers [][2]string
	// RootCAs, when not nil, are the only authorities trusted for https;
	// Certificates are presented to a server that asks (mutual TLS).
	RootCAs      *x509.CertPool
	Certificates []tls.Certificate
	// RateLimitWait is how long, in all, the client waits on 429 answers
	// (as their Retry-After says) before it records one as rate limiting:
	// a 429 is not an answer of the contract. 0: never wait.
	RateLimitWait time.Duration
}

// Configure applies s; call it before the first request.
func (c *Client) Configure(s Settings) {
	c.settings = s
	if s.RootCAs != nil {
		c.tls.RootCAs = s.RootCAs
	}
	c.tls.Certificates = s.Certificates
	for _, h := range s.Headers {
		c.redactor.AddSecret(h[1], redact.HeaderPlaceholder(h[0]))
	}
}

// Close releases what the client holds: nothing outlives a request, so
// this is only a hook for DeferCleanup.
func (c *Client) Close() {}

// URL returns the absolute URL of a path relative to the base.
func (c *Client) URL(path string) string { return strings.TrimRight(c.base.String(), "/") + path }

// Do sends r on behalf of rule and records the exchange. It never returns
// nil; a failed exchange has Err set.
func (c *Client) Do(ctx context.Context, rule string, r Request) *Exchange {
	r.Header = c.withSettingsHeaders(r.Header)
	ex := c.prepare(rule, r)
	defer c.recorder.add(ex)

	c.mu.Lock()
	inARow, total := c.timeouts >= BreakerLimit, c.total >= BreakerTotalLimit
	last := c.lastError
	storm := c.storm
	c.mu.Unlock()
	switch {
	case inARow:
		ex.Err = fmt.Sprintf("not sent: the backend did not answer the last %d requests in time (last: %s)", BreakerLimit, last)
		return ex
	case total:
		ex.Err = fmt.Sprintf("not sent: the backend did not answer %d requests of this run in time (last: %s)", BreakerTotalLimit, last)
		return ex
	}

	var waited time.Duration
	start := time.Now()
	status, statusText, header, body, err := c.roundTripOnce(ctx, r)
	for attempt := 1; status == http.StatusTooManyRequests && err == nil; attempt++ {
		wait, ok := retryAfter(header.Get("Retry-After"))
		if storm || !ok || attempt > maxRateLimitRetries || waited+wait > c.settings.RateLimitWait || c.settings.RateLimitWait == 0 {
			ex.RateLimited = true
			break
		}
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-time.After(wait):
		}
		if err != nil {
			break
		}
		waited += wait
		status, statusText, header, body, err = c.roundTripOnce(ctx, r)
	}
	ex.Elapsed = time.Since(start).Round(time.Millisecond)
	ex.Status, ex.StatusText = status, c.redactor.Redact(statusText)
	if header != nil {
		ex.RespHeader = c.redactHeader(header)
		ex.Echoes = echoes(r.Credentials, header, body)
	}
	ex.RespBody = []byte(c.redactor.Redact(string(body)))
	ex.RespBodyLen = len(body)
	timedOut := false
	switch {
	case err != nil:
		timedOut = errors.Is(err, context.DeadlineExceeded) || isTimeout(err)
		ex.Err = c.redactor.Redact(describeError(err, status != 0, len(body), c.timeout, timedOut))
	case ex.RateLimited:
		ex.Err = fmt.Sprintf("rate limited: the backend answered 429 (Retry-After: %q) after the suite had waited %s on earlier 429s; lower the request rate, or raise the limit for the suite's users",
			header.Get("Retry-After"), waited)
		if storm {
			ex.Err = fmt.Sprintf("rate limited: the backend answered 429 (Retry-After: %q), and has answered nothing else since an earlier request gave up waiting on 429s; not waited on again", header.Get("Retry-After"))
		}
	}
	c.mu.Lock()
	if status != 0 && err == nil {
		c.storm = ex.RateLimited
	}
	if timedOut {
		c.timeouts++
		c.total++
		c.lastError = ex.Err
	} else {
		c.timeouts = 0
	}
	c.mu.Unlock()
	return ex
}

// maxRateLimitRetries bounds the retries of one request on 429, whatever
// Retry-After says (a backend answering "Retry-After: 0" for ever).
const maxRateLimitRetries = 10

// roundTripOnce is one attempt, bounded by the client's timeout.
func (c *Client) roundTripOnce(ctx context.Context, r Request) (int, string, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return c.roundTrip(ctx, r)
}

// withSettingsHeaders adds the configured headers the request does not set.
func (c *Client) withSettingsHeaders(h [][2]string) [][2]string {
	out := h
	for _, extra := range c.settings.Headers {
		if !slices.ContainsFunc(h, func(kv [2]string) bool { return strings.EqualFold(kv[0], extra[0]) }) {
			out = append(slices.Clip(out), extra)
		}
	}
	return out
}

// retryAfter reads a Retry-After value: seconds, or an HTTP date. Absent,
// one second.
func retryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return time.Second, true
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t)), true
	}
	return 0, false
}

func (c *Client) prepare(rule string, r Request) *Exchange {
	red := c.redactor.Redact
	ex := &Exchange{
		Rule: rule, Name: r.Name, Method: r.Method, URL: red(c.URL(r.Path)),
		BodyLen: len(r.Body), BodyShell: r.BodyShell, Chunked: r.Chunked,
		Malformed: r.Malformed, BearerToken: r.BearerToken,
	}
	path := r.Path
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	ex.Endpoint = path == EndpointPath
	for _, h := range r.Header {
		v := red(h[1])
		if slices.Contains(c.settings.Headers, h) {
			v = redact.HeaderPlaceholder(h[0]) // even when too short to redact by value
		}
		ex.Header = append(ex.Header, [2]string{h[0], v})
		if strings.EqualFold(h[0], "Authorization") {
			ex.Authorized = true
		}
	}
	if r.Body != nil && r.BodyShell == "" {
		ex.Body = []byte(red(string(r.Body)))
	}
	return ex
}

func (c *Client) redactHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		for _, v := range vs {
			out[c.redactor.Redact(k)] = append(out[c.redactor.Redact(k)], c.redactor.Redact(v))
		}
	}
	return out
}

// echoes lists where an answer repeats one of the request's credentials,
// in any of the forms the redactor knows.
// Credentials shorter than MinTokenLength are not looked for: too many
// innocent matches.
func echoes(creds []string, h http.Header, body []byte) []string {
	var where []string
	for _, cred := range creds {
		if len(cred) < redact.MinTokenLength {
			continue
		}
		for _, form := range redact.Forms(cred) {
			for k, vs := range h {
				for _, v := range vs {
					if strings.Contains(k, form) || strings.Contains(v, form) {
						where = appendOnce(where, "header "+k)
					}
				}
			}
			if bytes.Contains(body, []byte(form)) {
				where = appendOnce(where, "body")
			}
		}
	}
	return where
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func (c *Client) roundTrip(ctx context.Context, r Request) (int, string, http.Header, []byte, error) {
	u, err := url.Parse(c.URL(r.Path))
	if err != nil {
		return 0, "", nil, nil, fmt.Errorf("bad request URL: %w", err)
	}
	ans, err := c.exchange(ctx, u, r)
	return ans.status, ans.statusText, ans.header, ans.body, err
}

var errBodyTooLarge = errors.New("body exceeds 1 MiB")

func statusText(resp *http.Response) string {
	if _, text, ok := strings.Cut(resp.Status, " "); ok {
		return text
	}
	return http.StatusText(resp.StatusCode)
}

const userAgent = "revoke-contract-suite/1"

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// describeError turns a transport error into a sentence a person can act on.
func describeError(err error, gotHeaders bool, bodyBytes int, timeout time.Duration, timedOut bool) string {
	switch {
	case errors.Is(err, errBodyTooLarge):
		return fmt.Sprintf("body exceeds 1 MiB (%d bytes read before giving up)", MaxBodyBytes)
	case errors.Is(err, errBodyFraming):
		return fmt.Sprintf("the body's framing (chunk sizes, extensions, trailers) exceeds %d MiB for %d bytes of body: the suite stopped reading", maxResponseBodyWireBytes>>20, bodyBytes)
	case timedOut && gotHeaders:
		return fmt.Sprintf("the body did not arrive within %s (%d bytes received): slow or never-ending body", timeout, bodyBytes)
	case timedOut:
		return fmt.Sprintf("no answer within %s (CONTRACT_TIMEOUT): the backend hangs or is too slow", timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: nothing listens at the base URL"
	case isReset(err) || !gotHeaders && errors.Is(err, io.EOF) && writerReset(err):
		// The reader may see the end of a connection whose reset the
		// writer saw first (a backend that resets while a large body is
		// being sent): a reset either way.
		if gotHeaders {
			return fmt.Sprintf("connection reset by the backend in the middle of the body (%d bytes received)", bodyBytes)
		}
		return "connection reset by the backend before any answer" + stillSending(err)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		if gotHeaders {
			return fmt.Sprintf("the backend closed the connection in the middle of the body (%d bytes received)", bodyBytes)
		}
		return "the backend closed the connection before any answer" + stillSending(err)
	}
	return "no valid answer: " + err.Error()
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// writerReset reports whether the request's writer ended in a reset.
func writerReset(err error) bool {
	var se *sendError
	return errors.As(err, &se) && se.writeErr != nil && isReset(se.writeErr)
}

// stillSending says how far the request had got when the connection ended
// without an answer: a backend that refuses a body by closing the
// connection, instead of answering 413 or 400, ends it mid-request.
func stillSending(err error) string {
	var se *sendError
	if !errors.As(err, &se) || !se.unfinished() {
		return ""
	}
	return fmt.Sprintf(", while the request was still being sent (%d of %d bytes written)", se.sent, se.total)
}

// WaitReachable returns once the backend answers anything at all to a GET
// of the base URL (not recorded: it is no rule's), trying every half second
// for at most wait, once when wait is 0. The error says what was tried and
// what went wrong, with a hint for the usual causes.
func (c *Client) WaitReachable(ctx context.Context, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	probe := Request{Method: http.MethodGet, Header: c.withSettingsHeaders(nil)}
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, c.timeout)
		ans, err := c.exchange(actx, c.base, probe)
		cancel()
		if err == nil || ans.status != 0 {
			return nil
		}
		if !time.Now().Before(deadline) || ctx.Err() != nil {
			tried := fmt.Sprintf("GET %s once", c.redactor.Redact(c.base.String()))
			if wait > 0 {
				tried = fmt.Sprintf("GET %s, %d times over %s (--wait-for)", c.redactor.Redact(c.base.String()), attempt, wait)
			}
			return fmt.Errorf("%s: no answer: %s", tried, c.redactor.Redact(unreachable(err, c.timeout)))
		}
		select {
		case <-ctx.Done():
		case <-time.After(min(500*time.Millisecond, time.Until(deadline))):
		}
	}
}

// unreachable describes why a backend could not be reached at all.
func unreachable(err error, timeout time.Duration) string {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var certErr *tls.CertificateVerificationError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &unknownCA) || errors.As(err, &certErr) && errors.As(certErr.Err, &unknownCA):
		return "TLS: the server's certificate is signed by an authority this machine does not trust; give it with --ca-cert (CONTRACT_CA_CERT)"
	case errors.As(err, &hostname):
		return "TLS: " + hostname.Error()
	case errors.As(err, &certErr):
		return "TLS: " + certErr.Error()
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("the host %s is not known (DNS)", dnsErr.Name)
	}
	var tlsAlert tls.AlertError
	if errors.As(err, &tlsAlert) {
		return "TLS: the server refused the handshake (" + tlsAlert.Error() + "); does it want a client certificate (--client-cert, --client-key)?"
	}
	return describeError(err, false, 0, timeout, errors.Is(err, context.DeadlineExceeded) || isTimeout(err))
}
