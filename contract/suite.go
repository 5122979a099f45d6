package contract

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/flashback/revoke-contract/contract/internal/model"
	"github.com/flashback/revoke-contract/contract/internal/redact"
	"github.com/flashback/revoke-contract/contract/internal/tokens"
	"github.com/flashback/revoke-contract/contract/internal/wire"
	"github.com/flashback/revoke-contract/internal/modroot"
	"github.com/flashback/revoke-contract/mockserver"
	"github.com/flashback/revoke-contract/mockserver/controlclient"
	"github.com/flashback/revoke-contract/spec"
)

// Suite is the rules, declared in the Ginkgo suite being built, with their
// configuration and, once RunSpecs is done, their results.
type Suite struct {
	cfg         *Config // nil: CONTRACT_* variables, read when the suite starts
	mu          sync.Mutex
	records     map[string]*ruleRecord
	summary     *Summary
	started     time.Time
	unreachable string // why the backend could not be reached before any rule
	model       *model.Result
}

// ruleRecord is what a rule's run left that Ginkgo's report does not say:
// its violations, and whether it could not be checked at all.
type ruleRecord struct {
	violations []Violation
	couldNot   string // why the rule could not be checked; "" if it was
	minted     map[string]int
}

// suiteEnv is what every rule uses; built once in BeforeSuite.
type suiteEnv struct {
	cfg      Config
	client   *wire.Client
	recorder *wire.Recorder
	redactor *redact.Redactor
	tokens   *tokens.Source
	schema   *SchemaChecker
}

var (
	registered *Suite
	env        *suiteEnv // what every rule uses; built once in BeforeSuite
)

// Register declares every rule of the catalogue in the Ginkgo suite being
// built, with cfg, or with the CONTRACT_* variables when cfg is nil. Call it
// once per process, before RunSpecs, for example at package level of a
// suite's test file:
//
//	var suite = contract.Register(nil)
//
//	func TestContract(t *testing.T) {
//		RegisterFailHandler(Fail)
//		RunSpecs(t, "revoke-all contract")
//	}
func Register(cfg *Config) *Suite {
	if registered != nil {
		panic("contract: Register called twice: a process runs one suite")
	}
	s := &Suite{cfg: cfg, records: map[string]*ruleRecord{}}
	registered = s
	BeforeSuite(s.setUp)
	ReportAfterSuite("contract summary", s.report)
	// One top-level container, Ordered so that even --randomize-all keeps
	// the cross-cutting rules last (they inspect every exchange of the run),
	// and ContinueOnFailure so that one failed rule does not skip the rest.
	Describe("POST /sessions/revoke-all", Ordered, ContinueOnFailure, func() {
		authRules()
		schemaRules()
		httpRules()
		revocationRules()
		modelRules()
		crossCuttingRules()
	})
	return s
}

// Summary is the run's account of the rules; valid after RunSpecs.
func (s *Suite) Summary() Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.summary == nil {
		return Summary{ExitStatus: ExitCouldNotCheck, SuiteProblems: []string{"the suite did not run"}}
	}
	return *s.summary
}

func (s *Suite) record(id string) *ruleRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.records[id]
	if r == nil {
		r = &ruleRecord{minted: map[string]int{}}
		s.records[id] = r
	}
	return r
}

func (s *Suite) config() (Config, error) {
	if s.cfg != nil {
		return *s.cfg, nil
	}
	return LoadConfig(os.Getenv)
}

func (s *Suite) setUp(ctx SpecContext) {
	s.started = time.Now()
	// Every configuration problem is reported at once, before any request.
	var problems []error
	cfg, err := s.config()
	if err != nil {
		problems = append(problems, err)
	}
	var schema *SchemaChecker
	sp, err := loadSpec(cfg.SpecPath)
	if err == nil {
		schema, err = NewSchemaChecker(sp)
	}
	if err != nil {
		problems = append(problems, fmt.Errorf("CONTRACT_SPEC=%q: %w", cfg.SpecPath, err))
	}
	if len(problems) > 0 {
		Fail("contract: configuration error, no rule was run:\n" + indent(errors.Join(problems...).Error()))
	}

	e := &suiteEnv{cfg: cfg, recorder: &wire.Recorder{}, redactor: &redact.Redactor{}, schema: schema}
	settings, err := clientSettings(cfg)
	if err != nil {
		Fail("contract: configuration error, no rule was run:\n" + indent(err.Error()))
	}
	base := cfg.BaseURL
	if base == nil {
		base = startMock(cfg, sp)
	}
	e.client = wire.NewClient(base, cfg.Timeout, e.redactor, e.recorder)
	e.client.Configure(settings)
	DeferCleanup(e.client.Close)

	if cfg.BaseURL != nil {
		if err := e.client.WaitReachable(ctx, cfg.WaitFor); err != nil {
			s.mu.Lock()
			s.unreachable = err.Error()
			s.mu.Unlock()
			Fail("contract: could not check: " + err.Error())
		}
	}

	httpClient := tokenHTTPClient(cfg, settings)
	var mint tokens.MintFunc
	switch {
	case cfg.TokenCmd != "":
		wd, _ := os.Getwd()
		mint = tokens.CommandMinter(cfg.TokenCmd, modroot.Find(wd), base.String(), max(30*time.Second, 3*cfg.Timeout), e.redactor)
	case cfg.TokenURL != nil:
		mint = tokens.URLMinter(cfg.TokenURL.String(), httpClient)
	case cfg.BaseURL == nil && cfg.StaticToken == "":
		mint = tokens.URLMinter(base.String()+controlclient.SessionsPath, httpClient)
	}
	e.tokens = tokens.New(mint, cfg.StaticToken, e.redactor)
	e.tokens.SetBudget(cfg.SessionsPerUser)
	env = e
	fmt.Fprintf(GinkgoWriter, "contract: %s\n", cfg)
}

// tokenHTTPClient is the client of CONTRACT_TOKEN_URL: the backend's TLS
// settings, and the --header values, which a token endpoint behind the
// same gateway needs as much as the backend does (an API key; a mock
// started with --control-token takes "Mock-Control-Token: ...").
func tokenHTTPClient(cfg Config, settings wire.Settings) *http.Client {
	return &http.Client{Timeout: cfg.Timeout, Transport: headerTransport{headers: cfg.Headers, next: &http.Transport{
		Proxy: http.ProxyFromEnvironment, TLSClientConfig: &tls.Config{RootCAs: settings.RootCAs, Certificates: settings.Certificates}}}}
}

// headerTransport adds headers the request does not set.
type headerTransport struct {
	headers [][2]string
	next    http.RoundTripper
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if len(t.headers) > 0 {
		r = r.Clone(r.Context())
		for _, h := range t.headers {
			if r.Header.Get(h[0]) == "" {
				r.Header.Set(h[0], h[1])
			}
		}
	}
	return t.next.RoundTrip(r)
}

// rateLimitWait is how long the client waits, per request, on a backend
// that answers 429 before the rule is recorded as could not check.
const rateLimitWait = 2 * time.Minute

// clientSettings reads the TLS files and the extra headers of cfg.
func clientSettings(cfg Config) (wire.Settings, error) {
	st := wire.Settings{Headers: cfg.Headers, RateLimitWait: rateLimitWait}
	if cfg.CACert != "" {
		pem, err := os.ReadFile(cfg.CACert)
		if err != nil {
			return st, fmt.Errorf("CA certificate: %w", err)
		}
		st.RootCAs = x509.NewCertPool()
		if !st.RootCAs.AppendCertsFromPEM(pem) {
			return st, fmt.Errorf("CA certificate %s: no PEM certificate in it", cfg.CACert)
		}
	}
	if cfg.ClientCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.ClientCert, cfg.ClientKey)
		if err != nil {
			return st, fmt.Errorf("client certificate %s and key %s: %w", cfg.ClientCert, cfg.ClientKey, err)
		}
		st.Certificates = []tls.Certificate{cert}
	}
	return st, nil
}

func loadSpec(path string) (*spec.Spec, error) {
	if path == "" {
		return spec.Embedded()
	}
	return spec.LoadFile(path)
}

// startMock serves the mock in-process on a loopback port, with sessions
// issued by its control API (or the static token, seeded).
func startMock(cfg Config, s *spec.Spec) *url.URL {
	opts := mockserver.Options{Sessions: mockserver.SessionsIssued, Spec: s}
	if cfg.StaticToken != "" {
		opts.Seed = []mockserver.SeedSession{{User: Primary, Token: cfg.StaticToken}}
	}
	mock, err := mockserver.New(opts)
	Expect(err).NotTo(HaveOccurred(), "starting the in-process mock")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred(), "listening on 127.0.0.1")
	srv := mockserver.NewHTTPServer(ln.Addr().String(), mock)
	go func() { _ = srv.Serve(ln) }()
	DeferCleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	u, err := parseBaseURL("http://" + ln.Addr().String())
	Expect(err).NotTo(HaveOccurred())
	return u
}

// report turns Ginkgo's report into the summary, printed even when specs
// fail, and writes the reports asked for (CONTRACT_JUNIT in addition to
// Ginkgo's own --junit-report).
func (s *Suite) report(report Report) {
	cfg, _ := s.config()
	sum := Summarize(report, cfg.Strict)
	s.mu.Lock()
	for i := range sum.Results {
		if rec := s.records[sum.Results[i].Rule.ID]; rec != nil && rec.couldNot != "" {
			sum.Results[i].State, sum.Results[i].Reason = OutcomeCouldNotCheck, rec.couldNot
		}
	}
	s.mu.Unlock()
	switch {
	case s.unreachable != "":
		sum.CouldNotCheck = "the backend was not reachable before any rule ran: " + s.unreachable
	case env != nil && env.tokens.NeverMinted():
		sum.CouldNotCheck = "the token source never produced a token (see the rules that could not be checked)"
	}
	if env != nil {
		sum.SessionsMinted = env.tokens.Minted()
	}
	s.mu.Lock()
	if s.model != nil {
		sum.Model = s.model.Summary()
		if env != nil && env.cfg.SeedRandom {
			sum.Model += fmt.Sprintf(" (seed drawn at random: --seed %d runs the same history again)", s.model.Seed)
		}
		sum.Inferred = s.model.Inferred
	}
	s.mu.Unlock()
	sum.settleExit()
	var reportErrs []error
	if cfg.JUnitPath != "" {
		if err := sum.WriteJUnit(report, cfg.JUnitPath); err != nil {
			reportErrs = append(reportErrs, err)
		}
	}
	if cfg.JSONPath != "" || cfg.HTMLPath != "" {
		// Written after the JUnit report, so that its exit status is final;
		// the HTML report is the JSON one rendered, after it.
		s.mu.Lock()
		j := buildJSONReport(cfg, sum, s.records, s.started, s.model)
		s.mu.Unlock()
		for _, out := range []struct {
			key, path string
			write     func(JSONReport, string) error
		}{{"JSON", cfg.JSONPath, writeJSONReport}, {"HTML", cfg.HTMLPath, writeHTMLReport}} {
			if out.path == "" {
				continue
			}
			if err := out.write(j, out.path); err != nil {
				err = fmt.Errorf("contract: writing CONTRACT_%s=%s: %w", out.key, out.path, err)
				sum.SuiteProblems = append(sum.SuiteProblems, err.Error())
				sum.settleExit()
				reportErrs = append(reportErrs, err)
				j.SuiteProblems, j.ExitStatus, j.Verdict = append([]string{}, sum.SuiteProblems...), sum.ExitStatus, verdictOf(sum.ExitStatus)
			}
		}
	}
	fmt.Fprintf(os.Stdout, "%s", sum)
	if env != nil {
		fmt.Fprintf(os.Stdout, "%s\n", env.cfg)
	}
	for _, p := range []struct{ name, path string }{{"JUnit", cfg.JUnitPath}, {"JSON", cfg.JSONPath}, {"HTML", cfg.HTMLPath}} {
		if p.path != "" {
			fmt.Fprintf(os.Stdout, "%s report: %s\n", p.name, p.path)
		}
	}
	s.mu.Lock()
	s.summary = &sum
	s.mu.Unlock()
	if len(reportErrs) > 0 {
		Fail(errors.Join(reportErrs...).Error())
	}
}
