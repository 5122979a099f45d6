package contract

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/flashback/revoke-contract/contract/internal/redact"
	"github.com/flashback/revoke-contract/contract/internal/tokens"
	"github.com/flashback/revoke-contract/contract/internal/wire"
	"github.com/flashback/revoke-contract/internal/modroot"
	"github.com/flashback/revoke-contract/mockserver"
	"github.com/flashback/revoke-contract/mockserver/controlclient"
	"github.com/flashback/revoke-contract/spec"
)

// TestContract is the contract suite's entry point. The package's plain
// TestXxx unit tests run beside it and do not read CONTRACT_*.
func TestContract(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "revoke-all contract")
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

var env *suiteEnv

var _ = BeforeSuite(func(ctx SpecContext) {
	// Every configuration problem is reported at once, before any request.
	var problems []error
	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		problems = append(problems, err)
	}
	var schema *SchemaChecker
	s, err := loadSpec(cfg.SpecPath)
	if err == nil {
		schema, err = NewSchemaChecker(s)
	}
	if err != nil {
		problems = append(problems, fmt.Errorf("CONTRACT_SPEC=%q: %w", cfg.SpecPath, err))
	}
	if len(problems) > 0 {
		Fail("contract: configuration error, no rule was run:\n" + indent(errors.Join(problems...).Error()))
	}

	e := &suiteEnv{cfg: cfg, recorder: &wire.Recorder{}, redactor: &redact.Redactor{}, schema: schema}
	base := cfg.BaseURL
	if base == nil {
		base = startMock(cfg, s)
	}
	e.client = wire.NewClient(base, cfg.Timeout, e.redactor, e.recorder)
	DeferCleanup(e.client.Close)

	var mint tokens.MintFunc
	switch {
	case cfg.TokenCmd != "":
		wd, _ := os.Getwd()
		mint = tokens.CommandMinter(cfg.TokenCmd, modroot.Find(wd), base.String(), max(30*time.Second, 3*cfg.Timeout), e.redactor)
	case cfg.TokenURL != nil:
		mint = tokens.URLMinter(cfg.TokenURL.String(), &http.Client{Timeout: cfg.Timeout})
	case cfg.BaseURL == nil && cfg.StaticToken == "":
		mint = tokens.URLMinter(base.String()+controlclient.SessionsPath, &http.Client{Timeout: cfg.Timeout})
	}
	e.tokens = tokens.New(mint, cfg.StaticToken, e.redactor)
	env = e
	fmt.Fprintf(GinkgoWriter, "contract: %s\n", cfg)
})

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

// The summary is printed even when specs fail; CONTRACT_JUNIT is written
// in addition to Ginkgo's own --junit-report.
var _ = ReportAfterSuite("contract summary", func(report Report) {
	cfg, _ := LoadConfig(os.Getenv)
	sum := Summarize(report, cfg.Strict)
	if env != nil {
		sum.SessionsMinted = env.tokens.Minted()
	}
	var junitErr error
	if cfg.JUnitPath != "" {
		junitErr = sum.WriteJUnit(report, cfg.JUnitPath)
	}
	fmt.Fprintf(os.Stdout, "%s", sum)
	if env != nil {
		fmt.Fprintf(os.Stdout, "%s\n", env.cfg)
	}
	switch {
	case junitErr != nil:
		Fail(junitErr.Error())
	case cfg.JUnitPath != "":
		fmt.Fprintf(os.Stdout, "JUnit report: %s\n", cfg.JUnitPath)
	}
})

// One top-level container, Ordered so that even --randomize-all keeps the
// cross-cutting rules last (they inspect every exchange of the run), and
// ContinueOnFailure so that one failed rule does not skip the rest.
var _ = Describe("POST /sessions/revoke-all", Ordered, ContinueOnFailure, func() {
	authRules()
	schemaRules()
	httpRules()
	revocationRules()
	crossCuttingRules()
})
