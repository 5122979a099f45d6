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

// PendingGrace is the least time a new connection is given to send its
// header before it may be closed to make room (a header past the deadline
// at the current pressure goes first, whatever its age): under a flood the
// server may take some milliseconds to read a normal client's request.
const PendingGrace = 50 * time.Millisecond

// IdleGrace is the least time a keep-alive connection has been idle before
// it may be closed to make room: one that has just answered is likely to
// carry its client's next request at any moment, and a request that meets
// the close fails (a browser sends it again; most other clients do not
// resend a POST). A newcomer waits for one to pass its grace instead.
const IdleGrace = 50 * time.Millisecond

// sweepEvery is how often the deadlines under pressure are enforced.
const sweepEvery = 100 * time.Millisecond

// Config sets up a Listener.
type Config struct {
	Max int // connections open at once (>= 1)
	// HeaderTimeout and IdleTimeout are the deadlines without pressure
	// (the server's ReadHeaderTimeout and IdleTimeout; the server enforces
	// those itself); zero means 5 s and 60 s.
	HeaderTimeout, IdleTimeout time.Duration
	// MaxHeaderBytes is the server's (0: http.DefaultMaxHeaderBytes): a
	// connection that sent more before its request began is being refused
	// with a 431 (net/http then waits 500 ms before closing it) and may be
	// closed to make room.
	MaxHeaderBytes int
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
	// TooLarge are being refused (431) for a header over the limit.
	TooLarge int `json:"tooLarge"`
	// EvictedIdle and EvictedHeader are the idle connections and the ones
	// slow to send their header that were closed to make room;
	// EvictedTooLarge the ones refused for a header over the limit.
	EvictedIdle     uint64 `json:"evictedIdle"`
	EvictedHeader   uint64 `json:"evictedHeader"`
	EvictedTooLarge uint64 `json:"evictedTooLarge"`
	// Waited counts new connections that found every slot busy with a
	// request and waited for one to finish.
	Waited uint64 `json:"waited"`
}

// Listener accepts at most Max connections at once (one more waits in
// Accept, the rest in the kernel's queue).
//
// A connection's state and the time it entered it are atomics of its own,
// changed without a lock as its requests come and go: a keep-alive request
// passes through three states, and a lock shared by every connection,
// taken three times per request, was a cost all of them paid under load.
// The lock guards the set of open connections and the counts; whoever
// needs the oldest header or the longest idle connection (Accept at the
// cap, the sweeper under pressure, Stats) scans the set under it, and
// closes a connection only by moving it, with a compare-and-swap, out of
// the state it was chosen in: a connection that began a request meanwhile
// is not closed.
type Listener struct {
	net.Listener
	cfg  Config
	now  func() time.Time // nil: the real clock
	base time.Time        // tracked.at counts nanoseconds since base
	done chan struct{}
	once sync.Once

	// waiters counts Accepts waiting for a slot (at most the one goroutine
	// that calls Accept): a connection that turns idle wakes it only then.
	waiters atomic.Int32
	freed   chan struct{}
	lastID  atomic.Uint64

	mu     sync.Mutex
	open   int
	conns  []*tracked // every open connection, in no order (tracked.idx)
	stats  Stats
	logged Stats // what the last log line reported
	logAt  time.Time
}

// New wraps l with a cap of n (>= 1) and default deadlines.
func New(l net.Listener, n int) *Listener { return NewListener(l, Config{Max: n}) }

// NewListener wraps l as cfg says and enforces the deadlines under
// pressure until Close.
func NewListener(l net.Listener, cfg Config) *Listener {
	ln := newListener(l, cfg, nil)
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
	if cfg.MaxHeaderBytes <= 0 {
		cfg.MaxHeaderBytes = http.DefaultMaxHeaderBytes
	}
	ln := &Listener{Listener: l, cfg: cfg, now: now, done: make(chan struct{}), freed: make(chan struct{}, 1)}
	ln.base = ln.wall()
	return ln
}

// wall is the time of day (the tests' fake clock when they set one).
func (l *Listener) wall() time.Time {
	if l.now == nil {
		return time.Now()
	}
	return l.now()
}

// clock is the listener's time, in nanoseconds since it was made. With
// the real clock it reads the monotonic clock alone: half the cost of
// time.Now, paid twice per keep-alive request.
func (l *Listener) clock() int64 {
	if l.now == nil {
		return int64(time.Since(l.base))
	}
	return int64(l.now().Sub(l.base))
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
	if srv.MaxHeaderBytes > 0 {
		l.cfg.MaxHeaderBytes = srv.MaxHeaderBytes
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
	s.Max, s.Open = l.cfg.Max, l.open
	for _, t := range l.conns {
		switch t.st.Load() {
		case stIdle:
			s.Idle++
		case stPending:
			s.Pending++
		case stDoomed:
			s.TooLarge++
		}
	}
	return s
}

// Accept takes the next connection; at the cap it closes a connection
// that does no work to make room, or waits until a request finishes.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	t := &tracked{l: l, conn: c, id: l.lastID.Add(1)}
	t.at.Store(l.clock())
	t.st.Store(stPending)
	l.mu.Lock()
	l.open++
	t.idx = len(l.conns)
	l.conns = append(l.conns, t)
	if l.open > l.cfg.Max {
		// Counted before the first look for room: a connection that turns
		// idle after that look sees the count and wakes this Accept.
		l.waiters.Add(1)
		defer l.waiters.Add(-1)
	}
	waited := false
	for l.open > l.cfg.Max {
		v, retry := l.victim(t)
		if v != nil {
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
		var again <-chan time.Time
		var timer *time.Timer
		if retry > 0 {
			timer = time.NewTimer(retry)
			again = timer.C
		}
		select {
		case <-l.freed:
		case <-again:
		case <-l.done:
			_ = t.close()
			return nil, net.ErrClosed
		}
		if timer != nil {
			timer.Stop()
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

// candidate is the connection that has been in a state the longest.
type candidate struct {
	t  *tracked
	at int64
}

// consider makes t the candidate if it has been in its state longer (the
// first accepted among equals).
func (c *candidate) consider(t *tracked, at int64) {
	if c.t == nil || at < c.at || (at == c.at && t.id < c.t.id) {
		c.t, c.at = t, at
	}
}

// oldest returns, in one pass, the connections other than self that have
// been doomed, pending and idle the longest. l.mu is held.
func (l *Listener) oldest(self *tracked) (doomed, pending, idle candidate) {
	for _, t := range l.conns {
		if t == self {
			continue
		}
		switch t.st.Load() {
		case stDoomed:
			doomed.consider(t, t.at.Load())
		case stPending:
			pending.consider(t, t.at.Load())
		case stIdle:
			idle.consider(t, t.at.Load())
		}
	}
	return doomed, pending, idle
}

// victim picks (and marks closed) the connection to close so that self
// can be served, in this order: one being refused for a header over the
// limit; a header overdue at this pressure; a connection idle for
// PressureHeaderTimeout or more, the longest idle first; the oldest
// unfinished header, given PendingGrace; the connection idle the longest,
// given IdleGrace. A connection idle for a moment is likely to carry its
// client's next request at any moment (closing it then fails that request,
// which the client may not retry). Nil when every other connection is busy
// with a request, or young: then retry says when the oldest header or the
// longest idle connection is no longer young. l.mu is held.
func (l *Listener) victim(self *tracked) (v *tracked, retry time.Duration) {
	for {
		doomed, pending, idling := l.oldest(self)
		if v := doomed.t; v != nil {
			if l.evict(v, stDoomed, &l.stats.EvictedTooLarge) {
				return v, 0
			}
			continue
		}
		hd, _ := l.deadlines()
		now := l.clock()
		oldest, pendingAt, idle, idleAt := pending.t, pending.at, idling.t, idling.at
		var ok bool
		switch {
		case oldest != nil && time.Duration(now-pendingAt) >= hd:
			v, ok = oldest, l.evict(oldest, stPending, &l.stats.EvictedHeader)
		case idle != nil && time.Duration(now-idleAt) >= PressureHeaderTimeout:
			v, ok = idle, l.evict(idle, stIdle, &l.stats.EvictedIdle)
		case oldest != nil && time.Duration(now-pendingAt) >= PendingGrace:
			v, ok = oldest, l.evict(oldest, stPending, &l.stats.EvictedHeader)
		case idle != nil && time.Duration(now-idleAt) >= IdleGrace:
			v, ok = idle, l.evict(idle, stIdle, &l.stats.EvictedIdle)
		default:
			// Every other connection is busy, or young: wait until the
			// first of them is no longer young (or a slot is freed).
			retry = 0
			if oldest != nil {
				retry = PendingGrace - time.Duration(now-pendingAt)
			}
			if idle != nil {
				if r := IdleGrace - time.Duration(now-idleAt); retry == 0 || r < retry {
					retry = r
				}
			}
			return nil, retry
		}
		if ok {
			return v, 0
		}
		// v left the state it was chosen in (its next request began, or
		// its header ended): look again.
	}
}

// evict marks v closed if it is still in state from, so that no byte it
// reads from now on reaches the server, and counts it. l.mu is held.
func (l *Listener) evict(v *tracked, from int32, counter *uint64) bool {
	if !v.st.CompareAndSwap(from, stClosed) {
		return false
	}
	*counter++
	return true
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
		now := l.clock()
		hd, id := l.deadlines()
		for _, t := range l.conns {
			switch st := t.st.Load(); {
			case st == stPending && time.Duration(now-t.at.Load()) >= hd:
				if l.evict(t, stPending, &l.stats.EvictedHeader) {
					victims = append(victims, t)
				}
			case st == stIdle && time.Duration(now-t.at.Load()) >= id:
				if l.evict(t, stIdle, &l.stats.EvictedIdle) {
					victims = append(victims, t)
				}
			}
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
	now := l.wall()
	s := l.stats
	if (s.EvictedIdle == l.logged.EvictedIdle && s.EvictedHeader == l.logged.EvictedHeader &&
		s.EvictedTooLarge == l.logged.EvictedTooLarge && s.Waited == l.logged.Waited) ||
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
		"too_large_closed", s.EvictedTooLarge-last.EvictedTooLarge,
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
	switch s {
	case http.StateActive:
		if t.headerBytes.Load() >= int64(l.cfg.MaxHeaderBytes)+4096 && t.st.CompareAndSwap(stPending, stDoomed) {
			// net/http read all it reads of a header (MaxHeaderBytes and
			// 4 KiB of slack) without finding its end: it answers 431
			// and waits before closing; no request is being served.
			return
		}
		t.move(stActive)
	case http.StateHijacked:
		t.move(stActive)
	case http.StateIdle:
		t.at.Store(l.clock())
		t.move(stIdle)
		if l.waiters.Load() > 0 {
			l.wake() // a connection waiting in Accept can have this one's slot
		}
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
	stDoomed               // being refused for a header over the limit
	stClosed
)

type tracked struct {
	l    *Listener
	conn net.Conn
	id   uint64 // in order of acceptance
	st   atomic.Int32
	// at is when it entered its state (Listener.clock); headerBytes
	// counts the bytes read since it last became pending.
	at          atomic.Int64
	headerBytes atomic.Int64
	// Guarded by l.mu:
	idx      int // in l.conns
	released bool
}

// move puts t in state to unless it was closed.
func (t *tracked) move(to int32) {
	for {
		s := t.st.Load()
		if s == stClosed || s == to || t.st.CompareAndSwap(s, to) {
			return
		}
	}
}

// read sees n bytes read: an idle connection that receives a byte is
// pending again (its next request has begun), unless it has just been
// closed as idle, in which case the bytes never reach the server.
func (t *tracked) read(n int, err error) (int, error) {
	if n == 0 {
		return n, err
	}
	switch t.st.Load() {
	case stPending:
		t.headerBytes.Add(int64(n))
	case stIdle:
		// Its time and count first: whoever scans and sees it pending
		// sees them too.
		t.at.Store(t.l.clock())
		t.headerBytes.Store(int64(n))
		if !t.st.CompareAndSwap(stIdle, stPending) {
			return 0, net.ErrClosed // closed as idle meanwhile
		}
	case stClosed:
		return 0, net.ErrClosed
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
		t.st.Store(stClosed)
		last := l.conns[len(l.conns)-1]
		l.conns[t.idx], last.idx = last, t.idx
		l.conns[len(l.conns)-1] = nil
		l.conns = l.conns[:len(l.conns)-1]
		l.open--
		l.wake()
	}
	l.mu.Unlock()
	return err
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
