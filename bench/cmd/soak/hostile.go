package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// A hostile kind of connection, opened many times at once.
type hostileKind struct {
	name string
	open func(addr string) (net.Conn, error) // returns once the connection is doing its harm
}

var (
	idleConn = hostileKind{"idle (connected, sends nothing)", func(addr string) (net.Conn, error) {
		return net.DialTimeout("tcp", addr, 10*time.Second)
	}}
	slowloris = hostileKind{"slowloris (a header byte a second)", func(addr string) (net.Conn, error) {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return nil, err
		}
		_, _ = io.WriteString(c, "POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\n")
		go func() {
			for range 30 {
				time.Sleep(time.Second)
				if _, err := io.WriteString(c, "X"); err != nil {
					return
				}
			}
		}()
		return c, nil
	}}
	hugeHeader = hostileKind{"1 MiB header", func(addr string) (net.Conn, error) {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return nil, err
		}
		go func() {
			_, _ = io.WriteString(c, "POST /sessions/revoke-all HTTP/1.1\r\nHost: x\r\nX-Big: ")
			_, _ = c.Write(make([]byte, 1<<20))
		}()
		return c, nil
	}}
	idleKeepAlive = hostileKind{"idle keep-alive (one request, then nothing)", func(addr string) (net.Conn, error) {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return nil, err
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = io.WriteString(c, "GET /__mock/health HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			c.Close()
			return nil, err
		}
		resp.Body.Close()
		_ = c.SetDeadline(time.Time{})
		return c, nil
	}}
)

// hostile measures a normal client (a revoke-all every 20 ms on its own
// keep-alive connection, opened first) while many hostile connections are
// open, and the mock's memory, with and without the connection cap.
func hostile(ctx context.Context, bin string, out io.Writer) error {
	fmt.Fprintf(out, "\nhostile clients: a normal client posts every 20 ms for 5 s on a connection it opened first; p50/p99 of its answers, the mock's RSS\n")
	fmt.Fprintf(out, "  %-46s %7s %12s %8s %8s %9s %s\n", "hostile connections", "count", "--max-conns", "p50", "p99", "RSS", "a new client")
	baseline, err := measureHostile(ctx, bin, idleConn, 0, 20000)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, baseline)
	for _, c := range []struct {
		kind  hostileKind
		n     int
		limit int
	}{
		{idleConn, 3000, 20000}, {slowloris, 3000, 20000}, {hugeHeader, 3000, 20000}, {slowloris, 10000, 20000}, {idleKeepAlive, 15000, 20000},
		{idleKeepAlive, 15000, 0}, {slowloris, 10000, 0},
	} {
		row, err := measureHostile(ctx, bin, c.kind, c.n, c.limit)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, row)
	}
	return nil
}

func measureHostile(ctx context.Context, bin string, kind hostileKind, n, limit int) (string, error) {
	// Opening the hostile connections is bounded too: what is open after
	// two minutes is what the row measures (its count says so).
	openCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	args := []string{"--sessions", "off"}
	limitText := "default"
	if limit > 0 {
		args = append(args, "--max-conns", fmt.Sprint(limit))
		limitText = fmt.Sprint(limit)
	}
	base, pid, stop, err := startMock(ctx, bin, args...)
	if err != nil {
		return "", err
	}
	defer stop()
	addr := strings.TrimPrefix(base, "http://")
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	post := func(c *http.Client) (time.Duration, error) {
		req, _ := http.NewRequestWithContext(ctx, "POST", base+"/sessions/revoke-all", nil)
		req.Header.Set("Authorization", "Bearer normal-client-token")
		start := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(start), nil
	}
	if _, err := post(client); err != nil { // its connection, opened first
		return "", err
	}
	var conns []net.Conn
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for range n {
		if openCtx.Err() != nil {
			break
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if c, err := kind.open(addr); err == nil {
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var lat []time.Duration
	for range 250 {
		d, err := post(client)
		if err != nil {
			return "", fmt.Errorf("%s x %d: the normal client: %w", kind.name, n, err)
		}
		lat = append(lat, d)
		time.Sleep(20 * time.Millisecond)
	}
	mem, _ := rss(pid)
	// A client arriving now, on a new connection.
	fresh := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	newClient := "answered in %s"
	if d, err := post(fresh); err != nil {
		newClient = "no answer within 20 s (waits for a free slot)"
	} else {
		newClient = fmt.Sprintf(newClient, d.Round(time.Millisecond))
	}
	slices.Sort(lat)
	name := kind.name
	if n == 0 {
		name = "none (baseline)"
	}
	return fmt.Sprintf("  %-46s %7d %12s %8s %8s %5.0f MiB %s", name, len(conns), limitText,
		lat[len(lat)/2].Round(10*time.Microsecond), lat[len(lat)*99/100].Round(10*time.Microsecond), mib(mem), newClient), nil
}
