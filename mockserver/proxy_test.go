package mockserver_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/contract/teeth"
	"github.com/flashback/revoke-contract/internal/testkit"
	"github.com/flashback/revoke-contract/mockserver"
	"github.com/flashback/revoke-contract/spec/endpoint"
)

// proxyFor starts a proxy in front of upstream and returns its URL and log.
func proxyFor(t *testing.T, upstream string, mod func(*mockserver.ProxyOptions)) (string, *testkit.Buffer) {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	logs := &testkit.Buffer{}
	opts := mockserver.ProxyOptions{Upstream: u, Logger: slog.New(slog.NewTextHandler(logs, nil))}
	if mod != nil {
		mod(&opts)
	}
	p, err := mockserver.NewProxy(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL, logs
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func call(t *testing.T, method, target string, header http.Header, body io.Reader) answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, target, err)
	}
	return answer{resp.StatusCode, resp.Header, data}
}

func violationsOf(t *testing.T, a answer) []mockserver.Violation {
	t.Helper()
	raw := a.header.Get(mockserver.ViolationsHeader)
	if raw == "" {
		return nil
	}
	var vs []mockserver.Violation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		t.Fatalf("%s is not a JSON array of violations: %v\n%s", mockserver.ViolationsHeader, err, raw)
	}
	return vs
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

func TestProxyInFrontOfTheMockFindsNoViolation(t *testing.T) {
	t.Parallel()
	mock, err := mockserver.New(mockserver.Options{Sessions: mockserver.SessionsOff})
	if err != nil {
		t.Fatal(err)
	}
	up := &testkit.Recorder{Next: mock}
	upstream := httptest.NewServer(up)
	defer upstream.Close()
	proxy, logs := proxyFor(t, upstream.URL, nil)
	for _, c := range []struct {
		name   string
		header http.Header
		status int
	}{
		{"200", bearer("my-dev-token"), 200},
		{"500 via Prefer", http.Header{"Authorization": {"Bearer my-dev-token"}, "Prefer": {"code=500"}}, 500},
		{"401 without credentials", nil, 401},
	} {
		got := call(t, http.MethodPost, proxy+endpoint.Path, c.header, nil)
		last := up.Last()
		status, header, body := last.Status, last.Header, last.Body
		if got.status != c.status || got.status != status || !bytes.Equal(got.body, body) {
			t.Errorf("%s: the proxy answered %d %q, the mock %d %q (want %d, byte for byte)", c.name, got.status, got.body, status, body, c.status)
		}
		for name := range header {
			if name != "Date" && !slices.Equal(got.header[name], header[name]) {
				t.Errorf("%s: header %s: proxy %q, mock %q", c.name, name, got.header[name], header[name])
			}
		}
		if vs := violationsOf(t, got); vs != nil {
			t.Errorf("%s: violations reported on a conforming answer: %+v", c.name, vs)
		}
	}
	testkit.Poll(10*time.Second, func() bool { return strings.Count(logs.String(), "msg=request") == 3 })
	if strings.Count(logs.String(), "msg=request") != 3 || strings.Contains(logs.String(), "disagree") || strings.Contains(logs.String(), "my-dev-token") {
		t.Errorf("log:\n%s", logs)
	}
}

// mintAt mints a session directly at a teeth backend (the proxy owns /__mock/).
func mintAt(t *testing.T, base string) string {
	t.Helper()
	a := call(t, http.MethodPost, base+"/__mock/sessions", nil, strings.NewReader(`{"user":"alice"}`))
	var out struct{ Token string }
	if err := json.Unmarshal(a.body, &out); err != nil || out.Token == "" {
		t.Fatalf("mint: %d %s", a.status, a.body)
	}
	return out.Token
}

func TestProxyInFrontOfBrokenBackends(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		knob     teeth.Knob
		token    string // "valid": a minted one; "": none; else sent as is
		location string // the violation expected, its location joined by "."
		says     string
	}{
		{teeth.Answers202, "valid", "response.status", "status 202 is not documented"},
		{teeth.Forbidden403, "unknown-token-0123456789", "response.status", "status 403 is not documented"},
		{teeth.TextPlain, "valid", "response.headers.Content-Type", "text/plain"},
		{teeth.SuccessAsString, "valid", "response.body.success", "want boolean"},
		{teeth.InvalidJSON200, "valid", "response.body", ""},
		{teeth.Bad401Body, "", "response.body", ""},
		{teeth.NoWWWAuthenticate, "", "response.headers.WWW-Authenticate", "without WWW-Authenticate"},
		{teeth.EchoesToken, "unknown-token-0123456789", "response.body", "carries the request's credential"},
		{teeth.RedirectsToLogin, "", "response.status", "status 302 is not documented"},
	} {
		t.Run(string(c.knob), func(t *testing.T) {
			t.Parallel()
			up := &testkit.Recorder{Next: teeth.NewBackend(c.knob)}
			upstream := httptest.NewServer(up)
			defer upstream.Close()
			proxy, logs := proxyFor(t, upstream.URL, nil)
			var header http.Header
			token := c.token
			if token == "valid" {
				token = mintAt(t, upstream.URL)
			}
			if token != "" {
				header = bearer(token)
			}
			// The client does not follow redirects, so a 302 is seen as sent.
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			req, _ := http.NewRequest(http.MethodPost, proxy+endpoint.Path, nil)
			for k, v := range header {
				req.Header[k] = v
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got := answer{resp.StatusCode, resp.Header, body}
			status, upBody := up.Last().Status, up.Last().Body
			if got.status != status || !bytes.Equal(got.body, upBody) {
				t.Errorf("the proxy answered %d %q, the backend %d %q: want them byte for byte", got.status, got.body, status, upBody)
			}
			vs := violationsOf(t, got)
			found := false
			for _, v := range vs {
				if v.Source == "response" && strings.HasPrefix(strings.Join(v.Location, "."), c.location) && strings.Contains(v.Message, c.says) {
					found = true
				}
			}
			if !found {
				t.Errorf("want a violation at %s saying %q; got %+v", c.location, c.says, vs)
			}
			if token != "" {
				testkit.Poll(10*time.Second, func() bool { return strings.Contains(logs.String(), "msg=request") })
				for _, where := range []string{got.header.Get(mockserver.ViolationsHeader), logs.String(), string(call(t, http.MethodGet, proxy+"/__mock/requests", nil, nil).body)} {
					if strings.Contains(where, token) {
						t.Errorf("the token leaked: %s", where)
					}
				}
			}
		})
	}
}

func TestProxyErrorsReplacesAViolatingAnswer(t *testing.T) {
	t.Parallel()
	backend := httptest.NewServer(teeth.NewBackend(teeth.SuccessAsString))
	defer backend.Close()
	proxy, _ := proxyFor(t, backend.URL, func(o *mockserver.ProxyOptions) { o.Errors = true })
	token := mintAt(t, backend.URL)
	got := call(t, http.MethodPost, proxy+endpoint.Path, bearer(token), nil)
	var prob struct {
		Type           string
		Status         int
		UpstreamStatus int
		Violations     []mockserver.Violation
	}
	if err := json.Unmarshal(got.body, &prob); err != nil {
		t.Fatalf("%d %s: %v", got.status, got.body, err)
	}
	if got.status != 502 || got.header.Get("Content-Type") != "application/problem+json" || prob.Type != "urn:revoke-mock:problem:contract-violation" ||
		prob.UpstreamStatus != 200 || len(prob.Violations) == 0 || strings.Join(prob.Violations[0].Location, ".") != "response.body.success" {
		t.Errorf("want the 502 contract-violation problem naming success and the upstream's 200; got %d %s", got.status, got.body)
	}
	// A conforming answer is not touched.
	if got := call(t, http.MethodPost, proxy+endpoint.Path, nil, nil); got.status != 401 {
		t.Errorf("a conforming 401 became %d %s", got.status, got.body)
	}
}

func TestProxyUpstreamUnreachableOrSlow(t *testing.T) {
	t.Parallel()
	closed := "http://" + testkit.FreeAddr(t)
	proxy, _ := proxyFor(t, closed, nil)
	got := call(t, http.MethodPost, proxy+endpoint.Path, bearer("my-dev-token"), nil)
	if got.status != 502 || !strings.Contains(string(got.body), "upstream-unreachable") || !strings.Contains(string(got.body), closed) {
		t.Errorf("unreachable upstream: want the 502 upstream-unreachable problem naming %s; got %d %s", closed, got.status, got.body)
	}

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	transport, err := mockserver.UpstreamTransport("", 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	proxy, _ = proxyFor(t, slow.URL, func(o *mockserver.ProxyOptions) { o.Transport = transport })
	got = call(t, http.MethodPost, proxy+endpoint.Path, bearer("my-dev-token"), nil)
	if got.status != 504 || !strings.Contains(string(got.body), "upstream-timeout") {
		t.Errorf("slow upstream: want the 504 upstream-timeout problem; got %d %s", got.status, got.body)
	}

	// Headers at once, then a JSON body that stalls: the proxy, which
	// buffers it to check it, gives up too instead of holding the client.
	stalls := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"success":`))
		http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer stalls.Close()
	proxy, logs := proxyFor(t, stalls.URL, func(o *mockserver.ProxyOptions) { o.UpstreamTimeout = 200 * time.Millisecond })
	got = call(t, http.MethodPost, proxy+endpoint.Path, bearer("my-dev-token"), nil)
	if got.status != 504 || !strings.Contains(string(got.body), "body stalled") {
		t.Errorf("a stalled body: want the 504 upstream-timeout problem saying the body stalled; got %d %s", got.status, got.body)
	}
	if !testkit.Poll(10*time.Second, func() bool {
		return strings.Contains(logs.String(), "upstream_status=200") && strings.Contains(logs.String(), "status=504")
	}) {
		t.Errorf("the log line should tell the upstream's 200 from the 504 sent:\n%s", logs)
	}
}

// TestProxyStreamsLargeBodies proves both bodies stream: the upstream sends
// the rest of its answer only once the client has the first MiB, and the
// client sends the rest of its upload only once the upstream has the first. A proxy that buffered would deadlock (until the
// test's deadline).
func TestProxyStreamsLargeBodies(t *testing.T) {
	t.Parallel()
	const chunk, total = 1 << 20, 8 << 20
	payload := bytes.Repeat([]byte("0123456789abcdef"), total/16)
	clientHasFirst := make(chan struct{})
	upstreamHasFirst := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/download":
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(payload[:chunk])
			http.NewResponseController(w).Flush()
			select {
			case <-clientHasFirst:
			case <-r.Context().Done():
				return
			}
			_, _ = w.Write(payload[chunk:])
		case "/upload":
			first := make([]byte, chunk)
			if _, err := io.ReadFull(r.Body, first); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			close(upstreamHasFirst)
			h := sha256.New()
			h.Write(first)
			n, _ := io.Copy(h, r.Body)
			fmt.Fprintf(w, "%d:%x", n+chunk, h.Sum(nil))
		}
	}))
	defer upstream.Close()
	proxy, _ := proxyFor(t, upstream.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, proxy+"/download", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, chunk)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatalf("the first MiB did not come through before the rest was sent: %v", err)
	}
	close(clientHasFirst)
	rest, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(append(first, rest...), payload) {
		t.Fatalf("download: %d bytes, err %v: want the 8 MiB byte for byte", len(first)+len(rest), err)
	}

	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write(payload[:chunk])
		select {
		case <-upstreamHasFirst:
		case <-ctx.Done():
		}
		_, _ = pw.Write(payload[chunk:])
		pw.Close()
	}()
	req, _ = http.NewRequestWithContext(ctx, http.MethodPut, proxy+"/upload", pr)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sum := sha256.Sum256(payload)
	if want := fmt.Sprintf("%d:%x", total, sum); string(got) != want {
		t.Errorf("upload: the upstream did not get the 8 MiB byte for byte (answer %q)", got)
	}
}

func TestProxyForwardsUnchangedButHopByHop(t *testing.T) {
	t.Parallel()
	var seen struct {
		Method, URI, Host, Body string
		Header                  http.Header
	}
	var mu sync.Mutex
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen.Method, seen.URI, seen.Host, seen.Body, seen.Header = r.Method, r.RequestURI, r.Host, string(body), r.Header.Clone()
		mu.Unlock()
		w.Header().Set("Connection", "X-Resp-Hop")
		w.Header().Set("X-Resp-Hop", "1")
		w.Header().Set("X-Kept", "yes")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.WriteHeader(418)
		_, _ = w.Write([]byte("teapot \x00\xff bytes"))
	}))
	defer upstream.Close()
	proxy, _ := proxyFor(t, upstream.URL+"/base", nil)
	h := http.Header{
		"Authorization":   {"Bearer abc.def-123"},
		"Connection":      {"X-Hop"},
		"X-Hop":           {"dropped"},
		"Keep-Alive":      {"timeout=5"},
		"X-Forwarded-For": {"203.0.113.9"},
		"X-Custom":        {"a", "b"},
		"Origin":          {"http://localhost:5173"},
	}
	got := call(t, http.MethodPatch, proxy+"/things/1?b=2&a=1&a=%2F", h, strings.NewReader("raw body \x01"))
	mu.Lock()
	defer mu.Unlock()
	if seen.Method != "PATCH" || seen.URI != "/base/things/1?b=2&a=1&a=%2F" || seen.Body != "raw body \x01" {
		t.Errorf("the upstream saw %s %s %q", seen.Method, seen.URI, seen.Body)
	}
	if seen.Header.Get("Authorization") != "Bearer abc.def-123" || !slices.Equal(seen.Header["X-Custom"], []string{"a", "b"}) ||
		seen.Header.Get("X-Forwarded-For") != "203.0.113.9" || seen.Header.Get("Origin") != "http://localhost:5173" {
		t.Errorf("end-to-end headers changed: %v", seen.Header)
	}
	for _, hop := range []string{"X-Hop", "Keep-Alive", "Connection"} {
		if v := seen.Header.Get(hop); v != "" {
			t.Errorf("hop-by-hop %s forwarded: %q", hop, v)
		}
	}
	if got.status != 418 || string(got.body) != "teapot \x00\xff bytes" || got.header.Get("X-Kept") != "yes" || got.header.Get("X-Resp-Hop") != "" {
		t.Errorf("answer: %d %q %v", got.status, got.body, got.header)
	}
	if acao := got.header.Values("Access-Control-Allow-Origin"); !slices.Equal(acao, []string{"http://localhost:5173"}) {
		t.Errorf("Access-Control-Allow-Origin %q: want the proxy's, once", acao)
	}
	if !strings.Contains(got.header.Get("Access-Control-Expose-Headers"), mockserver.ViolationsHeader) {
		t.Errorf("the violations header is not exposed to pages: %v", got.header)
	}
}

func TestProxyOwnsPreflightsAndControlAPI(t *testing.T) {
	t.Parallel()
	up := &testkit.Recorder{Next: teeth.NewBackend(teeth.NoWWWAuthenticate)}
	upstream := httptest.NewServer(up)
	defer upstream.Close()
	proxy, _ := proxyFor(t, upstream.URL, func(o *mockserver.ProxyOptions) { o.CORSOrigins = []string{"http://app.test"} })
	pre := call(t, http.MethodOptions, proxy+endpoint.Path, http.Header{"Origin": {"http://app.test"}, "Access-Control-Request-Method": {"POST"},
		"Access-Control-Request-Headers": {"authorization"}}, nil)
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "http://app.test" || pre.header.Get("Access-Control-Allow-Headers") != "authorization" {
		t.Errorf("preflight: %d %v", pre.status, pre.header)
	}
	if refused := call(t, http.MethodOptions, proxy+endpoint.Path, http.Header{"Origin": {"http://evil.test"}, "Access-Control-Request-Method": {"POST"}}, nil); refused.status != 403 {
		t.Errorf("preflight from another origin: %d", refused.status)
	}
	health := call(t, http.MethodGet, proxy+"/__mock/health", nil, nil)
	if health.status != 200 || !strings.Contains(string(health.body), `"mode":"proxy"`) || !strings.Contains(string(health.body), upstream.URL) {
		t.Errorf("health: %d %s", health.status, health.body)
	}
	if calls := up.Count(); calls != 0 {
		t.Errorf("the upstream saw %d requests the proxy owns", calls)
	}
	call(t, http.MethodPost, proxy+endpoint.Path, nil, nil)
	testkit.Poll(10*time.Second, func() bool {
		return strings.Contains(string(call(t, http.MethodGet, proxy+"/__mock/requests?method=POST", nil, nil).body), `"status":401`)
	})
	var j struct {
		Requests []struct {
			Status     int
			Violations []mockserver.Violation
		}
	}
	list := call(t, http.MethodGet, proxy+"/__mock/requests", nil, nil)
	if err := json.Unmarshal(list.body, &j); err != nil || len(j.Requests) == 0 || j.Requests[0].Status != 401 || len(j.Requests[0].Violations) != 1 ||
		j.Requests[0].Violations[0].Location[2] != "WWW-Authenticate" {
		t.Errorf("journal: want the 401 with its violation first; got %s", list.body)
	}
	if nf := call(t, http.MethodGet, proxy+"/__mock/scenarios", nil, nil); nf.status != 404 || !strings.Contains(string(nf.body), "not-found") {
		t.Errorf("an endpoint the proxy lacks: %d %s", nf.status, nf.body)
	}
}

func TestProxyVerifiesUpstreamTLS(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewUnstartedServer(teeth.NewBackend())
	upstream.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point
	upstream.StartTLS()
	defer upstream.Close()
	proxy, _ := proxyFor(t, upstream.URL, nil)
	got := call(t, http.MethodPost, proxy+endpoint.Path, nil, nil)
	if got.status != 502 || !strings.Contains(string(got.body), "upstream-tls") || !strings.Contains(string(got.body), "--upstream-ca") {
		t.Errorf("an untrusted certificate: want the 502 upstream-tls problem; got %d %s", got.status, got.body)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: upstream.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	transport, err := mockserver.UpstreamTransport(ca, 0)
	if err != nil {
		t.Fatal(err)
	}
	proxy, _ = proxyFor(t, upstream.URL, func(o *mockserver.ProxyOptions) { o.Transport = transport })
	if got := call(t, http.MethodPost, proxy+endpoint.Path, nil, nil); got.status != 401 {
		t.Errorf("with --upstream-ca: want the backend's 401; got %d %s", got.status, got.body)
	}
	if _, err := mockserver.UpstreamTransport(filepath.Join(t.TempDir(), "missing.pem"), 0); err == nil {
		t.Error("a missing CA file was accepted")
	}
	empty := filepath.Join(t.TempDir(), "empty.pem")
	_ = os.WriteFile(empty, []byte("not a certificate"), 0o600)
	if _, err := mockserver.UpstreamTransport(empty, 0); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("a file without certificates: %v", err)
	}
}

func TestNewProxyRefusesBadUpstreams(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"", "ftp://x", "http://", "http://x?a=1", "/relative"} {
		var u *url.URL
		if raw != "" {
			u, _ = url.Parse(raw)
		}
		if _, err := mockserver.NewProxy(mockserver.ProxyOptions{Upstream: u}); err == nil {
			t.Errorf("upstream %q accepted", raw)
		}
	}
}

// TestProxyNamesBodiesTooBigToCheck: a request or answer body over the
// 1 MiB the proxy buffers is named in Revoke-Mock-Violations as not
// validated, whether its length is known or not, and counted in the
// journal; the answer passes byte for byte, even with --errors (a body
// too big to check breaks nothing).
func TestProxyNamesBodiesTooBigToCheck(t *testing.T) {
	t.Parallel()
	mock, err := mockserver.New(mockserver.Options{Sessions: mockserver.SessionsOff})
	if err != nil {
		t.Fatal(err)
	}
	big := append(append([]byte(`{"success":true,"message":"`), bytes.Repeat([]byte("x"), 2<<20)...), `"}`...)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		switch r.Header.Get("X-Answer") {
		case "big":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			_, _ = w.Write(big)
		case "big-streamed":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(big[:1000])
			http.NewResponseController(w).Flush()
			_, _ = w.Write(big[1000:])
		default: // the mock's answer, as if the body had been small
			r.Body, r.ContentLength = http.NoBody, 0
			r.Header.Del("Content-Length")
			mock.ServeHTTP(w, r)
		}
	}))
	defer upstream.Close()
	bigBody := func(known bool) io.Reader {
		r := bytes.NewReader(bytes.Repeat([]byte("y"), 2<<20))
		if known {
			return r
		}
		return io.MultiReader(r) // no length: sent chunked
	}
	for _, errorsMode := range []bool{false, true} {
		proxy, _ := proxyFor(t, upstream.URL, func(o *mockserver.ProxyOptions) { o.Errors = errorsMode })
		for _, c := range []struct {
			name, answer, source string
			body                 func() io.Reader
		}{
			{"big answer", "big", "response", nil},
			{"big answer, streamed", "big-streamed", "response", nil},
			{"big request", "", "request", func() io.Reader { return bigBody(true) }},
			{"big request, streamed", "", "request", func() io.Reader { return bigBody(false) }},
		} {
			name := fmt.Sprintf("%s (errors %v)", c.name, errorsMode)
			h := bearer("my-dev-token")
			h.Set("X-Answer", c.answer)
			var body io.Reader
			if c.body != nil {
				body = c.body()
			}
			got := call(t, http.MethodPost, proxy+endpoint.Path, h, body)
			if got.status != 200 || (c.answer != "" && !bytes.Equal(got.body, big)) {
				t.Errorf("%s: %d, %d bytes: want the upstream's 200 byte for byte", name, got.status, len(got.body))
			}
			vs := violationsOf(t, got)
			if len(vs) != 1 || vs[0].Source != c.source || !strings.HasPrefix(vs[0].Message, "not validated: the "+c.source+" body is over 1 MiB") {
				t.Errorf("%s: want one violation naming the %s body as not validated, got %+v", name, c.source, vs)
			}
		}
		if !testkit.Poll(10*time.Second, func() bool {
			return strings.Count(string(call(t, http.MethodGet, proxy+"/__mock/requests", nil, nil).body), "not validated: the") == 4
		}) {
			t.Errorf("errors %v: the journal does not count the 4 bodies not validated:\n%.2000s", errorsMode, call(t, http.MethodGet, proxy+"/__mock/requests", nil, nil).body)
		}
	}
}
