// Package redistest starts a real redis-server for a test: on a free
// loopback port, in a temporary folder, killed at the end of the test. It
// finds the program through testenv (skipped loudly where it is missing,
// failing in CI). It depends on the standard library alone.
package redistest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/internal/testenv"
	"github.com/flashback/revoke-contract/internal/testkit"
)

// Server is one redis-server process (or none, between Kill and Restart).
type Server struct {
	Addr    string // 127.0.0.1:port
	Dir     string
	bin     string
	t       testing.TB
	persist bool
	args    []string
	tls     bool // the port speaks TLS only (StartTLS)

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs redis-server. With persist, every write is appended to a file
// synced at once (appendfsync always), so a restart keeps everything;
// without, a restart starts empty (the data-loss case). args are more
// redis-server options, such as "--requirepass", "pw".
func Start(t testing.TB, persist bool, args ...string) *Server {
	t.Helper()
	bin := testenv.LookPath(t, "a shared store in Redis", "apt-get install redis-server", "redis-server")
	s := &Server{Dir: t.TempDir(), bin: bin, t: t, persist: persist, args: args}
	var err error
	for range 5 { // a free port may be taken between the probe and the start
		s.Addr = testkit.FreeAddr(t)
		if err = s.start(); err == nil {
			t.Cleanup(s.Kill)
			return s
		}
	}
	t.Fatalf("redis-server did not start: %v", err)
	return nil
}

// URL is the server's redis:// URL for database db (rediss:// with TLS).
func (s *Server) URL(db int) string {
	if s.tls {
		return "rediss://" + s.Addr + "/" + strconv.Itoa(db)
	}
	return "redis://" + s.Addr + "/" + strconv.Itoa(db)
}

// StartTLS runs redis-server with TLS only, on a self-signed certificate
// for 127.0.0.1 (clients must skip verification: rediss://...?skip_verify=true).
func StartTLS(t testing.TB, args ...string) *Server {
	t.Helper()
	bin := testenv.LookPath(t, "a shared store in Redis over TLS", "apt-get install redis-server", "redis-server")
	s := &Server{Dir: t.TempDir(), bin: bin, t: t, tls: true}
	cert, key := filepath.Join(s.Dir, "cert.pem"), filepath.Join(s.Dir, "key.pem")
	if err := selfSigned(cert, key); err != nil {
		t.Fatal(err)
	}
	var err error
	for range 5 {
		s.Addr = testkit.FreeAddr(t)
		_, port, _ := net.SplitHostPort(s.Addr)
		s.args = append([]string{"--port", "0", "--tls-port", port, "--tls-cert-file", cert, "--tls-key-file", key,
			"--tls-ca-cert-file", cert, "--tls-auth-clients", "no"}, args...)
		if err = s.start(); err == nil {
			t.Cleanup(s.Kill)
			return s
		}
	}
	t.Fatalf("redis-server (TLS) did not start: %v", err)
	return nil
}

func selfSigned(certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
}

func (s *Server) start() error {
	_, port, _ := net.SplitHostPort(s.Addr)
	aof := "no"
	if s.persist {
		aof = "yes"
	}
	if s.tls {
		port = "0" // the TLS port is in s.args
	}
	args := append([]string{"--port", port, "--bind", "127.0.0.1", "--dir", s.Dir, "--save", "",
		"--appendonly", aof, "--appendfsync", "always", "--protected-mode", "no", "--daemonize", "no"}, s.args...)
	cmd := exec.Command(s.bin, args...)
	logf, err := os.OpenFile(filepath.Join(s.Dir, "redis.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if ping(s.Addr, s.tls) == nil {
			s.mu.Lock()
			s.cmd, s.done = cmd, done
			s.mu.Unlock()
			return nil
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
			return fmt.Errorf("redis-server exited: %s", lastLines(string(log), 5))
		case <-time.After(20 * time.Millisecond):
		}
	}
	_ = cmd.Process.Kill()
	<-done
	return fmt.Errorf("redis-server on %s did not answer PING within 20s", s.Addr)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// ping sends PING and waits for +PONG (or the NOAUTH error of a server
// that requires a password: it is up).
func ping(addr string, useTLS bool) error {
	var c net.Conn
	var err error
	if useTLS {
		c, err = tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	} else {
		c, err = net.DialTimeout("tcp", addr, time.Second)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") && !strings.HasPrefix(line, "-NOAUTH") {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// Kill kills the server at once (SIGKILL: no save, no goodbye).
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// Restart starts the server again on the same port and folder (after
// Kill): with persistence it has its data back, without it is empty.
func (s *Server) Restart() {
	s.t.Helper()
	var err error
	for range 50 { // the port is usually free at once; wait for it if not
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("redis-server did not restart on %s: %v", s.Addr, err)
}

// Wipe deletes the server's files (after Kill): the next Restart starts
// empty, as a Redis without persistence does.
func (s *Server) Wipe() {
	s.t.Helper()
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "redis.log" {
			if err := os.RemoveAll(filepath.Join(s.Dir, e.Name())); err != nil {
				s.t.Fatal(err)
			}
		}
	}
}
