package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/flashback/revoke-contract/mockserver"
	"github.com/flashback/revoke-contract/mockserver/reqlog"
	"github.com/flashback/revoke-contract/spec"
)

const revokeAll = mockserver.RevokeAllPath

// benchAuthorization is a well-formed bearer credential that means nothing:
// --sessions off accepts any. It is never printed.
const benchAuthorization = "Bearer bench-not-a-secret"

// newRequest builds the request every benchmark sends: POST revoke-all,
// no body, with the given headers.
func newRequest(headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4010"+revokeAll, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	return r
}

func newMock(tb testing.TB, opts mockserver.Options) *mockserver.Server {
	tb.Helper()
	m, err := mockserver.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// serveOnce answers r with h and fails unless the status is want: a
// benchmark must measure the path it names, not an error path.
func serveOnce(tb testing.TB, h http.Handler, r *http.Request, want int) *httptest.ResponseRecorder {
	tb.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != want {
		tb.Fatalf("%s %s answered %d, want %d: %s", r.Method, r.URL.Path, w.Code, want, w.Body)
	}
	return w
}

// bareHandler is the baseline: a net/http handler that writes the mock's
// 200 answer (same bytes, same headers) and does nothing else.
func bareHandler(tb testing.TB) http.Handler {
	tb.Helper()
	ref := serveOnce(tb, newMock(tb, mockserver.Options{Sessions: mockserver.SessionsOff}), newRequest("Authorization", benchAuthorization), http.StatusOK)
	body := ref.Body.Bytes()
	header := ref.Header().Clone()
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		for k, v := range header {
			h[k] = v
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
}

// BenchmarkMock is the mock's whole request path through ServeHTTP.
func BenchmarkMock(b *testing.B) {
	cases := []struct {
		name   string
		opts   mockserver.Options
		header []string
		status int
	}{
		{"200-valid-token-sessions-off", mockserver.Options{Sessions: mockserver.SessionsOff}, []string{"Authorization", benchAuthorization}, 200},
		{"200-valid-token-sessions-off-journal-off", mockserver.Options{Sessions: mockserver.SessionsOff, JournalSize: -1}, []string{"Authorization", benchAuthorization}, 200},
		{"200-valid-token-sessions-off-logged", mockserver.Options{Sessions: mockserver.SessionsOff, RequestLog: discardRequestLog()}, []string{"Authorization", benchAuthorization}, 200},
		{"200-valid-token-sessions-off-slog", mockserver.Options{Sessions: mockserver.SessionsOff, Logger: discardLogger()}, []string{"Authorization", benchAuthorization}, 200},
		{"200-cors-origin-sessions-off", mockserver.Options{Sessions: mockserver.SessionsOff}, []string{"Authorization", benchAuthorization, "Origin", "http://127.0.0.1:5173"}, 200},
		{"401-missing-credentials", mockserver.Options{Sessions: mockserver.SessionsOff}, nil, 401},
		{"500-prefer-code", mockserver.Options{Sessions: mockserver.SessionsOff}, []string{"Authorization", benchAuthorization, "Prefer", "code=500"}, 500},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			m := newMock(b, c.opts)
			r := newRequest(c.header...)
			serveOnce(b, m, r, c.status)
			b.ReportAllocs()
			for b.Loop() {
				m.ServeHTTP(httptest.NewRecorder(), r)
			}
		})
	}
}

// BenchmarkBare is the baseline: the same 200 from a handler that does
// nothing else, through the same recorder.
func BenchmarkBare(b *testing.B) {
	h := bareHandler(b)
	r := newRequest("Authorization", benchAuthorization)
	serveOnce(b, h, r, http.StatusOK)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
}

// BenchmarkMockVsBare interleaves batches of the mock's 200 and the bare
// handler's in one loop, so that drift (frequency, other load) hits both
// alike, and reports both costs and their ratio: the mock without a log,
// and with the request log revoke-mock writes (text, buffered).
func BenchmarkMockVsBare(b *testing.B) {
	for _, c := range []struct {
		name string
		opts mockserver.Options
	}{
		{"log-off", mockserver.Options{Sessions: mockserver.SessionsOff}},
		{"logged", mockserver.Options{Sessions: mockserver.SessionsOff, RequestLog: discardRequestLog()}},
	} {
		b.Run(c.name, func(b *testing.B) {
			m := newMock(b, c.opts)
			bare := bareHandler(b)
			r := newRequest("Authorization", benchAuthorization)
			serveOnce(b, m, r, http.StatusOK)
			interleave(b, 64, "mock", "bare", func() { m.ServeHTTP(httptest.NewRecorder(), r) }, func() { bare.ServeHTTP(httptest.NewRecorder(), r) })
		})
	}
}

// headerOnlyWriter is the least a ResponseWriter does: a header map of its
// own per request (as net/http makes one), the status and the bytes
// counted. httptest.ResponseRecorder copies the headers at WriteHeader,
// which costs as much as the mock's whole handler; this measures the
// handler's own work.
type headerOnlyWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *headerOnlyWriter) Header() http.Header         { return w.h }
func (w *headerOnlyWriter) WriteHeader(code int)        { w.status = code }
func (w *headerOnlyWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }

// BenchmarkHandler interleaves batches of the mock as revoke-mock serves
// by default (the request log written through its buffered writer, the
// journal on, sessions off) and of the bare handler, each through a
// headerOnlyWriter, and reports both costs and their ratio: what the
// mock's handler adds to a request, without the network or net/http.
func BenchmarkHandler(b *testing.B) {
	m := newMock(b, mockserver.Options{Sessions: mockserver.SessionsOff, RequestLog: discardRequestLog()})
	bare := bareHandler(b)
	r := newRequest("Authorization", benchAuthorization)
	w := &headerOnlyWriter{}
	serve := func(h http.Handler) {
		w.h, w.status = make(http.Header), 0
		h.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			b.Fatalf("answered %d", w.status)
		}
	}
	b.ReportAllocs()
	interleave(b, 64, "mock", "bare", func() { serve(m) }, func() { serve(bare) })
}

// interleave runs batches of first and of second in turns until the
// benchmark has run long enough, so that drift (the clock's frequency,
// other load) hits both alike, and reports each one's time per call and
// their ratio, named after them.
func interleave(b *testing.B, batch int, first, second string, firstReq, secondReq func()) {
	var firstTime, secondTime time.Duration
	var batches int
	for b.Loop() {
		t0 := time.Now()
		for range batch {
			firstReq()
		}
		t1 := time.Now()
		for range batch {
			secondReq()
		}
		secondTime += time.Since(t1)
		firstTime += t1.Sub(t0)
		batches++
	}
	n := float64(batches * batch)
	b.ReportMetric(float64(firstTime.Nanoseconds())/n, first+"-ns/req")
	b.ReportMetric(float64(secondTime.Nanoseconds())/n, second+"-ns/req")
	b.ReportMetric(float64(firstTime)/float64(secondTime), first+"/"+second)
}

// BenchmarkJournalOnVsOff interleaves batches of the mock's 200 with the
// request journal on (the default, 1000 entries) and off, both with the
// request log revoke-mock writes, and reports both costs and their ratio:
// "in-process" through ServeHTTP (the journal's own cost, magnified: no
// network), "loopback" through a real HTTP/1.1 connection as a client
// sees it. Allocations per request are in BenchmarkMock's
// 200-valid-token-sessions-off (on) and ...-journal-off.
func BenchmarkJournalOnVsOff(b *testing.B) {
	on := newMock(b, mockserver.Options{Sessions: mockserver.SessionsOff, RequestLog: discardRequestLog()})
	off := newMock(b, mockserver.Options{Sessions: mockserver.SessionsOff, RequestLog: discardRequestLog(), JournalSize: -1})
	headers := []string{"Authorization", benchAuthorization, "Accept", "application/json", "User-Agent", "bench"}
	b.Run("in-process", func(b *testing.B) {
		r := newRequest(headers...)
		serveOnce(b, on, r, http.StatusOK)
		serveOnce(b, off, r, http.StatusOK)
		interleave(b, 64, "on", "off", func() { on.ServeHTTP(httptest.NewRecorder(), r) }, func() { off.ServeHTTP(httptest.NewRecorder(), r) })
	})
	b.Run("loopback", func(b *testing.B) {
		onSrv, offSrv := httptest.NewServer(on), httptest.NewServer(off)
		defer onSrv.Close()
		defer offSrv.Close()
		send := func(client *http.Client, url string) func() {
			return func() {
				req, _ := http.NewRequest(http.MethodPost, url+revokeAll, nil)
				for i := 0; i+1 < len(headers); i += 2 {
					req.Header.Set(headers[i], headers[i+1])
				}
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("answered %d", resp.StatusCode)
				}
			}
		}
		interleave(b, 16, "on", "off", send(onSrv.Client(), onSrv.URL), send(offSrv.Client(), offSrv.URL))
	})
}

// kinRouter builds a kin-openapi router on a private copy of the spec with
// the servers cleared: kin's routers match the servers' host, and requests
// here go to 127.0.0.1.
func kinRouter(tb testing.TB) (routers.Router, *openapi3.T) {
	tb.Helper()
	sp, err := spec.Embedded()
	if err != nil {
		tb.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(sp.Raw)
	if err != nil {
		tb.Fatal(err)
	}
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return router, doc
}

// bearerAuth is an AuthenticationFunc that checks what the mock checks
// before validation: a Bearer credential is present.
func bearerAuth(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecurityScheme == nil || in.SecurityScheme.Type != "http" || !strings.EqualFold(in.SecurityScheme.Scheme, "bearer") {
		return fmt.Errorf("unsupported security scheme")
	}
	v := in.RequestValidationInput.Request.Header.Get("Authorization")
	if len(v) < 8 || !strings.EqualFold(v[:7], "bearer ") {
		return fmt.Errorf("no bearer credential")
	}
	return nil
}

// BenchmarkKinOpenAPI is kin-openapi's openapi3filter on the same request:
// routing, request validation (with authentication) and response validation.
func BenchmarkKinOpenAPI(b *testing.B) {
	router, _ := kinRouter(b)
	r := newRequest("Authorization", benchAuthorization)
	opts := &openapi3filter.Options{AuthenticationFunc: bearerAuth}
	route, params, err := router.FindRoute(r)
	if err != nil {
		b.Fatalf("FindRoute: %v", err)
	}
	ctx := context.Background()
	reqIn := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(ctx, reqIn); err != nil {
		b.Fatalf("ValidateRequest: %v", err)
	}
	if err := openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{Request: newRequest(), PathParams: params, Route: route, Options: opts}); err == nil {
		b.Fatal("ValidateRequest accepted a request without credentials: the AuthenticationFunc is not used")
	}
	body := serveOnce(b, newMock(b, mockserver.Options{Sessions: mockserver.SessionsOff}), r, http.StatusOK).Body.Bytes()
	respIn := &openapi3filter.ResponseValidationInput{RequestValidationInput: reqIn, Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Options: opts}
	respIn.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, respIn); err != nil {
		b.Fatalf("ValidateResponse: %v", err)
	}

	b.Run("FindRoute", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _, _ = router.FindRoute(r)
		}
	})
	b.Run("ValidateRequest", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = openapi3filter.ValidateRequest(ctx, reqIn)
		}
	})
	b.Run("FindRoute+ValidateRequest", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			route, params, _ := router.FindRoute(r)
			_ = openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts})
		}
	})
	b.Run("ValidateResponse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			respIn.SetBodyBytes(body)
			_ = openapi3filter.ValidateResponse(ctx, respIn)
		}
	})
}

// BenchmarkLibOpenAPIValidator is pb33f's libopenapi-validator on the same
// request and on the mock's 200 answer.
func BenchmarkLibOpenAPIValidator(b *testing.B) {
	sp, err := spec.Embedded()
	if err != nil {
		b.Fatal(err)
	}
	v, err := sp.Validator()
	if err != nil {
		b.Fatal(err)
	}
	r := newRequest("Authorization", benchAuthorization)
	if fs := v.Request(r); fs != nil {
		b.Fatalf("ValidateHttpRequest: %v", fs)
	}
	rec := serveOnce(b, newMock(b, mockserver.Options{Sessions: mockserver.SessionsOff}), r, http.StatusOK)
	body := rec.Body.Bytes()
	header := rec.Header().Clone()
	response := func() *http.Response {
		return &http.Response{StatusCode: 200, Header: header, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: r}
	}
	if fs := v.Response(r, response()); fs != nil {
		b.Fatalf("ValidateHttpResponse: %v", fs)
	}
	bad := []byte(`{"success":"yes"}`)
	if fs := v.Response(r, &http.Response{StatusCode: 200, Header: header, Body: io.NopCloser(bytes.NewReader(bad)), Request: r}); fs == nil {
		b.Fatal("ValidateHttpResponse accepted success:\"yes\": the benchmark would measure a validator that checks nothing")
	}

	b.Run("ValidateHttpRequest", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = v.Request(r)
		}
	})
	b.Run("ValidateHttpResponse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = v.Response(r, response())
		}
	})
}

// BenchmarkRevokeAllSessions is the cost of the stateful path the contract
// suite exercises, against the number of sessions: one op resets the mock,
// mints N sessions of one user through the control API and revokes them all.
func BenchmarkRevokeAllSessions(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run("sessions="+strconv.Itoa(n), func(b *testing.B) {
			m := newMock(b, mockserver.Options{Sessions: mockserver.SessionsIssued})
			reset := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4010/__mock/reset", nil)
			mintBody := []byte(`{"user":"bench"}`)
			round := func() (token string) {
				m.ServeHTTP(httptest.NewRecorder(), reset)
				for range n {
					w := httptest.NewRecorder()
					m.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4010/__mock/sessions", bytes.NewReader(mintBody)))
					if w.Code != http.StatusCreated {
						b.Fatalf("minting: %d %s", w.Code, w.Body)
					}
					if token == "" {
						var minted struct{ Token string }
						_ = json.Unmarshal(w.Body.Bytes(), &minted)
						token = minted.Token
					}
				}
				w := httptest.NewRecorder()
				m.ServeHTTP(w, newRequest("Authorization", "Bearer "+token))
				if w.Code != http.StatusOK {
					b.Fatalf("revoke-all after %d sessions answered %d", n, w.Code)
				}
				return token
			}
			// Once outside the loop: the revocation really revokes.
			token := round()
			serveOnce(b, m, newRequest("Authorization", "Bearer "+token), http.StatusUnauthorized)
			b.ReportAllocs()
			for b.Loop() {
				round()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/session")
		})
	}
}

// discardLogger logs like the binary does (slog text, one line per
// request), into nothing.
func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// discardRequestLog is revoke-mock's request log (text, through the
// buffered writer), written to nowhere.
func discardRequestLog() *reqlog.Logger {
	return reqlog.NewLogger(reqlog.NewWriter(io.Discard, 100*time.Millisecond), reqlog.Text)
}
