// Command bare is the load comparison's baseline: a net/http server that
// answers every request with the mock's documented 200 (the same bytes and
// headers) and does nothing else: no routing, no authentication, no log.
// It is a process of its own so that its memory is measured apart.
//
// With --minimal it is the least a Go server can be: http.Server's
// defaults (no timeouts, no header limit of its own) and a handler that
// writes the body with one header, the load comparison's second baseline.
//
//	bare [--host 127.0.0.1] [--port 4011] [--minimal]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/flashback/revoke-contract/fixtures"
)

func main() {
	host := flag.String("host", "127.0.0.1", "listen address")
	port := flag.String("port", "4011", "listen port")
	minimal := flag.Bool("minimal", false, "http.Server's defaults and a one-header handler")
	flag.Parse()
	if err := run(*host, *port, *minimal); err != nil {
		fmt.Fprintf(os.Stderr, "bare: %v\n", err)
		os.Exit(1)
	}
}

func run(host, port string, minimal bool) error {
	body, ok := fixtures.Body("200", "success")
	if !ok {
		return errors.New("fixtures has no 200/success body")
	}
	// The headers the mock sends with its 200 (besides Date, which net/http
	// adds to both), as precomputed values.
	header := http.Header{
		"Cache-Control":  {"no-store"},
		"Content-Length": {strconv.Itoa(len(body))},
		"Content-Type":   {"application/json"},
		"Vary":           {"Origin"},
	}
	var h http.HandlerFunc = func(w http.ResponseWriter, _ *http.Request) {
		wh := w.Header()
		for k, v := range header {
			wh[k] = v
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	}

	if minimal {
		h = func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return err
	}
	// The settings of mockserver.NewHTTPServer, copied rather than imported:
	// importing mockserver would link (and initialise) both OpenAPI
	// libraries into the baseline and inflate its memory and start-up.
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	if minimal {
		srv = &http.Server{Handler: h}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
