package wire

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/contract/internal/redact"
	"github.com/flashback/revoke-contract/internal/testkit"
)

func testClient(t *testing.T, h http.Handler, timeout time.Duration) (*Client, *redact.Redactor, *Recorder) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	red, rec := &redact.Redactor{}, &Recorder{}
	c := NewClient(u, timeout, red, rec)
	t.Cleanup(c.Close)
	return c, red, rec
}

func TestClientRecordsRedacted(t *testing.T) {
	const tok = "tok-0123456789abcdef"
	c, red, rec := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		io.WriteString(w, `{"error":"bad `+r.URL.Query().Get("access_token")+`"}`)
	}), 5*time.Second)
	red.Add(tok)
	r := withBearer("t", tok)
	r.Path += "?access_token=" + tok
	ex := c.Do(context.Background(), "TEST-001", r)
	if ex.Status != 401 || ex.Err != "" {
		t.Fatalf("status %d err %q", ex.Status, ex.Err)
	}
	all := fmt.Sprintf("%s %v %v %s %s", ex.URL, ex.Header, ex.RespHeader, ex.RespBody, ex.Curl())
	if strings.Contains(all, tok) {
		t.Fatalf("token in the record:\n%s", all)
	}
	for _, want := range []string{"access_token=$TOKEN", "[Authorization Bearer $TOKEN]", "X-Echo:[Bearer $TOKEN]", `{"error":"bad $TOKEN"}`, `-H "Authorization: Bearer $TOKEN"`} {
		if !strings.Contains(all, want) {
			t.Errorf("record lacks %q:\n%s", want, all)
		}
	}
	if strings.Join(ex.Echoes, ",") != "header X-Echo,body" {
		t.Errorf("echoes = %q", ex.Echoes)
	}
	if got := rec.All(); len(got) != 1 || got[0] != ex || ex.Rule != "TEST-001" || !ex.Endpoint {
		t.Errorf("recorder: %+v", got)
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	c, _, _ := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			t.Error("redirect followed")
		}
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	}), 5*time.Second)
	ex := c.Do(context.Background(), "T", post("x"))
	if ex.Status != 307 || ex.RespHeader.Get("Location") != "/elsewhere" {
		t.Errorf("got %d %v", ex.Status, ex.RespHeader)
	}
}

func TestClientBodyCap(t *testing.T) {
	c, _, _ := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", MaxBodyBytes+10)))
	}), 5*time.Second)
	ex := c.Do(context.Background(), "T", post("x"))
	if !strings.Contains(ex.Err, "body exceeds 1 MiB") || ex.Answered() {
		t.Errorf("err %q", ex.Err)
	}
}

func TestClientTimeoutsAndBreaker(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var received atomic.Int32
	c, _, _ := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), 100*time.Millisecond)
	for i := 0; i < BreakerLimit; i++ {
		if ex := c.Do(context.Background(), "T", post("x")); !strings.Contains(ex.Err, "no answer within 100ms") {
			t.Fatalf("request %d: err %q", i, ex.Err)
		}
	}
	ex := c.Do(context.Background(), "T", post("x"))
	if !strings.HasPrefix(ex.Err, "not sent:") {
		t.Errorf("breaker did not trip: %q", ex.Err)
	}
	// At most: on a loaded machine a request can time out before its
	// handler runs, so fewer may be counted, never more.
	if n := received.Load(); n > BreakerLimit {
		t.Errorf("the backend received %d requests, want at most %d: the breaker must stop sending", n, BreakerLimit)
	}
}

// TestClientBreakerCountsTheRun: timeouts apart, each followed by a prompt
// answer, trip the breaker too once the run has had BreakerTotalLimit of
// them: a backend that stalls only on valid calls costs that many timeouts.
func TestClientBreakerCountsTheRun(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	var stalled atomic.Int32
	c, _, _ := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("stall") == "" {
			w.WriteHeader(401)
			return
		}
		stalled.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), 2*time.Second) // the prompt answers must come within it, even on a loaded machine
	stall := post("stall")
	stall.Path += "?stall=1"
	for i := 0; i < BreakerTotalLimit; i++ {
		if ex := c.Do(context.Background(), "T", stall); !strings.Contains(ex.Err, "no answer within 2s") {
			t.Fatalf("stall %d: err %q", i, ex.Err)
		}
		if i == BreakerTotalLimit-1 {
			break
		}
		if ex := c.Do(context.Background(), "T", post("prompt")); ex.Status != 401 {
			t.Fatalf("prompt request %d: %d %q", i, ex.Status, ex.Err)
		}
	}
	ex := c.Do(context.Background(), "T", post("prompt"))
	if !strings.Contains(ex.Err, fmt.Sprintf("not sent: the backend did not answer %d requests of this run in time", BreakerTotalLimit)) {
		t.Errorf("breaker did not trip after %d timeouts apart: %q", BreakerTotalLimit, ex.Err)
	}
	if n := stalled.Load(); n > BreakerTotalLimit {
		t.Errorf("the backend received %d stalling requests, want at most %d", n, BreakerTotalLimit)
	}
}

func TestClientSlowBody(t *testing.T) {
	c, _, _ := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		for i := 0; i < 100; i++ {
			w.Write([]byte(" "))
			w.(http.Flusher).Flush()
			select {
			case <-time.After(100 * time.Millisecond): // 10 s in all, far past the timeout
			case <-r.Context().Done():
				return
			}
		}
	}), 2*time.Second) // the header must come within it, even on a loaded machine
	ex := c.Do(context.Background(), "T", post("x"))
	if !strings.Contains(ex.Err, "body did not arrive within 2s") {
		t.Errorf("err %q", ex.Err)
	}
}

// rawServer serves loopback connections by hand: for each, it reads the
// request's header section and calls serve with the connection and that
// head, in a goroutine of its own. The connection is closed afterwards.
func rawServer(t *testing.T, serve func(conn *net.TCPConn, head string)) *url.URL {
	t.Helper()
	addr := testkit.RawServer(t, func(conn net.Conn) {
		head, err := testkit.ReadHead(bufio.NewReader(conn))
		if err != nil {
			return
		}
		serve(conn.(*net.TCPConn), head)
	})
	u, _ := url.Parse("http://" + addr)
	return u
}

// TestClientSendsExactly checks what reaches the wire: raw header values
// with trailing whitespace, unclean paths, chunked bodies, repeated headers.
func TestClientSendsExactly(t *testing.T) {
	got := make(chan string, 1)
	u := rawServer(t, func(conn *net.TCPConn, head string) {
		got <- head
		io.WriteString(conn, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	})
	c := NewClient(u, 2*time.Second, &redact.Redactor{}, &Recorder{})
	defer c.Close()

	tests := []struct {
		name string
		req  Request
		want []string
	}{
		{"trailing spaces", func() Request { r := post("x", auth("Bearer    ")); r.Raw = true; return r }(), []string{"Authorization: Bearer    \r\n"}},
		{"tab", func() Request { r := post("x", auth("Bearer\t")); r.Raw = true; return r }(), []string{"Authorization: Bearer\t\r\n"}},
		{"dot segment", func() Request { r := post("x"); r.Path = "/sessions/./revoke-all"; return r }(), []string{"POST /sessions/./revoke-all HTTP/1.1"}},
		{"double slash", func() Request { r := post("x"); r.Path = "/sessions//revoke-all"; return r }(), []string{"POST /sessions//revoke-all HTTP/1.1"}},
		{"encoded slash", func() Request { r := post("x"); r.Path = EndpointPath + "%2F"; return r }(), []string{"POST /sessions/revoke-all%2F HTTP/1.1"}},
		{"two Authorization headers", post("x", auth("Bearer one-token"), auth("Bearer two-token")), []string{"Authorization: Bearer one-token\r\n", "Authorization: Bearer two-token\r\n"}},
		{"chunked", func() Request { r := post("x"); r.Body, r.Chunked = []byte("{}"), true; return r }(), []string{"Transfer-Encoding: chunked"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := c.Do(context.Background(), "T", tt.req)
			if ex.Status != 401 {
				t.Fatalf("status %d err %q", ex.Status, ex.Err)
			}
			head := <-got
			for _, w := range tt.want {
				if !strings.Contains(head, w) {
					t.Errorf("request head lacks %q:\n%s", w, head)
				}
			}
		})
	}
}

// TestClientRawHugeHeaders: a backend that never ends its header section
// must not fill memory until the timeout; the raw path (hand-written
// requests) is bounded like net/http's.
func TestClientRawHugeHeaders(t *testing.T) {
	addr := testkit.RawServer(t, func(conn net.Conn) {
		io.WriteString(conn, "HTTP/1.1 401 Unauthorized\r\nX-Endless: ")
		chunk := []byte(strings.Repeat("a", 64<<10))
		for {
			if _, err := conn.Write(chunk); err != nil {
				return
			}
		}
	})
	u, _ := url.Parse("http://" + addr)
	// A timeout far beyond the test's patience: only the size bound can end
	// this exchange with the message below.
	c := NewClient(u, 10*time.Minute, &redact.Redactor{}, &Recorder{})
	defer c.Close()
	r := post("x", auth("Bearer "))
	r.Raw = true
	ex := c.Do(context.Background(), "T", r)
	if !strings.Contains(ex.Err, "response headers exceed") {
		t.Errorf("err %q, want a message about the headers' size", ex.Err)
	}
}

// earlyAnswerServer answers every request as soon as its header section has
// arrived, without reading the body, then closes the connection; with
// abort, the close is an immediate reset (SO_LINGER 0), as some servers and
// proxies do when they refuse to read a body. It counts what it answered.
func earlyAnswerServer(t *testing.T, abort bool) (*url.URL, *atomic.Int32) {
	t.Helper()
	var answered atomic.Int32
	u := rawServer(t, func(conn *net.TCPConn, _ string) {
		body := `{"success":true,"message":"All sessions revoked successfully"}`
		fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
		answered.Add(1)
		if abort {
			_ = conn.SetLinger(0)
		}
	})
	return u, &answered
}

// TestClientAnswerBeforeBodyCounts: a server may answer before it has read
// the request body and close the connection (RFC 9112 §9.6). The answer
// counts, whatever happens to the rest of the body: 400 exchanges of a
// 512 KiB body, 8 at a time, against a server that closes and one that
// resets, all end in the server's 200. (net/http's Transport lost about one
// in a hundred of them to "connection reset" on this machine.)
func TestClientAnswerBeforeBodyCounts(t *testing.T) {
	big := []byte(strings.Repeat("a", 512<<10))
	for _, abort := range []bool{false, true} {
		t.Run(fmt.Sprintf("reset=%v", abort), func(t *testing.T) {
			t.Parallel()
			u, answered := earlyAnswerServer(t, abort)
			c := NewClient(u, time.Minute, &redact.Redactor{}, &Recorder{})
			var wg sync.WaitGroup
			var failed atomic.Int32
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 25; i++ {
						r := withBearer("512 KiB body", "tok-0123456789abcdef")
						r.Header = append(r.Header, [2]string{"Content-Type", "application/octet-stream"})
						r.Body = big
						if ex := c.Do(context.Background(), "T", r); ex.Status != 200 || ex.Err != "" {
							if failed.Add(1) == 1 {
								t.Errorf("exchange %d: status %d, err %q", i, ex.Status, ex.Err)
							}
						}
					}
				}()
			}
			wg.Wait()
			if n := failed.Load(); n > 0 {
				t.Errorf("%d of 200 answers were lost (the server answered %d)", n, answered.Load())
			}
		})
	}
}

// TestClientResetBeforeAnswer: a server that resets the connection without
// answering is reported as that, never as a status.
func TestClientResetBeforeAnswer(t *testing.T) {
	u := rawServer(t, func(conn *net.TCPConn, _ string) { _ = conn.SetLinger(0) })
	c := NewClient(u, time.Minute, &redact.Redactor{}, &Recorder{})
	r := withBearer("512 KiB body", "tok-0123456789abcdef")
	r.Body = []byte(strings.Repeat("a", 512<<10))
	ex := c.Do(context.Background(), "T", r)
	if ex.Status != 0 || ex.Answered() {
		t.Fatalf("status %d: a connection reset without an answer has no status", ex.Status)
	}
	if !strings.Contains(ex.Err, "before any answer") {
		t.Errorf("err %q, want it to say the backend reset (or closed) before any answer", ex.Err)
	}
}

// forwardProxy is a minimal HTTP proxy: absolute-form requests are
// forwarded, CONNECT opens a tunnel. It records what it saw.
func forwardProxy(t *testing.T) (*url.URL, *[]string, *sync.Mutex) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.RequestURI+" auth="+r.Header.Get("Proxy-Authorization"))
		mu.Unlock()
		if r.Method == http.MethodConnect {
			upstream, err := net.Dial("tcp", r.Host)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				upstream.Close()
				return
			}
			io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
			go func() { io.Copy(upstream, conn); upstream.Close() }()
			io.Copy(conn, upstream)
			conn.Close()
			return
		}
		out, _ := http.NewRequest(r.Method, r.RequestURI, r.Body)
		out.Header = r.Header.Clone()
		out.Header.Del("Proxy-Authorization")
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	u.User = url.UserPassword("proxyuser", "proxypass")
	return u, &seen, &mu
}

// TestClientThroughProxy: every request, hand-written or not, with a body
// or not, goes through the proxy the environment names: plain http in the
// absolute form, https through a CONNECT tunnel, with the proxy's
// credentials; the backend never sees them.
func TestClientThroughProxy(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Saw", fmt.Sprintf("%s %s auth=%q proxy-auth=%q", r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Proxy-Authorization")))
		w.WriteHeader(401)
	})
	plain := httptest.NewServer(handler)
	defer plain.Close()
	secure := httptest.NewTLSServer(handler)
	defer secure.Close()
	proxy, seen, mu := forwardProxy(t)
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("proxyuser:proxypass"))

	for _, backend := range []*httptest.Server{plain, secure} {
		u, _ := url.Parse(backend.URL)
		c := NewClient(u, 10*time.Second, &redact.Redactor{}, &Recorder{})
		c.proxy = func(*http.Request) (*url.URL, error) { return proxy, nil }
		c.tls.RootCAs = x509.NewCertPool()
		c.tls.RootCAs.AddCert(secure.Certificate())
		raw := post("raw", auth("Bearer "))
		raw.Raw = true
		withBody := withBearer("body", "tok-0123456789abcdef")
		withBody.Body = []byte(`{"a":1}`)
		for _, r := range []Request{post("plain", auth("Bearer tok-0123456789abcdef")), raw, withBody} {
			mu.Lock()
			*seen = nil
			mu.Unlock()
			ex := c.Do(context.Background(), "T", r)
			if ex.Status != 401 {
				t.Fatalf("%s %s: status %d, err %q", u.Scheme, r.Name, ex.Status, ex.Err)
			}
			if saw := ex.RespHeader.Get("X-Saw"); !strings.HasPrefix(saw, "POST "+EndpointPath) || !strings.HasSuffix(saw, `proxy-auth=""`) {
				t.Errorf("%s %s: the backend saw %q", u.Scheme, r.Name, saw)
			}
			mu.Lock()
			got := strings.Join(*seen, "; ")
			mu.Unlock()
			want := "POST " + backend.URL + EndpointPath + " auth=" + wantAuth
			if u.Scheme == "https" {
				want = "CONNECT " + u.Host + " auth=" + wantAuth
			}
			if got != want {
				t.Errorf("%s %s: the proxy saw %q, want %q", u.Scheme, r.Name, got, want)
			}
		}
	}
}

// Request builders of the rules, in small.
func post(name string, header ...[2]string) Request {
	return Request{Name: name, Method: "POST", Path: EndpointPath, Header: append([][2]string{{"Accept", "application/json"}}, header...)}
}

func auth(value string) [2]string { return [2]string{"Authorization", value} }

func withBearer(name, tok string) Request {
	r := post(name, auth("Bearer "+tok))
	r.Credentials, r.BearerToken = []string{tok}, true
	return r
}

func TestEchoes(t *testing.T) {
	tok := "secret-token-123"
	tests := []struct {
		name   string
		header map[string][]string
		body   string
		creds  []string
		want   string
	}{
		{"none", map[string][]string{"Content-Type": {"application/json"}}, `{"success":false}`, []string{tok}, ""},
		{"body", nil, `{"error":"bad secret-token-123"}`, []string{tok}, "body"},
		{"header", map[string][]string{"X-Debug": {"Bearer secret-token-123"}}, "", []string{tok}, "header X-Debug"},
		{"both", map[string][]string{"X-Debug": {tok}}, tok, []string{tok}, "header X-Debug,body"},
		{"short credentials are not looked for", nil, "a b", []string{"a b"}, ""},
		{"JSON-escaped", nil, `{"error":"bad secret\/token-123"}`, []string{"secret/token-123"}, "body"},
		{"URL-encoded", map[string][]string{"Location": {"/login?t=secret%2Ftoken-123"}}, "", []string{"secret/token-123"}, "header Location"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(echoes(tt.creds, tt.header, []byte(tt.body)), ",")
			if got != tt.want {
				t.Errorf("echoes = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestClientSettingsHeaders: configured headers go with every request that
// does not set them, and show as placeholders in the record even when too
// short to be redacted by value.
func TestClientSettingsHeaders(t *testing.T) {
	var seen []string
	var mu sync.Mutex
	c, red, rec := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("X-Api-Key")+"|"+r.Header.Get("X-Tenant"))
		mu.Unlock()
		w.Header().Set("X-Echo", r.Header.Get("X-Api-Key"))
		w.WriteHeader(401)
	}), 5*time.Second)
	c.Configure(Settings{Headers: [][2]string{{"X-Api-Key", "key-0123456789"}, {"X-Tenant", "acme"}}})
	c.Do(context.Background(), "T", post("x"))
	own := post("x", [2]string{"X-Tenant", "other"})
	c.Do(context.Background(), "T", own)
	if strings.Join(seen, ",") != "key-0123456789|acme,key-0123456789|other" {
		t.Errorf("the backend saw %q", seen)
	}
	all := fmt.Sprint(rec.All()[0].Header, rec.All()[0].RespHeader, rec.All()[0].Curl())
	if strings.Contains(all, "key-0123456789") || strings.Contains(all, "acme") {
		t.Errorf("a header value is in the record: %s", all)
	}
	if !strings.Contains(all, "$HEADER_X_API_KEY") || !strings.Contains(all, `-H "X-Tenant: $HEADER_X_TENANT"`) {
		t.Errorf("the record lacks the placeholders: %s", all)
	}
	if red.Redact("key-0123456789") != "$HEADER_X_API_KEY" {
		t.Error("the header value is not registered with the redactor")
	}
}

// TestClientRateLimiting: a 429 is waited out as its Retry-After says,
// within the client's patience; beyond it the exchange is recorded as rate
// limiting, not as an answer.
func TestClientRateLimiting(t *testing.T) {
	var calls atomic.Int32
	c, _, _ := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if n <= 2 || r.URL.Query().Get("always") != "" {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(401)
	}), 5*time.Second)
	c.Configure(Settings{RateLimitWait: time.Second})
	if ex := c.Do(context.Background(), "T", post("x")); ex.Status != 401 || ex.Err != "" || calls.Load() != 3 {
		t.Errorf("after two 429s: status %d, err %q, %d calls", ex.Status, ex.Err, calls.Load())
	}
	c.Configure(Settings{})
	r := post("x")
	r.Path += "?always=1"
	ex := c.Do(context.Background(), "T", r)
	if !ex.RateLimited || ex.Answered() || !strings.Contains(ex.Err, "rate limited") {
		t.Errorf("429 without patience: %+v", ex)
	}
	if d, ok := retryAfter("Wed, 21 Oct 2015 07:28:00 GMT"); !ok || d != 0 {
		t.Errorf("a date in the past: %v %v", d, ok)
	}
	if _, ok := retryAfter("soon"); ok {
		t.Error("an unreadable Retry-After must not be waited on")
	}
}

// TestClientRateLimitStorm: once a request has given up on 429s, the next
// 429s are not waited on (each costs one exchange, not its Retry-After ten
// times over) until the backend answers something else, after which the
// client is patient again.
func TestClientRateLimitStorm(t *testing.T) {
	var calls atomic.Int32
	var storming atomic.Bool
	storming.Store(true)
	c, _, _ := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if storming.Load() {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(401)
	}), 5*time.Second)
	c.Configure(Settings{RateLimitWait: time.Minute})
	if ex := c.Do(context.Background(), "T", post("first")); !ex.RateLimited || calls.Load() != maxRateLimitRetries+1 {
		t.Fatalf("the first request of a storm: rate limited %v after %d calls, want %d", ex.RateLimited, calls.Load(), maxRateLimitRetries+1)
	}
	for i := range 5 {
		before := calls.Load()
		ex := c.Do(context.Background(), "T", post("during"))
		if !ex.RateLimited || calls.Load()-before != 1 || !strings.Contains(ex.Err, "not waited on again") {
			t.Fatalf("request %d during the storm: rate limited %v, %d calls, %q", i, ex.RateLimited, calls.Load()-before, ex.Err)
		}
	}
	storming.Store(false)
	if ex := c.Do(context.Background(), "T", post("after")); ex.Status != 401 {
		t.Fatalf("after the storm: %d %q", ex.Status, ex.Err)
	}
	storming.Store(true)
	before := calls.Load()
	if ex := c.Do(context.Background(), "T", post("a new storm")); !ex.RateLimited || calls.Load()-before != maxRateLimitRetries+1 {
		t.Errorf("a new storm: the client must be patient again (%d calls)", calls.Load()-before)
	}
}

// TestClientMutualTLS: a private CA and a client certificate reach a
// backend that requires both.
func TestClientMutualTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	cert := srv.TLS.Certificates[0] // the test server's own pair serves as a client certificate too
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())

	c := NewClient(u, 5*time.Second, &redact.Redactor{}, &Recorder{})
	if ex := c.Do(context.Background(), "T", post("x")); ex.Answered() {
		t.Fatalf("an unknown CA was trusted: %d", ex.Status)
	}
	c = NewClient(u, 5*time.Second, &redact.Redactor{}, &Recorder{})
	c.Configure(Settings{RootCAs: pool})
	if ex := c.Do(context.Background(), "T", post("x")); ex.Answered() {
		t.Fatalf("no client certificate, yet answered %d", ex.Status)
	}
	c = NewClient(u, 5*time.Second, &redact.Redactor{}, &Recorder{})
	c.Configure(Settings{RootCAs: pool, Certificates: []tls.Certificate{cert}})
	if ex := c.Do(context.Background(), "T", post("x")); ex.Status != 401 {
		t.Fatalf("with the CA and a client certificate: %d %q", ex.Status, ex.Err)
	}
}

// TestResetSeenByTheWriter: when the writer of a large request saw the
// reset and the reader only the end of the connection, the error says
// reset, with how far the request got; a close the writer did not see as
// a reset is a close. Both say "before any answer". (Which of the two the
// reader sees is timing: TestClientResetBeforeAnswer cannot choose it.)
func TestResetSeenByTheWriter(t *testing.T) {
	for _, c := range []struct {
		writeErr error
		want     string
	}{
		{syscall.ECONNRESET, "connection reset by the backend before any answer, while the request was still being sent (10 of 100 bytes written)"},
		{syscall.EPIPE, "connection reset by the backend before any answer, while the request was still being sent (10 of 100 bytes written)"},
		{nil, "the backend closed the connection before any answer, while the request was still being sent (10 of 100 bytes written)"},
	} {
		err := &sendError{err: io.EOF, sent: 10, total: 100, writeDone: c.writeErr != nil, writeErr: c.writeErr}
		if got := describeError(err, false, 0, time.Second, false); got != c.want {
			t.Errorf("writer's error %v: %q, want %q", c.writeErr, got, c.want)
		}
	}
}
