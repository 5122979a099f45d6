package netlimit

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests wait for conditions (polled, with a deadline that only
// guards against a hang) and move a fake clock; none times anything.

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// server serves a listener capped at max with a fake clock and no sweeper;
// GET /slow waits until release is closed.
type server struct {
	l       *Listener
	clock   *fakeClock
	url     string
	release chan struct{}
}

func newServer(t *testing.T, max int, logger *slog.Logger) *server {
	return newServerHeaderLimit(t, max, logger, 0)
}

func newServerHeaderLimit(t *testing.T, max int, logger *slog.Logger, maxHeaderBytes int) *server {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{clock: &fakeClock{t: time.Unix(1_700_000_000, 0)}, url: "http://" + inner.Addr().String(), release: make(chan struct{})}
	s.l = newListener(inner, Config{Max: max, Logger: logger}, s.clock.now)
	srv := &http.Server{MaxHeaderBytes: maxHeaderBytes, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-s.release
		}
		_, _ = io.WriteString(w, "ok")
	})}
	s.l.Attach(srv)
	go func() { _ = srv.Serve(s.l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// waitFor polls the listener's counts until cond holds.
func (s *server) waitFor(t *testing.T, what string, cond func(Stats) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond(s.l.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after 10 s: %+v", what, s.l.Stats())
		}
		time.Sleep(time.Millisecond)
	}
}

// rawConn is a client connection written by hand.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, s *server) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second)) // a hang guard only
	return &rawConn{Conn: c, r: bufio.NewReader(c)}
}

// get sends a request and reads its whole answer.
func (c *rawConn) get(path string) error {
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && (resp.StatusCode != 200 || string(body) != "ok") {
		err = errors.New("unexpected answer " + resp.Status + " " + string(body))
	}
	return err
}

// closedByServer reads until the server's end of c is closed (what it
// may have written first, such as a 431, is skipped); false when the
// hang guard's deadline passes first.
func (c *rawConn) closedByServer() bool {
	_, err := io.Copy(io.Discard, c.r)
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

// idleConns opens n keep-alive connections, one after the other, each
// idle after one request.
func idleConns(t *testing.T, s *server, n int) []*rawConn {
	t.Helper()
	var conns []*rawConn
	for i := range n {
		c := dial(t, s)
		if err := c.get("/"); err != nil {
			t.Fatal(err)
		}
		s.waitFor(t, "idle", func(st Stats) bool { return st.Idle == i+1 })
		s.clock.advance(time.Millisecond)
		conns = append(conns, c)
	}
	return conns
}

// newClientGets asks on a new connection, as a client arriving at the cap.
func newClientGets(t *testing.T, s *server) {
	t.Helper()
	if err := newClientGet(s); err != nil {
		t.Fatalf("a new client at the cap: %v (%+v)", err, s.l.Stats())
	}
}

func newClientGet(s *server) error {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(s.url + "/")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return errors.New(resp.Status)
	}
	return nil
}

// onlyLongestIdleClosed checks that of conns, idle in that order, the
// first was closed by the server and the others still answer.
func onlyLongestIdleClosed(t *testing.T, conns []*rawConn) {
	t.Helper()
	if !conns[0].closedByServer() {
		t.Error("the connection idle the longest is still open")
	}
	for i, c := range conns[1:] {
		if err := c.get("/"); err != nil {
			t.Errorf("idle connection %d was closed too: %v", i+1, err)
		}
	}
}

// TestAdmitAtCapClosesLongestIdle: cap 8, 8 idle keep-alive connections
// (past IdleGrace); a new client gets its answer and exactly one idle
// connection, the one idle the longest, was closed; the other seven still
// answer.
func TestAdmitAtCapClosesLongestIdle(t *testing.T) {
	t.Parallel()
	s := newServer(t, 8, nil)
	conns := idleConns(t, s, 8)
	s.clock.advance(IdleGrace)
	newClientGets(t, s)
	if st := s.l.Stats(); st.EvictedIdle != 1 || st.EvictedHeader != 0 || st.Waited != 0 {
		t.Errorf("want exactly one idle connection closed, got %+v", st)
	}
	onlyLongestIdleClosed(t, conns)
}

// TestAdmitAtCapSparesAConnectionJustUsed: cap 8, 8 keep-alive connections
// that have just answered: a new client waits rather than close one of
// them (its client may be sending its next request), and once the longest
// idle has been idle for IdleGrace that one is closed for it.
func TestAdmitAtCapSparesAConnectionJustUsed(t *testing.T) {
	t.Parallel()
	s := newServer(t, 8, nil)
	conns := idleConns(t, s, 8)
	done := make(chan error, 1)
	go func() { done <- newClientGet(s) }()
	s.waitFor(t, "the new client waiting", func(st Stats) bool { return st.Waited == 1 })
	if st := s.l.Stats(); st.EvictedIdle != 0 || st.Idle != 8 {
		t.Fatalf("a connection idle for less than IdleGrace was closed: %+v", st)
	}
	s.clock.advance(IdleGrace)
	if err := <-done; err != nil {
		t.Fatalf("the new client: %v", err)
	}
	if st := s.l.Stats(); st.EvictedIdle != 1 || st.EvictedHeader != 0 {
		t.Errorf("want exactly one idle connection closed, got %+v", st)
	}
	onlyLongestIdleClosed(t, conns)
}

// TestAdmitAtCapClosesSlowHeaderFirst: cap 8, 7 idle keep-alive
// connections and one that sent half a header longer ago than the
// deadline at the cap: that one is closed for the new client, no idle one.
func TestAdmitAtCapClosesSlowHeaderFirst(t *testing.T) {
	t.Parallel()
	s := newServer(t, 8, nil)
	conns := idleConns(t, s, 7)
	half := dial(t, s)
	if _, err := io.WriteString(half, "GET / HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "8 open, 1 pending", func(st Stats) bool { return st.Open == 8 && st.Pending == 1 })
	s.clock.advance(PressureHeaderTimeout)
	newClientGets(t, s)
	if st := s.l.Stats(); st.EvictedHeader != 1 || st.EvictedIdle != 0 {
		t.Errorf("want the half-sent header closed and no idle connection, got %+v", st)
	}
	if !half.closedByServer() {
		t.Error("the half-sent header is still open")
	}
	for i, c := range conns {
		if err := c.get("/"); err != nil {
			t.Errorf("idle connection %d was closed: %v", i, err)
		}
	}
}

// TestAdmitAtCapOrder: cap 8, 7 keep-alive connections idle for a moment
// and one more: a silent connection given PendingGrace goes before them;
// one being refused (431) for a header over the limit goes before all.
func TestAdmitAtCapOrder(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		open    func(*rawConn) error
		ready   func(Stats) bool
		advance time.Duration
		closed  func(Stats) uint64
	}{
		{"silent, after its grace", func(*rawConn) error { return nil },
			func(st Stats) bool { return st.Pending == 1 }, PendingGrace, func(st Stats) uint64 { return st.EvictedHeader }},
		{"header over the limit", func(c *rawConn) error {
			_, err := io.WriteString(c, "GET / HTTP/1.1\r\nX-Big: "+strings.Repeat("x", 1024+4096)) // no end of header
			return err
		}, func(st Stats) bool { return st.TooLarge == 1 }, 0, func(st Stats) uint64 { return st.EvictedTooLarge }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newServerHeaderLimit(t, 8, nil, 1024)
			conns := idleConns(t, s, 7)
			odd := dial(t, s)
			if err := c.open(odd); err != nil {
				t.Fatal(err)
			}
			s.waitFor(t, "8 open, the odd one seen", func(st Stats) bool { return st.Open == 8 && c.ready(st) })
			s.clock.advance(c.advance)
			newClientGets(t, s)
			if st := s.l.Stats(); c.closed(st) != 1 || st.EvictedIdle != 0 {
				t.Errorf("want the odd connection closed and no idle one, got %+v", st)
			}
			if !odd.closedByServer() {
				t.Error("the odd connection is still open")
			}
			for i, c := range conns {
				if err := c.get("/"); err != nil {
					t.Errorf("idle connection %d was closed: %v", i, err)
				}
			}
		})
	}
}

// TestRequestInProgressNeverCut: cap 1 and a request in progress; a new
// client waits, the request gets its whole answer, then the new client
// gets its own (its connection, idle for IdleGrace, is closed to admit the
// new one).
func TestRequestInProgressNeverCut(t *testing.T) {
	t.Parallel()
	s := newServer(t, 1, nil)
	busy := dial(t, s)
	answered := make(chan error, 1)
	go func() { answered <- busy.get("/slow") }()
	s.waitFor(t, "one request in progress", func(st Stats) bool { return st.Open == 1 && st.Idle == 0 && st.Pending == 0 })
	newDone := make(chan error, 1)
	go func() { newDone <- newClientGet(s) }()
	s.waitFor(t, "a new connection waiting", func(st Stats) bool { return st.Waited == 1 })
	close(s.release)
	if err := <-answered; err != nil {
		t.Fatalf("the request in progress was cut: %v", err)
	}
	s.waitFor(t, "the finished connection idle", func(st Stats) bool { return st.Idle == 1 })
	s.clock.advance(IdleGrace)
	if err := <-newDone; err != nil {
		t.Fatalf("the new client: %v", err)
	}
	if st := s.l.Stats(); st.EvictedIdle != 1 || st.EvictedHeader != 0 {
		t.Errorf("want the finished connection closed once idle, got %+v", st)
	}
}

// TestDeadlinesShortenUnderPressure: at the cap an idle connection lasts
// PressureIdleTimeout and an unfinished header PressureHeaderTimeout; the
// evictions are logged, one line a second at most, without a token.
func TestDeadlinesShortenUnderPressure(t *testing.T) {
	t.Parallel()
	var logged bytes.Buffer
	var logMu sync.Mutex
	s := newServer(t, 4, slog.New(slog.NewTextHandler(&lockedWriter{w: &logged, mu: &logMu}, nil)))
	conns := idleConns(t, s, 3)
	half := dial(t, s)
	if _, err := io.WriteString(half, "GET / HTTP/1.1\r\n"); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "4 open", func(st Stats) bool { return st.Open == 4 && st.Pending == 1 })
	s.clock.advance(PressureHeaderTimeout - time.Millisecond)
	s.l.sweep()
	if st := s.l.Stats(); st.Open != 4 {
		t.Fatalf("closed before its deadline: %+v", st)
	}
	s.clock.advance(time.Millisecond)
	s.l.sweep()
	if st := s.l.Stats(); st.Open != 3 || st.EvictedHeader != 1 || st.EvictedIdle != 0 {
		t.Fatalf("want the unfinished header closed at its deadline, got %+v", st)
	}
	if !half.closedByServer() {
		t.Error("the half-sent header is still open")
	}
	// 3 of 4: the idle deadline is halfway between 60 s and 1 s.
	s.clock.advance(PressureIdleTimeout)
	s.l.sweep()
	if st := s.l.Stats(); st.Open != 3 {
		t.Fatalf("idle connections closed before their deadline at 3/4: %+v", st)
	}
	s.clock.advance(30 * time.Second)
	s.l.sweep()
	if st := s.l.Stats(); st.Open != 0 || st.EvictedIdle != 3 {
		t.Fatalf("want the idle connections closed at their deadline, got %+v", st)
	}
	for i, c := range conns {
		if !c.closedByServer() {
			t.Errorf("idle connection %d is still open", i)
		}
	}
	logMu.Lock()
	defer logMu.Unlock()
	lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "slow_header_closed=1") || !strings.Contains(lines[1], "idle_closed=3") {
		t.Errorf("want two log lines (one a second at most), got:\n%s", logged.String())
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// TestLimit: with 2 slots busy with requests, a third connection waits in
// Accept until one is closed (twice, to prove a slot is freed once), a
// closed listener ends a waiting Accept, and the connections keep
// SetLinger.
func TestLimit(t *testing.T) {
	t.Parallel()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := newListener(inner, Config{Max: 2}, time.Now)
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(accepted)
				return
			}
			l.ConnState(c, http.StateActive) // busy: never closed to make room
			accepted <- c
		}
	}()
	for range 3 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first, second := <-accepted, <-accepted
	if _, ok := first.(interface{ SetLinger(int) error }); !ok {
		t.Errorf("an accepted TCP connection lost SetLinger: %T", first)
	}
	waitWaited := func(n uint64) {
		deadline := time.Now().Add(10 * time.Second)
		for l.Stats().Waited < n {
			if time.Now().After(deadline) {
				t.Fatalf("Accept is not waiting: %+v", l.Stats())
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitWaited(1)
	select {
	case c := <-accepted:
		t.Fatalf("a third connection was accepted with both slots busy: %v", c.RemoteAddr())
	default:
	}
	first.Close()
	first.Close() // twice: frees one slot, not two
	third := <-accepted
	c, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitWaited(2)
	if st := l.Stats(); st.Open != 3 || st.EvictedIdle+st.EvictedHeader != 0 {
		t.Errorf("want 2 served, 1 waiting and nothing closed, got %+v", st)
	}
	if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatal(err)
	}
	if _, ok := <-accepted; ok {
		t.Error("Accept went on after Close")
	}
	second.Close()
	third.Close()
}

// TestChurnAtCap: 16 keep-alive clients on a cap of 4, 40 requests each,
// with the real clock and the sweeper: connections turn idle, begin
// requests and are closed to admit others all at once (under -race, the
// lock-free state changes against the scans). Every request is answered
// (a client whose idle connection was closed asks again on a new one), no
// count goes negative or past the cap, and once the clients have gone
// every slot is free.
func TestChurnAtCap(t *testing.T) {
	t.Parallel()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := NewListener(inner, Config{Max: 4})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })}
	l.Attach(srv)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	url := "http://" + inner.Addr().String() + "/"

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{MaxIdleConnsPerHost: 1}
			defer tr.CloseIdleConnections()
			client := &http.Client{Timeout: 10 * time.Second, Transport: tr}
			for i := 0; i < 40; i++ {
				var last error
				for attempt := 0; attempt < 5; attempt++ { // an idle connection closed under it: ask again
					resp, err := client.Get(url)
					if err == nil {
						body, rerr := io.ReadAll(resp.Body)
						resp.Body.Close()
						if rerr == nil && string(body) == "ok" {
							last = nil
							break
						}
						err = errors.Join(rerr, errors.New("answer "+string(body)))
					}
					last = err
				}
				if last != nil {
					errs <- last
					return
				}
				if st := l.Stats(); st.Open > st.Max+1 || st.Idle+st.Pending+st.TooLarge > st.Open {
					errs <- errors.New("inconsistent counts")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("counts after the clients: %+v", l.Stats())
	deadline := time.Now().Add(10 * time.Second)
	for l.Stats().Open != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("slots still taken after every client left: %+v", l.Stats())
		}
		time.Sleep(time.Millisecond)
	}
}
