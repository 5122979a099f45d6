package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConnectionCap: with --max-conns 3, three idle keep-alive
// connections hold every slot; a fourth client is served at once, because
// the connection idle the longest is closed to admit it (and only that
// one); GET /__mock/health counts the eviction and the log says so.
func TestConnectionCap(t *testing.T) {
	base, out, _, _ := serve(t, "--max-conns", "3")
	addr := strings.TrimPrefix(base, "http://")
	var idle []net.Conn
	var readers []*bufio.Reader
	for range 3 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(20 * time.Second)) // a hang guard only
		// One complete request each, so that the server has certainly
		// accepted the connection; it then stays open, idle.
		fmt.Fprintf(c, "GET /__mock/health HTTP/1.1\r\nHost: x\r\n\r\n")
		r := bufio.NewReader(c)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		idle, readers = append(idle, c), append(readers, r)
	}
	fresh := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := fresh.Get(base + "/__mock/health")
	if err != nil {
		t.Fatalf("a fourth client was not served while three idle connections held every slot: %v", err)
	}
	var health struct {
		Connections struct {
			Max         int    `json:"max"`
			EvictedIdle uint64 `json:"evictedIdle"`
		} `json:"connections"`
	}
	err = json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if err != nil || health.Connections.Max != 3 || health.Connections.EvictedIdle != 1 {
		t.Errorf("health: want connections {max 3, evictedIdle 1}, got %+v (%v)", health.Connections, err)
	}
	// Which one was idle the longest is the server's view (netlimit's
	// tests check the order); exactly one of them was closed.
	closed := 0
	for i, c := range idle {
		fmt.Fprintf(c, "GET /__mock/health HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(readers[i], nil)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("idle connection %d: no answer and not closed: %v", i, err)
			}
			closed++
			continue
		}
		resp.Body.Close()
	}
	if closed != 1 {
		t.Errorf("%d of the 3 idle connections were closed, want 1", closed)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "idle_closed=1") {
		if time.Now().After(deadline) {
			t.Fatalf("no log line about the eviction: %s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestShutdownUnderLoad counts what a shutdown during a load run does:
// clients on keep-alive connections post until the mock has answered 300
// requests, then it is told to stop while they keep posting. Every request
// the mock accepted got its complete answer (no truncated body), the log
// has exactly one line for each answer clients received (it was flushed),
// clients that sent after the stop got no answer at all (never half of
// one), new connections are then refused, and the mock exits 0 within its
// grace period.
func TestShutdownUnderLoad(t *testing.T) {
	base, out, cancel, done := serve(t, "--sessions", "off")
	const clients, perClient = 6, 400
	var answered, refused atomic.Int64
	var truncated atomic.Int64
	reachedLoad := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer client.CloseIdleConnections()
			for j := range perClient {
				req, _ := http.NewRequest("POST", base+"/sessions/revoke-all", nil)
				req.Header.Set("Authorization", fmt.Sprintf("Bearer load-client-%d-request-%d", i, j))
				resp, err := client.Do(req)
				if err != nil {
					refused.Add(1)
					if errors.Is(err, io.ErrUnexpectedEOF) {
						truncated.Add(1)
					}
					return // the mock is going away
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || !strings.HasSuffix(string(body), "}") {
					truncated.Add(1)
					return
				}
				if answered.Add(1) == 300 {
					once.Do(func() { close(reachedLoad) })
				}
			}
		}()
	}
	select {
	case <-reachedLoad:
	case <-time.After(60 * time.Second):
		t.Fatal("the load run did not reach 300 answers within 60s")
	}
	cancel()
	wg.Wait()
	var code int
	select {
	case code = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("the mock did not exit within its grace period (10 s) and a margin")
	}
	done <- code // for the cleanup
	if code != 0 {
		t.Errorf("exit %d after SIGTERM under load", code)
	}
	if truncated.Load() > 0 {
		t.Errorf("%d requests got a truncated or failed answer: an accepted request must get its whole answer", truncated.Load())
	}
	logged := int64(strings.Count(out.String(), "msg=request "))
	if logged != answered.Load() {
		t.Errorf("the log has %d request lines; clients received %d answers (the log must be complete and flushed)", logged, answered.Load())
	}
	if answered.Load() >= clients*perClient {
		t.Errorf("every request was answered: the stop came too late to test anything")
	}
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 5*time.Second); err == nil {
		c.Close()
		t.Error("a new connection was accepted after the shutdown")
	}
	t.Logf("answered %d, then %d clients found the mock gone", answered.Load(), refused.Load())
}

// TestPipelinedRequests: three requests written at once on one connection
// are answered in order, each as if alone: the first token's revoke-all
// (200), another user's (200), the first token again (401).
func TestPipelinedRequests(t *testing.T) {
	base, _, _, _ := serve(t, "--sessions", "lazy")
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	var batch strings.Builder
	for _, tok := range []string{"pipelined-token-one", "pipelined-token-two", "pipelined-token-one"} {
		fmt.Fprintf(&batch, "POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 0\r\n\r\n", tok)
	}
	if _, err := io.WriteString(c, batch.String()); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(c)
	for i, want := range []int{200, 200, 401} {
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			t.Fatalf("answer %d of 3: %v", i+1, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("answer %d of 3: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
}

// TestHugeBodySentSlowly: a body announced at 100 MiB and sent 64 KiB at a
// time is refused with 413 once it passes the 1 MiB limit, before the
// client has sent much more: the mock neither buffers nor waits for it.
func TestHugeBodySentSlowly(t *testing.T) {
	base, _, _, _ := serve(t, "--sessions", "off")
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	fmt.Fprintf(c, "POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer some-valid-token\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 100<<20)
	answer := make(chan *http.Response, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			close(answer)
			return
		}
		answer <- resp
	}()
	chunk := make([]byte, 64<<10)
	sent := 0
	for sent < 100<<20 {
		select {
		case resp, ok := <-answer:
			if !ok {
				t.Fatalf("no answer after %d KiB of the body", sent>>10)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("answer %d after %d KiB, want 413", resp.StatusCode, sent>>10)
			}
			if sent > 8<<20 {
				t.Errorf("the 413 came after %d KiB of the body: the mock read far past its 1 MiB limit", sent>>10)
			}
			return
		default:
		}
		if _, err := c.Write(chunk); err != nil {
			break // the mock closed the connection after answering
		}
		sent += len(chunk)
		time.Sleep(5 * time.Millisecond) // slowly: a client on a slow uplink
	}
	resp, ok := <-answer
	if !ok || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("after %d KiB of the body: answer %v, want 413", sent>>10, resp)
	}
	resp.Body.Close()
}
