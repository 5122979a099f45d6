// Package netlimit caps the connections an http.Server holds open at once
// and, at the cap, admits a new connection by closing one that does no
// work: first one that has not finished its request header in time, then
// the keep-alive connection idle the longest (as nginx reuses idle
// connections when it runs out). A request in progress is never cut; when
// every connection is busy with one, the new connection waits for a slot.
// Its connections keep the methods of *net.TCPConn (SetLinger, which the
// mock's reset fault needs to send an RST), which netutil's wrapper hides.
//
// The listener learns each connection's state from http.Server.ConnState
// (Attach sets the hook) and from the bytes it reads: a keep-alive
// connection that has received a byte of its next request is no longer
// idle, and one closed as idle never hands a byte to the server.
package netlimit

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Under pressure (open connections at least half the cap) the deadlines
// shorten linearly with the pressure, down to these at the cap: a normal
// client sends its header in well under a millisecond on a LAN, and reuses
// an idle connection within seconds or not at all.
const (
	PressureHeaderTimeout = 250 * time.Millisecond
	PressureIdleTimeout   = time.Second
)

// sweepEvery is how often the deadlines under pressure are enforced.
const sweepEvery = 100 * time.Millisecond

// Config sets up a Listener.
type Config struct {
	Max int // connections open at once (>= 1)
	// HeaderTimeout and IdleTimeout are the deadlines without pressure
	// (the server's ReadHeaderTimeout and IdleTimeout; the server enforces
	// those itself); zero means 5 s and 60 s.
	HeaderTimeout, IdleTimeout time.Duration
	// Logger, if set, gets one line a second at most about the
	// connections closed.
	Logger *slog.Logger
}

// Stats counts connections. Evictions are counted whether they admitted a
// new connection at the cap or enforced a deadline under pressure.
type Stats struct {
	Max     int `json:"max"`
	Open    int `json:"open"`    // one waiting in Accept included
	Idle    int `json:"idle"`    // keep-alive, between requests
	Pending int `json:"pending"` // request header not finished
	// EvictedIdle and EvictedHeader are the idle connections and the ones
	// slow to send their header that were closed to make room.
	EvictedIdle   uint64 `json:"evictedIdle"`
	EvictedHeader uint64 `json:"evictedHeader"`
	// Waited counts new connections that found every slot busy with a
	// request and waited for one to finish.
	Waited uint64 `json:"waited"`
}

// Listener accepts at most Max connections at once (one more waits in
// Accept, the rest in the kernel's queue).
type Listener struct {
	net.Listener
	cfg  Config
	now  func() time.Time
	done chan struct{}
	once sync.Once

	mu      sync.Mutex
	open    int
	pending list // header not finished, oldest first
	idle    list // keep-alive between requests, idle longest first
	freed   chan struct{}
	stats   Stats
	logged  Stats // what the last log line reported
	logAt   time.Time
}

// New wraps l with a cap of n (>= 1) and default deadlines.
func New(l net.Listener, n int) *Listener { return NewListener(l, Config{Max: n}) }

// NewListener wraps l as cfg says and enforces the deadlines under
// pressure until Close.
func NewListener(l net.Listener, cfg Config) *Listener {
	ln := newListener(l, cfg, time.Now)
	go ln.sweepLoop()
	return ln
}

func newListener(l net.Listener, cfg Config, now func() time.Time) *Listener {
	if cfg.Max < 1 {
		cfg.Max = 1
	}
	if cfg.HeaderTimeout <= 0 {
		cfg.HeaderTimeout = 5 * time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 60 * time.Second
	}
	return &Listener{Listener: l, cfg: cfg, now: now, done: make(chan struct{}), freed: make(chan struct{}, 1)}
}

// Attach makes srv report its connections' states to l, keeping any hook
// srv already has, and takes srv's header and idle timeouts as the
// deadlines without pressure. Call it before srv.Serve(l).
func (l *Listener) Attach(srv *http.Server) {
	if srv.ReadHeaderTimeout > 0 {
		l.cfg.HeaderTimeout = srv.ReadHeaderTimeout
	}
	if srv.IdleTimeout > 0 {
		l.cfg.IdleTimeout = srv.IdleTimeout
	}
	prev := srv.ConnState
	srv.ConnState = func(c net.Conn, s http.ConnState) {
		l.ConnState(c, s)
		if prev != nil {
			prev(c, s)
		}
	}
}

// Stats returns the counts so far.
func (l *Listener) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.Max, s.Open, s.Idle, s.Pending = l.cfg.Max, l.open, l.idle.n, l.pending.n
	return s
}

// Accept takes the next connection; at the cap it closes a connection
// that does no work to make room, or waits until a request finishes.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	t := &tracked{l: l, conn: c}
	l.mu.Lock()
	l.open++
	t.at = l.now()
	l.pending.push(t)
	waited := false
	for l.open > l.cfg.Max {
		if v := l.victim(t); v != nil {
			l.mu.Unlock()
			_ = v.close()
			l.mu.Lock()
			continue
		}
		if !waited {
			waited = true
			l.stats.Waited++
		}
		l.mu.Unlock()
		select {
		case <-l.freed:
		case <-l.done:
			_ = t.close()
			return nil, net.ErrClosed
		}
		l.mu.Lock()
	}
	l.mu.Unlock()
	l.maybeLog()
	if tc, ok := c.(*net.TCPConn); ok {
		return &TCPConn{TCPConn: tc, t: t}, nil
	}
	return &Conn{Conn: c, t: t}, nil
}

// victim picks (and marks closed) the connection to close so that self
// can be served: a header overdue at this pressure, else the connection
// idle the longest, else the oldest unfinished header. Nil when every
// other connection is busy with a request. l.mu is held.
func (l *Listener) victim(self *tracked) *tracked {
	hd, _ := l.deadlines()
	oldest := l.pending.head
	if oldest == self {
		oldest = self.next
	}
	if oldest != nil && l.now().Sub(oldest.at) >= hd {
		l.evict(oldest, &l.stats.EvictedHeader)
		return oldest
	}
	if v := l.idle.head; v != nil {
		l.evict(v, &l.stats.EvictedIdle)
		return v
	}
	if oldest != nil {
		l.evict(oldest, &l.stats.EvictedHeader)
		return oldest
	}
	return nil
}

// evict takes v out of the lists and marks it closed, so that no byte it
// reads from now on reaches the server. l.mu is held.
func (l *Listener) evict(v *tracked, counter *uint64) {
	v.unlink()
	v.st.Store(stClosed)
	*counter++
}

// deadlines returns the header and idle deadlines at the current
// pressure. l.mu is held.
func (l *Listener) deadlines() (header, idle time.Duration) {
	p := float64(l.open)/float64(l.cfg.Max)*2 - 1 // 0 at half the cap, 1 at the cap
	p = min(max(p, 0), 1)
	shorten := func(full, least time.Duration) time.Duration {
		if full <= least {
			return full
		}
		return full - time.Duration(p*float64(full-least))
	}
	return shorten(l.cfg.HeaderTimeout, PressureHeaderTimeout), shorten(l.cfg.IdleTimeout, PressureIdleTimeout)
}

// sweep closes the connections past their deadline at the current
// pressure (without pressure the server's own timeouts do it).
func (l *Listener) sweep() {
	var victims []*tracked
	l.mu.Lock()
	if l.open*2 >= l.cfg.Max {
		now := l.now()
		hd, id := l.deadlines()
		for v := l.pending.head; v != nil && now.Sub(v.at) >= hd; v = l.pending.head {
			l.evict(v, &l.stats.EvictedHeader)
			victims = append(victims, v)
		}
		for v := l.idle.head; v != nil && now.Sub(v.at) >= id; v = l.idle.head {
			l.evict(v, &l.stats.EvictedIdle)
			victims = append(victims, v)
		}
	}
	l.mu.Unlock()
	for _, v := range victims {
		_ = v.close()
	}
	l.maybeLog()
}

func (l *Listener) sweepLoop() {
	tick := time.NewTicker(sweepEvery)
	defer tick.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-tick.C:
			l.sweep()
		}
	}
}

// maybeLog reports the evictions since the last line, at most once a
// second.
func (l *Listener) maybeLog() {
	if l.cfg.Logger == nil {
		return
	}
	l.mu.Lock()
	now := l.now()
	s := l.stats
	if (s.EvictedIdle == l.logged.EvictedIdle && s.EvictedHeader == l.logged.EvictedHeader && s.Waited == l.logged.Waited) ||
		now.Sub(l.logAt) < time.Second {
		l.mu.Unlock()
		return
	}
	last := l.logged
	l.logged, l.logAt = s, now
	open := l.open
	l.mu.Unlock()
	l.cfg.Logger.Warn("connection cap: connections closed to admit new ones",
		"idle_closed", s.EvictedIdle-last.EvictedIdle, "slow_header_closed", s.EvictedHeader-last.EvictedHeader,
		"waited_for_a_slot", s.Waited-last.Waited, "open", open, "max_conns", l.cfg.Max,
		"total_idle_closed", s.EvictedIdle, "total_slow_header_closed", s.EvictedHeader)
}

// ConnState records a connection's state as net/http reports it.
func (l *Listener) ConnState(c net.Conn, s http.ConnState) {
	var t *tracked
	switch c := c.(type) {
	case *TCPConn:
		t = c.t
	case *Conn:
		t = c.t
	default:
		return
	}
	if t.l != l {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.st.Load() == stClosed {
		return
	}
	switch s {
	case http.StateActive, http.StateHijacked:
		t.unlink()
		t.st.Store(stActive)
	case http.StateIdle:
		t.unlink()
		t.st.Store(stIdle)
		t.at = l.now()
		l.idle.push(t)
		l.wake() // a connection waiting in Accept can have this one's slot
	}
}

// wake tells a connection waiting in Accept to look for room again. l.mu
// is held or not.
func (l *Listener) wake() {
	select {
	case l.freed <- struct{}{}:
	default:
	}
}

// Close stops accepting; connections already open stay open.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// Connection states, as the listener sees them.
const (
	stPending int32 = iota // request header not finished
	stIdle                 // keep-alive, nothing received since the last answer
	stActive               // a request in progress (or hijacked): never closed here
	stClosed
)

type tracked struct {
	l    *Listener
	conn net.Conn
	st   atomic.Int32
	// Guarded by l.mu:
	at         time.Time // when it entered its list
	in         *list
	prev, next *tracked
	released   bool
}

// read sees n bytes read: an idle connection that receives a byte is
// pending again (its next request has begun), unless it has just been
// closed as idle, in which case the bytes never reach the server.
func (t *tracked) read(n int, err error) (int, error) {
	if n == 0 {
		return n, err
	}
	if s := t.st.Load(); s == stIdle || s == stClosed {
		l := t.l
		l.mu.Lock()
		defer l.mu.Unlock()
		switch t.st.Load() {
		case stClosed:
			return 0, net.ErrClosed
		case stIdle:
			t.unlink()
			t.st.Store(stPending)
			t.at = l.now()
			l.pending.push(t)
		}
	}
	return n, err
}

// close closes the connection and frees its slot (once).
func (t *tracked) close() error {
	err := t.conn.Close()
	l := t.l
	l.mu.Lock()
	if !t.released {
		t.released = true
		t.unlink()
		t.st.Store(stClosed)
		l.open--
		l.wake()
	}
	l.mu.Unlock()
	return err
}

func (t *tracked) unlink() {
	if t.in != nil {
		t.in.remove(t)
	}
}

// list is an intrusive doubly linked list, in order of arrival.
type list struct {
	head, tail *tracked
	n          int
}

func (q *list) push(t *tracked) {
	t.in, t.prev, t.next = q, q.tail, nil
	if q.tail != nil {
		q.tail.next = t
	} else {
		q.head = t
	}
	q.tail = t
	q.n++
}

func (q *list) remove(t *tracked) {
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		q.head = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	} else {
		q.tail = t.prev
	}
	t.in, t.prev, t.next = nil, nil, nil
	q.n--
}

// TCPConn is an accepted TCP connection that frees its slot when closed.
type TCPConn struct {
	*net.TCPConn
	t *tracked
}

// Read reads from the connection and tells the listener a request began.
func (c *TCPConn) Read(b []byte) (int, error) { return c.t.read(c.TCPConn.Read(b)) }

// Close closes the connection and frees its slot.
func (c *TCPConn) Close() error { return c.t.close() }

// Conn is any other accepted connection that frees its slot when closed.
type Conn struct {
	net.Conn
	t *tracked
}

// Read reads from the connection and tells the listener a request began.
func (c *Conn) Read(b []byte) (int, error) { return c.t.read(c.Conn.Read(b)) }

// Close closes the connection and frees its slot.
func (c *Conn) Close() error { return c.t.close() }
