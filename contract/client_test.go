package contract

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func testClient(t *testing.T, h http.Handler, timeout time.Duration) (*Client, *Redactor, *Recorder) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	red, rec := &Redactor{}, &Recorder{}
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
	all := DescribeExchange(ex, "") + ex.Curl()
	if strings.Contains(all, tok) {
		t.Fatalf("token in the record:\n%s", all)
	}
	for _, want := range []string{"access_token=$TOKEN", "Authorization: Bearer $TOKEN", "X-Echo: Bearer $TOKEN", `"{\"error\":\"bad $TOKEN\"}"`} {
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
	c, _, _ := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), 100*time.Millisecond)
	start := time.Now()
	for i := 0; i < breakerLimit; i++ {
		if ex := c.Do(context.Background(), "T", post("x")); !strings.Contains(ex.Err, "no answer within 100ms") {
			t.Fatalf("request %d: err %q", i, ex.Err)
		}
	}
	ex := c.Do(context.Background(), "T", post("x"))
	if !strings.HasPrefix(ex.Err, "not sent:") {
		t.Errorf("breaker did not trip: %q", ex.Err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestClientSlowBody(t *testing.T) {
	c, _, _ := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		for i := 0; i < 100; i++ {
			w.Write([]byte(" "))
			w.(http.Flusher).Flush()
			select {
			case <-time.After(50 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
	}), 200*time.Millisecond)
	ex := c.Do(context.Background(), "T", post("x"))
	if !strings.Contains(ex.Err, "body did not arrive within 200ms") {
		t.Errorf("err %q", ex.Err)
	}
}

// TestClientSendsExactly checks what reaches the wire: raw header values
// with trailing whitespace, unclean paths, chunked bodies, repeated headers.
func TestClientSendsExactly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			br := bufio.NewReader(conn)
			var head strings.Builder
			for {
				line, err := br.ReadString('\n')
				head.WriteString(line)
				if err != nil || line == "\r\n" {
					break
				}
			}
			got <- head.String()
			io.WriteString(conn, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			conn.Close()
		}
	}()
	u, _ := url.Parse("http://" + ln.Addr().String())
	c := NewClient(u, 2*time.Second, &Redactor{}, &Recorder{})
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		io.WriteString(conn, "HTTP/1.1 401 Unauthorized\r\nX-Endless: ")
		chunk := []byte(strings.Repeat("a", 64<<10))
		for {
			if _, err := conn.Write(chunk); err != nil {
				return
			}
		}
	}()
	u, _ := url.Parse("http://" + ln.Addr().String())
	c := NewClient(u, 5*time.Second, &Redactor{}, &Recorder{})
	defer c.Close()
	r := post("x", auth("Bearer "))
	r.Raw = true
	start := time.Now()
	ex := c.Do(context.Background(), "T", r)
	if !strings.Contains(ex.Err, "response headers exceed") {
		t.Errorf("err %q, want a message about the headers' size", ex.Err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s: the header section must be bounded by size, not only by the timeout", d)
	}
}
