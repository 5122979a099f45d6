package loopback

import (
	"net"
	"strconv"
	"testing"
)

// TestFreePort: the port given can be listened on, on loopback.
func TestFreePort(t *testing.T) {
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	if port <= 0 || port > 65535 {
		t.Fatalf("port %d", port)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("the port given is not free: %v", err)
	}
	ln.Close()
}
