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
	"github.com/flashback/revoke-contract/mockserver/netlimit"
	"github.com/flashback/revoke-contract/mockserver/redisstore"
	"github.com/flashback/revoke-contract/mockserver/reload"
	"github.com/flashback/revoke-contract/mockserver/reqlog"
	"github.com/flashback/revoke-contract/mockserver/store"
	"github.com/flashback/revoke-contract/spec"
)

type serveConfig struct {
	host, port, specPath, sessions, corsOrigins, logFormat string
	maxSessions, maxConns                                  int
	latency                                                mockserver.Latency
	journalSize                                            int
	controlToken                                           string
	watch                                                  bool
	store, storePrefix                                     string
	storeTimeout                                           time.Duration
}

// DefaultMaxConns caps the connections the mock holds open at once: an idle
// connection costs some 12 KiB, so a flood of them stays under 15 MiB. At
// the cap a new connection is admitted by closing one that does no work
// (a header too slow, else the keep-alive connection idle the longest);
// it waits only while every slot serves a request (docs/reliability.md).
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
	maxConns := fs.String("max-conns", envDefault("max-conns", strconv.Itoa(DefaultMaxConns)), "connections open at once; at the cap a new one closes an idle or too slow one, or waits while all are busy")
	latency := fs.String("latency", envDefault("latency", ""), "delay every request to a spec path: 300ms, or 100ms..800ms (uniform); at most 60s")
	journalSize := fs.String("journal-size", envDefault("journal-size", strconv.Itoa(mockserver.DefaultJournalSize)), "requests kept by GET /__mock/requests (0: no journal)")
	fs.StringVar(&c.controlToken, "control-token", envDefault("control-token", ""), "secret every /__mock/ request must carry (Authorization: Bearer ... or Mock-Control-Token)")
	fs.StringVar(&c.store, "store", envDefault("store", "memory"), "where sessions, revocations, scenarios and the journal live: memory, or redis://host:6379/0 (rediss:// for TLS; password in the URL or REVOKE_MOCK_REDIS_PASSWORD) shared by every replica")
	fs.StringVar(&c.storePrefix, "store-prefix", envDefault("store-prefix", redisstore.DefaultPrefix), "the prefix of every key in Redis (one shared mock per prefix)")
	storeTimeout := fs.String("store-timeout", envDefault("store-timeout", redisstore.DefaultTimeout.String()), "the longest a call to a shared store may take (connecting included); past it the request answers 503")
	watchEnv := envDefault("watch", "false")
	watchDefault, watchEnvErr := strconv.ParseBool(watchEnv)
	fs.BoolVar(&c.watch, "watch", watchDefault, "reload --spec when the file changes (polled; a broken edit keeps the last good spec)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, usageError{errors.New("see the flags above")}
		}
		return c, usageError{err}
	}
	if fs.NArg() > 0 {
		return c, usageError{fmt.Errorf("unexpected argument %q (the subcommands are `token`, `scenario` and `proxy`)", fs.Arg(0))}
	}
	if n, err := strconv.Atoi(c.port); err != nil || n < 0 || n > 65535 {
		return c, usageError{fmt.Errorf("--port %q: want a number from 0 to 65535", c.port)}
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return c, usageError{fmt.Errorf("--log-format %q: want text or json", c.logFormat)}
	}
	var err error
	if watchEnvErr != nil {
		return c, usageError{fmt.Errorf("REVOKE_MOCK_WATCH=%q (--watch): want true or false", watchEnv)}
	}
	if c.watch && c.specPath == "" {
		return c, usageError{errors.New("--watch reloads the file given with --spec; the embedded spec never changes")}
	}
	if c.store != "memory" && !strings.HasPrefix(c.store, "redis://") && !strings.HasPrefix(c.store, "rediss://") {
		return c, usageError{fmt.Errorf("--store %q: want memory, redis://host:port/db or rediss://host:port/db", redactStore(c.store))}
	}
	if c.storeTimeout, err = time.ParseDuration(*storeTimeout); err != nil || c.storeTimeout <= 0 || c.storeTimeout > time.Minute {
		return c, usageError{fmt.Errorf("--store-timeout %q: want a Go duration from 1ms to 1m, such as 2s", *storeTimeout)}
	}
	if c.storePrefix == "" {
		return c, usageError{errors.New(`--store-prefix: want a non-empty prefix, such as "revoke-mock:"`)}
	}
	if c.latency, err = mockserver.ParseLatency(*latency); err != nil {
		return c, usageError{fmt.Errorf("--latency %q: want a Go duration such as 300ms, or a range such as 100ms..800ms, each at most %s", *latency, mockserver.MaxDelay)}
	}
	n, err := strconv.Atoi(*journalSize)
	if err != nil || n < 0 || n > 1_000_000 {
		return c, usageError{fmt.Errorf("--journal-size %q: want a number of requests from 0 (no journal) to 1000000", *journalSize)}
	}
	c.journalSize = n
	if n == 0 {
		c.journalSize = -1 // mockserver: negative is off
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
	var status *reload.Status
	var specStatus func() mockserver.SpecStatus
	if c.watch {
		status = reload.NewStatus(reload.State{Source: sp.Source, SHA256: reload.Hash(sp.Raw), LoadedAt: time.Now().UTC(), Watching: true})
		specStatus = status.Get
	}
	opts := mockserver.Options{
		Spec:         sp,
		Sessions:     mockserver.SessionMode(c.sessions),
		CORSOrigins:  origins,
		Logger:       logger,
		RequestLog:   requestLog,
		Seed:         seed,
		Latency:      c.latency,
		JournalSize:  c.journalSize,
		ControlToken: c.controlToken,
		SpecStatus:   specStatus,
		MaxSessions:  c.maxSessions,
	}
	var limited *netlimit.Listener // set before the first request
	opts.ConnStatus = func() mockserver.ConnStatus { return limited.Stats() }
	storeName := "memory"
	if c.store != "memory" {
		shared, err := openShared(ctx, c, seed, &opts, logger)
		if err != nil {
			return err
		}
		defer shared.Close()
		storeName = shared.Name()
		wctx, stop := context.WithCancel(ctx)
		defer stop()
		go shared.Watch(wctx, redisstore.DefaultInterval)
	}
	mock, err := mockserver.New(opts)
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
	limited = netlimit.NewListener(ln, netlimit.Config{Max: c.maxConns, Logger: logger})
	ln = limited
	var handler http.Handler = mock
	if c.watch {
		handler = watchSpec(ctx, c.specPath, sp, mock, status, logger)
	}
	srv := mockserver.NewHTTPServer(ln.Addr().String(), handler)
	srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	limited.Attach(srv)
	cors := "every origin (echoed)"
	if len(origins) > 0 {
		cors = strings.Join(origins, ", ")
	}
	attrs := []any{"url", "http://" + ln.Addr().String(), "spec", sp.Source, "sessions", c.sessions, "cors", cors,
		"max_sessions", c.maxSessions, "max_conns", c.maxConns, "store", storeName}
	if c.latency != (mockserver.Latency{}) {
		attrs = append(attrs, "latency", c.latency.String())
	}
	if c.controlToken != "" {
		attrs = append(attrs, "control-token", "required") // never the token itself
	}
	if c.watch {
		attrs = append(attrs, "watch", true)
	}
	logger.Info("revoke-mock ready", attrs...)
	_ = logOut.Flush() // the ready line is what scripts wait for

	return serveUntilDone(ctx, srv, ln, logger)
}

// openShared connects to the Redis of --store (an unreachable one is an
// error: the mock does not start) and points opts at it.
func openShared(ctx context.Context, c serveConfig, seed []mockserver.SeedSession, opts *mockserver.Options, logger *slog.Logger) (*redisstore.Store, error) {
	var seeds []store.Seed
	for _, s := range seed {
		seeds = append(seeds, store.Seed(s))
	}
	size := c.journalSize
	if size < 0 {
		size = 0
	}
	shared, err := redisstore.Open(ctx, redisstore.Config{URL: c.store, Password: os.Getenv("REVOKE_MOCK_REDIS_PASSWORD"),
		Prefix: c.storePrefix, Mode: store.Mode(c.sessions), Seed: seeds, JournalSize: size, MaxSessions: c.maxSessions, Timeout: c.storeTimeout,
		OnChange: func(st redisstore.Status) {
			switch {
			case st.Lost:
				logger.Error("the store lost its data: answering 503 until POST /__mock/reset", "store", st.URL, "prefix", st.Prefix, "error", st.Error)
			case !st.OK:
				logger.Warn("the store is unavailable: answering 503 until it is back", "store", st.URL, "prefix", st.Prefix, "error", st.Error)
			default:
				logger.Info("the store is back", "store", st.URL, "prefix", st.Prefix)
			}
		}})
	if err != nil {
		return nil, err
	}
	opts.SessionStore = shared
	opts.Scenarios = shared.Scenarios()
	if j := shared.Journal(); j != nil {
		opts.Journal = j
	}
	opts.StoreStatus = func() mockserver.StoreStatus {
		st := shared.Status()
		return mockserver.StoreStatus{Kind: "redis", URL: st.URL, Prefix: st.Prefix, OK: st.OK, Lost: st.Lost,
			Error: st.Error, ErrorAt: st.ErrorAt, CheckedAt: st.CheckedAt}
	}
	return shared, nil
}

// redactStore hides a password in a --store value for messages.
func redactStore(s string) string {
	if at := strings.LastIndex(s, "@"); at >= 0 {
		if i := strings.Index(s, "://"); i >= 0 && i < at {
			return s[:i+3] + "xxxxx" + s[at:]
		}
	}
	return s
}

// watchInterval is how often --watch looks at the spec file.
const watchInterval = 250 * time.Millisecond

// watchSpec serves mock and, until ctx ends, reloads path when its content
// changes: a valid edit is served from the next request on, sharing the
// mock's sessions, scenarios and journal (requests in flight finish on the
// old spec); an invalid one is logged with its problems (file, line,
// field) and the last good spec keeps serving.
func watchSpec(ctx context.Context, path string, sp *spec.Spec, mock *mockserver.Server, status *reload.Status, logger *slog.Logger) http.Handler {
	h := reload.NewHandler(mock)
	current := mock
	go reload.Watch(ctx, path, watchInterval, reload.Hash(sp.Raw), status, func(data []byte) error {
		next, err := spec.Load(path, data)
		if err == nil {
			var m *mockserver.Server
			if m, err = current.Reload(next); err == nil {
				h.Swap(m)
				current = m
				logger.Info("spec reloaded", "spec", path, "sha256", reload.Hash(data))
				return nil
			}
			err = fmt.Errorf("%s: %w", path, err)
		}
		logger.Warn("spec reload refused; still serving the last good spec", "error", err.Error())
		return err
	})
	return h
}

// serveUntilDone serves ln until ctx ends, then shuts srv down gracefully:
// requests in flight finish (within 10 s), new connections are refused.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, logger *slog.Logger) error {
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
