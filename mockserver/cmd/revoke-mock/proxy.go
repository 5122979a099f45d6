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
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/flashback/revoke-contract/mockserver"
	"github.com/flashback/revoke-contract/mockserver/reqlog"
	"github.com/flashback/revoke-contract/spec"
)

type proxyConfig struct {
	upstream                                  *url.URL
	host, port, specPath, corsOrigins, format string
	caFile                                    string
	errors                                    bool
	timeout                                   time.Duration
	journalSize                               int
}

func parseProxy(args []string, stderr io.Writer) (proxyConfig, error) {
	var c proxyConfig
	fs := flag.NewFlagSet("revoke-mock proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	upstream := fs.String("upstream", envDefault("upstream", ""), "the backend to forward to, e.g. https://staging.example.com (required)")
	fs.StringVar(&c.host, "host", envDefault("host", "127.0.0.1"), "listen address")
	fs.StringVar(&c.port, "port", envDefault("port", "4010"), "listen port")
	fs.StringVar(&c.specPath, "spec", envDefault("spec", ""), "validate against this OpenAPI file instead of the embedded spec/openapi.yaml")
	fs.StringVar(&c.corsOrigins, "cors-origins", envDefault("cors-origins", ""), "comma-separated allowed origins (default: every origin, echoed)")
	fs.StringVar(&c.format, "log-format", envDefault("log-format", "text"), "text or json")
	fs.StringVar(&c.caFile, "upstream-ca", envDefault("upstream-ca", ""), "PEM file of a private CA that signed the upstream's certificate (added to the system's)")
	timeout := fs.String("upstream-timeout", envDefault("upstream-timeout", mockserver.DefaultUpstreamTimeout.String()), "how long to wait for the upstream's answer (its headers)")
	errorsEnv := envDefault("errors", "false")
	errorsDefault, errorsEnvErr := strconv.ParseBool(errorsEnv)
	fs.BoolVar(&c.errors, "errors", errorsDefault, "replace an answer that breaks the contract with a 502 problem naming each violation")
	journalSize := fs.String("journal-size", envDefault("journal-size", strconv.Itoa(mockserver.DefaultJournalSize)), "requests kept by GET /__mock/requests (0: no journal)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, usageError{errors.New("see the flags above")}
		}
		return c, usageError{err}
	}
	if fs.NArg() > 0 {
		return c, usageError{fmt.Errorf("proxy: unexpected argument %q", fs.Arg(0))}
	}
	if errorsEnvErr != nil {
		return c, usageError{fmt.Errorf("REVOKE_MOCK_ERRORS=%q (--errors): want true or false", errorsEnv)}
	}
	if *upstream == "" {
		return c, usageError{errors.New("proxy needs --upstream URL (or REVOKE_MOCK_UPSTREAM), e.g. --upstream https://staging.example.com")}
	}
	u, err := url.Parse(*upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		shown := *upstream
		if err == nil {
			shown = shownURL(u)
		}
		return c, usageError{fmt.Errorf("--upstream %q: want an http:// or https:// URL with a host and no query, e.g. https://staging.example.com or http://127.0.0.1:8080/api", shown)}
	}
	c.upstream = u
	if n, err := strconv.Atoi(c.port); err != nil || n < 0 || n > 65535 {
		return c, usageError{fmt.Errorf("--port %q: want a number from 0 to 65535", c.port)}
	}
	if c.format != "text" && c.format != "json" {
		return c, usageError{fmt.Errorf("--log-format %q: want text or json", c.format)}
	}
	if c.timeout, err = time.ParseDuration(*timeout); err != nil || c.timeout <= 0 || c.timeout > 10*time.Minute {
		return c, usageError{fmt.Errorf("--upstream-timeout %q: want a Go duration from 1ms to 10m, such as 30s", *timeout)}
	}
	n, err := strconv.Atoi(*journalSize)
	if err != nil || n < 0 || n > 1_000_000 {
		return c, usageError{fmt.Errorf("--journal-size %q: want a number of requests from 0 (no journal) to 1000000", *journalSize)}
	}
	c.journalSize = n
	if n == 0 {
		c.journalSize = -1
	}
	return c, nil
}

// runProxy serves the validating proxy until ctx ends.
func runProxy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseProxy(args, stderr)
	if err != nil {
		return err
	}
	var sp *spec.Spec
	if c.specPath != "" {
		sp, err = spec.LoadFile(c.specPath)
	} else {
		sp, err = spec.Embedded()
	}
	if err != nil {
		return err
	}
	transport, err := mockserver.UpstreamTransport(c.caFile, c.timeout)
	if err != nil {
		return usageError{fmt.Errorf("--upstream-ca %q: %w", c.caFile, err)}
	}
	logOut := reqlog.NewWriter(stdout, 100*time.Millisecond)
	defer logOut.Close()
	var logger *slog.Logger
	if c.format == "json" {
		logger = slog.New(slog.NewJSONHandler(logOut, nil))
	} else {
		logger = slog.New(slog.NewTextHandler(logOut, nil))
	}
	var origins []string
	if c.corsOrigins != "" {
		origins = strings.Split(c.corsOrigins, ",")
	}
	proxy, err := mockserver.NewProxy(mockserver.ProxyOptions{Upstream: c.upstream, Spec: sp, CORSOrigins: origins, Errors: c.errors,
		Transport: transport, UpstreamTimeout: c.timeout, Logger: logger, JournalSize: c.journalSize})
	var optErr *mockserver.OptionError
	if errors.As(err, &optErr) {
		return usageError{fmt.Errorf("%s %q: want %s", map[string]string{"CORSOrigins": "--cors-origins", "Upstream": "--upstream"}[optErr.Option], optErr.Value, optErr.Want)}
	}
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(c.host, c.port))
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (is a mock or Prism already running? try --port)", net.JoinHostPort(c.host, c.port), err)
	}
	// No read or write timeout: bodies stream both ways for as long as the
	// upstream takes; the upstream timeout bounds the wait for an answer.
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	logger.Info("revoke-mock proxy ready", "url", "http://"+ln.Addr().String(), "upstream", c.upstream.Redacted(), "spec", sp.Source,
		"errors", c.errors, "upstream_timeout", c.timeout.String())
	_ = logOut.Flush()

	return serveUntilDone(ctx, srv, ln, logger)
}

// shownURL is u as messages may show it: without a password, a query or a
// fragment, where a credential could hide.
func shownURL(u *url.URL) string {
	s := u.Scheme + "://" + u.Host + u.EscapedPath()
	if u.User != nil {
		s = u.Scheme + "://" + u.User.Username() + ":xxxxx@" + u.Host + u.EscapedPath()
	}
	if u.RawQuery != "" || u.ForceQuery {
		s += "?..."
	}
	if u.Fragment != "" {
		s += "#..."
	}
	return s
}
