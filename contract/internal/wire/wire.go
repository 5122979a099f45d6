package wire

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
)

// The suite sends every request on a connection of its own and reads the
// answer while the request is still being written. A server may answer
// before it has read the whole body and then close the connection (RFC 9112
// §9.6); net/http's Transport then reports whichever of "write failed" and
// "response arrived" it notices first, so the same correct backend could
// pass or fail a rule from one run to the next. Here the answer decides: one
// that arrives counts, whatever became of the rest of the body, and only a
// connection that ends without an answer is reported as such.

// wireAnswer is what came back for one request.
type wireAnswer struct {
	status     int
	statusText string
	header     http.Header
	body       []byte
}

// sendError is a failed exchange: the read side's error, and how far the
// request had got when it happened.
type sendError struct {
	err       error // why no (complete) answer was read
	sent      int64 // request bytes written
	total     int64 // request bytes to write; -1 when unknown
	writeDone bool  // the writer finished (successfully or not)
	writeErr  error // the writer's error, if it finished with one
}

func (e *sendError) Error() string { return e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// unfinished reports whether the request was still being sent when the
// exchange failed.
func (e *sendError) unfinished() bool {
	return !e.writeDone || e.writeErr != nil
}

// exchange sends r to u and reads the answer, body capped at MaxBodyBytes.
// On error the answer holds what arrived before it (status and headers when
// the body failed).
func (c *Client) exchange(ctx context.Context, u *url.URL, r Request) (wireAnswer, error) {
	conn, viaProxy, err := c.dial(ctx, u)
	if err != nil {
		return wireAnswer{}, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// An interrupted run (or an expired context) ends both halves at once.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	msg, err := c.requestBytes(u, r, viaProxy)
	if err != nil {
		return wireAnswer{}, err
	}
	cw := &countingWriter{w: conn}
	written := make(chan error, 1)
	go func() {
		_, err := cw.Write(msg)
		written <- err
	}()

	ans, err := readAnswer(conn, r.Method)
	if err == nil {
		return ans, nil
	}
	if ctx.Err() != nil && errors.Is(err, net.ErrClosed) {
		err = ctx.Err()
	}
	se := &sendError{err: err, total: int64(len(msg))}
	select {
	case werr := <-written:
		se.writeDone, se.writeErr = true, werr
	default:
	}
	se.sent = cw.n.Load()
	return ans, se
}

// readAnswer reads the final answer (interim 1xx answers are skipped) with
// its header section bounded like net/http's transport and its body capped.
func readAnswer(conn net.Conn, method string) (wireAnswer, error) {
	head := &io.LimitedReader{R: conn, N: maxResponseHeaderBytes}
	br := bufio.NewReader(head)
	req := &http.Request{Method: method}
	var resp *http.Response
	for {
		var err error
		resp, err = http.ReadResponse(br, req)
		if err != nil {
			if head.N <= 0 {
				return wireAnswer{}, fmt.Errorf("response headers exceed %d KiB", maxResponseHeaderBytes>>10)
			}
			return wireAnswer{}, err
		}
		// net/http reads any three digits; 000 to 099 are no status at all
		// (an Exchange with status 0 and no error would be neither an
		// answer nor a failure).
		if resp.StatusCode < 100 {
			return wireAnswer{}, fmt.Errorf("malformed status line: status %03d", resp.StatusCode)
		}
		// 100 Continue and 103 Early Hints precede the final answer.
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
	}
	// The body is capped, and so is its framing: 1 MiB sent in chunks of a
	// byte with long extensions would otherwise be read for gigabytes.
	head.N = maxResponseBodyWireBytes
	// resp.Body is not closed: closing it reads it to its end, and a body
	// without end would hold the exchange until its timeout. The caller
	// closes the connection.
	ans := wireAnswer{status: resp.StatusCode, statusText: statusText(resp), header: resp.Header}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
	switch {
	case err == nil && len(body) > MaxBodyBytes:
		body, err = body[:MaxBodyBytes], errBodyTooLarge
	case err != nil && head.N <= 0:
		err = errBodyFraming
	}
	ans.body = body
	return ans, err
}

// maxResponseBodyWireBytes bounds the bytes read for a body, framing
// included: 8 times MaxBodyBytes, more than any framing of a body within
// the cap needs in practice.
const maxResponseBodyWireBytes = 8 * MaxBodyBytes

var errBodyFraming = errors.New("the body's framing exceeds 8 MiB")

// requestBytes is the request as it goes out. Raw requests are written
// byte for byte (net/http trims header values, and "Bearer " must keep its
// trailing space); the others by net/http's own request writer, so their
// framing (Content-Length, chunked) is the standard one.
func (c *Client) requestBytes(u *url.URL, r Request, viaProxy *url.URL) ([]byte, error) {
	var b bytes.Buffer
	if r.Raw {
		target := u.RequestURI()
		if viaProxy != nil {
			target = u.String() // absolute-form through a proxy (RFC 9112 §3.2.2)
		}
		fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n", r.Method, target, u.Host, userAgent)
		for _, h := range r.Header {
			fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
		}
		if viaProxy != nil && viaProxy.User != nil {
			fmt.Fprintf(&b, "Proxy-Authorization: %s\r\n", proxyAuth(viaProxy))
		}
		if r.Body != nil || r.Method == http.MethodPost {
			fmt.Fprintf(&b, "Content-Length: %d\r\n", len(r.Body))
		}
		b.WriteString("Connection: close\r\n\r\n")
		b.Write(r.Body)
		return b.Bytes(), nil
	}
	req, err := http.NewRequest(r.Method, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.URL = u // keep the path exactly as written (%2F, //, /./)
	req.Close = true
	for _, h := range r.Header {
		if strings.EqualFold(h[0], "Host") {
			req.Host = h[1]
			continue
		}
		k := http.CanonicalHeaderKey(h[0])
		req.Header[k] = append(req.Header[k], h[1])
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", userAgent)
	}
	if viaProxy != nil && viaProxy.User != nil {
		req.Header.Set("Proxy-Authorization", proxyAuth(viaProxy))
	}
	if r.Body != nil {
		req.Body = io.NopCloser(bytes.NewReader(r.Body))
		req.ContentLength = int64(len(r.Body))
	}
	if r.Chunked {
		req.TransferEncoding = []string{"chunked"}
		req.ContentLength = -1
	}
	write := req.Write
	if viaProxy != nil {
		write = req.WriteProxy
	}
	if err := write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

type countingWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// dial connects to u's host, through the proxy the environment names for it
// (HTTPS_PROXY, HTTP_PROXY, NO_PROXY; loopback is never proxied), and starts
// TLS for https. viaProxy is the proxy when requests must use the
// absolute form (plain http through a proxy); https goes through a CONNECT
// tunnel and is then written as to the origin.
func (c *Client) dial(ctx context.Context, u *url.URL) (conn net.Conn, viaProxy *url.URL, err error) {
	proxy, err := c.proxy(&http.Request{URL: u})
	if err != nil {
		return nil, nil, fmt.Errorf("the proxy settings (HTTPS_PROXY, HTTP_PROXY): %w", err)
	}
	var d net.Dialer
	if proxy == nil {
		conn, err = d.DialContext(ctx, "tcp", hostPort(u))
		if err == nil && u.Scheme == "https" {
			conn, err = c.startTLS(ctx, conn, u.Hostname())
		}
		return conn, nil, err
	}
	conn, err = d.DialContext(ctx, "tcp", hostPort(proxy))
	if err != nil {
		return nil, nil, fmt.Errorf("the proxy %s: %w", proxy.Host, err)
	}
	if proxy.Scheme == "https" {
		if conn, err = c.startTLS(ctx, conn, proxy.Hostname()); err != nil {
			return nil, nil, fmt.Errorf("the proxy %s: %w", proxy.Host, err)
		}
	}
	if u.Scheme != "https" {
		return conn, proxy, nil
	}
	if err := connectTunnel(ctx, conn, proxy, hostPort(u)); err != nil {
		conn.Close()
		return nil, nil, err
	}
	conn, err = c.startTLS(ctx, conn, u.Hostname())
	return conn, nil, err
}

// connectTunnel asks the proxy for a tunnel to target (RFC 9110 §9.3.6).
func connectTunnel(ctx context.Context, conn net.Conn, proxy *url.URL, target string) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	req := "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n"
	if proxy.User != nil {
		req += "Proxy-Authorization: " + proxyAuth(proxy) + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		return fmt.Errorf("the proxy %s: %w", proxy.Host, err)
	}
	// Read the answer byte by byte: nothing after it may be consumed, it
	// belongs to the TLS handshake.
	resp, err := http.ReadResponse(bufio.NewReaderSize(oneByteReader{conn}, 16), &http.Request{Method: http.MethodConnect})
	if err != nil {
		return fmt.Errorf("the proxy %s did not answer CONNECT: %w", proxy.Host, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the proxy %s refused to CONNECT to %s: %s", proxy.Host, target, resp.Status)
	}
	return nil
}

type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func proxyAuth(proxy *url.URL) string {
	pw, _ := proxy.User.Password()
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(proxy.User.Username()+":"+pw))
}

func (c *Client) startTLS(ctx context.Context, conn net.Conn, serverName string) (net.Conn, error) {
	cfg := c.tls.Clone()
	cfg.ServerName = serverName
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}
