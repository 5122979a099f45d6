package testkit

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// FreeAddr returns a loopback address ("127.0.0.1:port") that was free a
// moment ago: nothing listens there when it returns. Use it for a
// connection that must be refused, or for a program that cannot be told
// --port 0 (another process may take the port in between; start such a
// program in a retry loop where that matters).
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// FreePort is FreeAddr's port.
func FreePort(t testing.TB) int {
	t.Helper()
	_, port, _ := net.SplitHostPort(FreeAddr(t))
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Listen listens on a fresh loopback port; the listener is closed at the
// end of the test.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}

// RawServer accepts loopback connections and calls serve with each, in a
// goroutine of its own, closing the connection when serve returns: a
// server that writes canned (often broken) bytes no net/http server would.
// It returns the address, host:port. At the end of the test the listener
// and every connection still open are closed (serve sees its reads and
// writes fail); RawServer does not wait for serve to return.
func RawServer(t testing.TB, serve func(conn net.Conn)) string {
	t.Helper()
	ln := Listen(t)
	var (
		mu     sync.Mutex
		open   = map[net.Conn]bool{}
		closed bool
	)
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		closed = true
		for c := range open {
			_ = c.Close()
		}
	})
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if closed {
				mu.Unlock()
				_ = conn.Close()
				return
			}
			open[conn] = true
			mu.Unlock()
			go func() {
				defer func() {
					mu.Lock()
					delete(open, conn)
					mu.Unlock()
					_ = conn.Close()
				}()
				serve(conn)
			}()
		}
	}()
	return ln.Addr().String()
}

// ReadHead reads a request's header section, the request line and every
// header line up to and including the empty line, as it came.
// On an error it returns what it read and the error.
func ReadHead(br *bufio.Reader) (string, error) {
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		head.WriteString(line)
		if err != nil {
			return head.String(), err
		}
		if line == "\r\n" {
			return head.String(), nil
		}
	}
}

// Serve serves srv (its Handler, timeouts and limits; net/http's defaults
// where unset) on a fresh loopback port and returns http://127.0.0.1:PORT.
// srv.Addr is set to the address. The server is closed at the end of the
// test: Close, not Shutdown, which would wait for connections that a
// client (Chromium, say) opened and never used.
func Serve(t testing.TB, srv *http.Server) string {
	t.Helper()
	ln := Listen(t)
	srv.Addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + srv.Addr
}
