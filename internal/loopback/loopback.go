// Package loopback hands out loopback ports for the servers the benchmark
// programs start (bench/cmd/...): they listen on 127.0.0.1 only.
package loopback

import "net"

// FreePort asks the kernel for a port free on 127.0.0.1 now. Another
// process may take it before it is used: a server that cannot listen on it
// fails to start, and says so.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
