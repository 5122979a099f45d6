package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/flashback/revoke-contract/fixtures"
	"github.com/flashback/revoke-contract/mockserver"
	"github.com/flashback/revoke-contract/mockserver/reqlog"
	"github.com/flashback/revoke-contract/spec"
	"golang.org/x/net/netutil"
)

type serveConfig struct {
	host, port, specPath, sessions, corsOrigins, logFormat string
	maxSessions, maxConns                                  int
}

// DefaultMaxConns caps the connections the mock holds open at once: an idle
// connection costs some 12 KiB, so a flood of them stays under 15 MiB; new
// ones wait in the kernel's queue until one closes (docs/reliability.md).
const DefaultMaxConns = 1024

// envDefault reads REVOKE_MOCK_<NAME> as a flag's default, so that a flag on
// the command line wins over the environment.
func envDefault(name, def string) string {
	key := "REVOKE_MOCK_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func parseServe(args []string, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("revoke-mock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.host, "host", envDefault("host", "127.0.0.1"), "listen address")
	fs.StringVar(&c.port, "port", envDefault("port", "4010"), "listen port")
	fs.StringVar(&c.specPath, "spec", envDefault("spec", ""), "serve this OpenAPI file instead of the embedded spec/openapi.yaml")
	fs.StringVar(&c.sessions, "sessions", envDefault("sessions", "lazy"), "off, lazy or issued")
	fs.StringVar(&c.corsOrigins, "cors-origins", envDefault("cors-origins", ""), "comma-separated allowed origins (default: every origin, echoed)")
	fs.StringVar(&c.logFormat, "log-format", envDefault("log-format", "text"), "text or json")
	maxSessions := fs.String("max-sessions", envDefault("max-sessions", strconv.Itoa(mockserver.DefaultMaxSessions)), "live sessions kept; the oldest are forgotten first (revoked tokens stay revoked)")
	maxConns := fs.String("max-conns", envDefault("max-conns", strconv.Itoa(DefaultMaxConns)), "connections open at once; more wait until one closes")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, usageError{errors.New("see the flags above")}
		}
		return c, usageError{err}
	}
	if fs.NArg() > 0 {
		return c, usageError{fmt.Errorf("unexpected argument %q (the only subcommand is `token`)", fs.Arg(0))}
	}
	if n, err := strconv.Atoi(c.port); err != nil || n < 0 || n > 65535 {
		return c, usageError{fmt.Errorf("--port %q: want a number from 0 to 65535", c.port)}
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return c, usageError{fmt.Errorf("--log-format %q: want text or json", c.logFormat)}
	}
	for _, f := range []struct {
		name, value string
		into        *int
	}{{"--max-sessions", *maxSessions, &c.maxSessions}, {"--max-conns", *maxConns, &c.maxConns}} {
		n, err := strconv.Atoi(f.value)
		if err != nil || n < 1 {
			return c, usageError{fmt.Errorf("%s %q: want a whole number, 1 or more", f.name, f.value)}
		}
		*f.into = n
	}
	return c, nil
}

// optionFlags names the flag of each mockserver option a user can get wrong.
var optionFlags = map[string]string{"Sessions": "--sessions", "CORSOrigins": "--cors-origins", "MaxSessions": "--max-sessions"}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseServe(args, stderr)
	if err != nil {
		return err
	}
	// Only the spec that is served is loaded: the embedded one costs some
	// 17 ms of start-up.
	var sp *spec.Spec
	if c.specPath != "" {
		sp, err = spec.LoadFile(c.specPath)
	} else {
		sp, err = spec.Embedded()
	}
	if err != nil {
		return err
	}
	// Buffered: one write per batch of request lines, not one per request.
	logOut := reqlog.NewWriter(stdout, 100*time.Millisecond)
	defer logOut.Close()
	var logger *slog.Logger
	var requestLog *reqlog.Logger
	if c.logFormat == "json" {
		logger = slog.New(slog.NewJSONHandler(logOut, nil))
		requestLog = reqlog.NewLogger(logOut, reqlog.JSON)
	} else {
		logger = slog.New(slog.NewTextHandler(logOut, nil))
		requestLog = reqlog.NewLogger(logOut, reqlog.Text)
	}
	var origins []string
	if c.corsOrigins != "" {
		origins = strings.Split(c.corsOrigins, ",")
	}
	var seed []mockserver.SeedSession
	for _, s := range fixtures.Sessions() {
		seed = append(seed, mockserver.SeedSession{User: s.User, Token: s.Token})
	}
	mock, err := mockserver.New(mockserver.Options{
		Spec:        sp,
		Sessions:    mockserver.SessionMode(c.sessions),
		CORSOrigins: origins,
		Logger:      logger,
		RequestLog:  requestLog,
		Seed:        seed,
		MaxSessions: c.maxSessions,
	})
	var optErr *mockserver.OptionError
	if errors.As(err, &optErr) {
		return usageError{fmt.Errorf("%s %q: want %s", optionFlags[optErr.Option], optErr.Value, optErr.Want)}
	}
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(c.host, c.port))
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (is another mock or Prism already running? try --port)", net.JoinHostPort(c.host, c.port), err)
	}
	ln = netutil.LimitListener(ln, c.maxConns)
	srv := mockserver.NewHTTPServer(ln.Addr().String(), mock)
	srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	cors := "every origin (echoed)"
	if len(origins) > 0 {
		cors = strings.Join(origins, ", ")
	}
	logger.Info("revoke-mock ready", "url", "http://"+ln.Addr().String(), "spec", sp.Source, "sessions", c.sessions, "cors", cors,
		"max_sessions", c.maxSessions, "max_conns", c.maxConns)
	_ = logOut.Flush() // the ready line is what scripts wait for

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
