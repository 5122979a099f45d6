// Package netlimit caps the connections a server holds open at once, as
// golang.org/x/net/netutil.LimitListener does, but its connections keep
// the methods of *net.TCPConn (SetLinger, which the mock's reset fault
// needs to send an RST), which netutil's wrapper hides.
package netlimit

import (
	"net"
	"sync"
)

// Listener accepts at most n connections at once; Accept waits (the
// connection stays in the kernel's queue) until one of them is closed.
type Listener struct {
	net.Listener
	slots chan struct{}
	done  chan struct{}
	once  sync.Once
}

// New wraps l (n >= 1).
func New(l net.Listener, n int) *Listener {
	return &Listener{Listener: l, slots: make(chan struct{}, n), done: make(chan struct{})}
}

// Accept waits for a free slot, then for a connection.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	release := sync.OnceFunc(func() { <-l.slots })
	if tc, ok := c.(*net.TCPConn); ok {
		return &TCPConn{TCPConn: tc, release: release}, nil
	}
	return &Conn{Conn: c, release: release}, nil
}

// Close stops accepting; connections already open stay open.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// TCPConn is an accepted TCP connection that frees its slot when closed.
type TCPConn struct {
	*net.TCPConn
	release func()
}

// Close closes the connection and frees its slot.
func (c *TCPConn) Close() error {
	err := c.TCPConn.Close()
	c.release()
	return err
}

// Conn is any other accepted connection that frees its slot when closed.
type Conn struct {
	net.Conn
	release func()
}

// Close closes the connection and frees its slot.
func (c *Conn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}
