package wire

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/contract/internal/redact"
	"github.com/flashback/revoke-contract/internal/testkit"
)

// fuzzToken is the credential every fuzzed exchange carries. In a fuzzed
// answer, "@@" stands for it, "@%" for it URL-encoded and "@j" for it
// JSON-escaped, so the fake server can echo it anywhere.
const fuzzToken = `tok_Fuzz/abc+def="<&>`

// fuzzServer answers every loopback connection with the bytes of the
// current input: it reads the request's header section, writes the
// answer's head once and its tail (what follows the first blank line)
// repeat times, or without end up to fuzzStreamCap when repeat is 255, then
// closes the connection. One exchange at a time.
type fuzzServer struct {
	mu     sync.Mutex
	head   []byte
	tail   []byte
	repeat int
	u      *url.URL
	done   chan bool // per connection: whether the stream reached fuzzStreamCap
}

// fuzzStreamCap bounds an "endless" answer: far more than a client that
// caps what it reads may ever consume.
const fuzzStreamCap = 64 << 20

func newFuzzServer(f *testing.F) *fuzzServer {
	s := &fuzzServer{done: make(chan bool, 16)}
	s.u, _ = url.Parse("http://" + testkit.RawServer(f, s.serve))
	return s
}

func (s *fuzzServer) set(answer []byte, repeat uint8) {
	answer = bytes.ReplaceAll(answer, []byte("@@"), []byte(fuzzToken))
	answer = bytes.ReplaceAll(answer, []byte("@%"), []byte(url.QueryEscape(fuzzToken)))
	j, _ := json.Marshal(fuzzToken)
	answer = bytes.ReplaceAll(answer, []byte("@j"), j[1:len(j)-1])
	head, tail := answer, []byte(nil)
	if i := bytes.Index(answer, []byte("\r\n\r\n")); i >= 0 {
		head, tail = answer[:i+4], answer[i+4:]
	}
	s.mu.Lock()
	s.head, s.tail, s.repeat = head, tail, int(repeat)
	s.mu.Unlock()
}

func (s *fuzzServer) serve(conn net.Conn) {
	capped := false
	defer func() { s.done <- capped }()
	defer conn.Close()
	s.mu.Lock()
	head, tail, repeat := s.head, s.tail, s.repeat
	s.mu.Unlock()
	_ = conn.SetDeadline(time.Now().Add(time.Minute)) // a bound, not a measure
	br := bufio.NewReader(conn)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if line == "\r\n" {
			break
		}
	}
	if _, err := conn.Write(head); err != nil {
		return
	}
	written := len(head)
	if len(tail) == 0 {
		return
	}
	// The tail's copies go out 64 KiB or more at a time.
	batch := bytes.Repeat(tail, max(1, (64<<10)/len(tail)))
	per := len(batch) / len(tail)
	for left := repeat; (left > 0 || repeat == 255) && written < fuzzStreamCap; left -= per {
		b := batch
		if repeat != 255 && left < per {
			b = batch[:left*len(tail)]
		}
		if _, err := conn.Write(b); err != nil {
			return
		}
		written += len(b)
	}
	capped = written >= fuzzStreamCap
}

// FuzzClientAnswer: the suite's response reader, fed any bytes a server
// may send (the answer's tail repeated, or without end). Properties: Do
// returns an Exchange that holds an answer or says why not, and never waits
// for its timeout (the server always ends the connection) nor reads an
// endless stream to its end; a status is a three-digit final status; the body kept is at
// most MaxBodyBytes and the header section at most its limit; the memory
// the exchange allocates is bounded whatever the server streams; and the
// credential the request carried appears in no field of the record (status
// text, headers, body, error, URL, curl line), in any of its forms.
func FuzzClientAnswer(f *testing.F) {
	seeds := []struct {
		answer string
		repeat uint8
	}{
		{"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"success\":true}", 1},
		{"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"x\", error=\"invalid_token\"\r\nContent-Length: 2\r\n\r\n{}", 1},
		{"HTTP/1.1 401 bad token @@\r\nX-Echo: @%\r\n\r\n{\"token\":\"@j\"}", 1},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n", 255},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;ext=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n", 255},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: @@\r\n\r\n", 1},
		{"HTTP/1.1 200 OK\r\n\r\nendless body ", 255},
		{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n", 255},
		{"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 1},
		{"HTTP/1.1 200 OK\r\nX-Long: ", 255},
		{"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\nshort", 1},
		{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 1},
		{"HTTP/1.0 999 @@\r\n\r\n", 0},
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", 1},
		{"SSH-2.0-OpenSSH_9.6\r\n", 0},
		{"", 0},
		{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 1},
		{"HTTP/1.1 200 OK\nContent-Length: 2\n\n{}", 0},
		{"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n", 0},
	}
	for _, s := range seeds {
		f.Add([]byte(s.answer), s.repeat)
	}
	srv := newFuzzServer(f)
	red := &redact.Redactor{}
	red.Add(fuzzToken)
	const timeout = time.Minute // never reached: the server always closes
	f.Fuzz(func(t *testing.T, answer []byte, repeat uint8) {
		srv.set(answer, repeat)
		c := NewClient(srv.u, timeout, red, &Recorder{})
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ex := c.Do(context.Background(), "FUZZ", withBearer("fuzzed answer", fuzzToken))
		runtime.ReadMemStats(&after)
		select {
		case capped := <-srv.done:
			if capped {
				t.Fatalf("the client read on while the server streamed %d MiB: it must stop at its caps", fuzzStreamCap>>20)
			}
		case <-time.After(time.Minute): // a bound, not a measure: the server ends every connection
			t.Fatal("the fake server's connection did not end")
		}
		if ex == nil {
			t.Fatal("Do returned nil")
		}
		if ex.Err == "" && ex.Status == 0 {
			t.Fatal("an exchange without an answer and without an error")
		}
		if strings.Contains(ex.Err, "within") {
			t.Fatalf("the exchange waited for its timeout: %s", ex.Err)
		}
		if ex.Status != 0 && (ex.Status < 100 || ex.Status > 999) {
			t.Fatalf("status %d", ex.Status)
		}
		if ex.Answered() && ex.Status < 200 && ex.Status != 101 {
			t.Fatalf("an interim answer %d was taken as the final one", ex.Status)
		}
		if len(ex.RespBody) > MaxBodyBytes || ex.RespBodyLen > MaxBodyBytes {
			t.Fatalf("kept %d body bytes (%d received)", len(ex.RespBody), ex.RespBodyLen)
		}
		n := 0
		for k, vs := range ex.RespHeader {
			for _, v := range vs {
				n += len(k) + len(v)
			}
		}
		if n > maxResponseHeaderBytes {
			t.Fatalf("kept %d header bytes", n)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
			t.Fatalf("one exchange allocated %d MiB", grew>>20)
		}
		record := []string{ex.StatusText, ex.Err, string(ex.RespBody), ex.URL, ex.Curl()}
		for k, vs := range ex.RespHeader {
			record = append(record, k)
			record = append(record, vs...)
		}
		for _, h := range ex.Header {
			record = append(record, h[0], h[1])
		}
		j, _ := json.Marshal(fuzzToken)
		for _, form := range []string{fuzzToken, url.QueryEscape(fuzzToken), url.PathEscape(fuzzToken), string(j[1 : len(j)-1])} {
			for _, r := range record {
				if strings.Contains(r, form) {
					t.Fatalf("the record holds the credential (%q) in %q", form, r)
				}
			}
		}
	})
}
