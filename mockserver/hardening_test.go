package mockserver_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/internal/testkit"
	"github.com/flashback/revoke-contract/mockserver"
)

// TestSlowHeadersAreCutOff: a client that never finishes its headers
// (slowloris) is disconnected by the read-header timeout instead of holding
// a connection for ever.
func TestSlowHeadersAreCutOff(t *testing.T) {
	srv, err := mockserver.New(mockserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := mockserver.NewHTTPServer("", srv)
	testkit.Serve(t, hs) // sets hs.Addr

	conn, err := net.Dial("tcp", hs.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	// Generous bound: the server's ReadHeaderTimeout must have fired well
	// before; this only keeps a broken server from hanging the test.
	limit := hs.ReadHeaderTimeout + 10*time.Second
	_ = conn.SetReadDeadline(time.Now().Add(limit))
	_, err = io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection was still open after %v: no read-header timeout", limit)
	}
	if hs.ReadHeaderTimeout <= 0 || hs.ReadTimeout <= 0 || hs.WriteTimeout <= 0 || hs.IdleTimeout <= 0 || hs.MaxHeaderBytes <= 0 {
		t.Errorf("NewHTTPServer must set read-header, read, write and idle timeouts and a header size limit: %+v", hs)
	}
}
