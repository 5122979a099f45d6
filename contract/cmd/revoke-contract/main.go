// Command revoke-contract checks a backend's POST /sessions/revoke-all
// against the contract: the rules of contract/RULES.md, the spec embedded
// in the binary. It needs no source tree and no Go toolchain.
//
//	revoke-contract --base-url URL (--token-cmd CMD | --token-url URL | --token T) [flags]
//	revoke-contract rules [--json]
//	revoke-contract diff [--json] OLD NEW    (files, or git:REV:PATH)
//	revoke-contract --version
//
// Every flag can also be set as its CONTRACT_* variable (--base-url as
// CONTRACT_BASE_URL); a flag on the command line wins. The exit status is a
// stable interface: 0 conforms, 1 a rule failed, 2 usage or configuration
// error, 3 could not check (contract/REPORT.md).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/flashback/revoke-contract/contract"
	"github.com/flashback/revoke-contract/contract/internal/model"
	"github.com/flashback/revoke-contract/internal/version"
	"github.com/flashback/revoke-contract/spec"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "rules":
			return rules(args[1:], stdout, stderr)
		case "diff":
			return specDiff(args[1:], stdout, stderr)
		case "schema":
			_, _ = stdout.Write(contract.ReportSchema)
			return contract.ExitConforms
		}
	}
	cfg, opts, err := parse(args, stdout, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return contract.ExitConforms
	case err != nil:
		fmt.Fprintf(stderr, "revoke-contract: %v\n(revoke-contract --help shows every flag)\n", err)
		return contract.ExitUsage
	case opts.version:
		fmt.Fprintf(stdout, "revoke-contract %s\n", version.Of(spec.OpenAPI))
		return contract.ExitConforms
	}
	suite := contract.Register(&cfg)
	gomega.RegisterFailHandler(ginkgo.Fail)
	sc, rc := types.NewDefaultSuiteConfig(), types.NewDefaultReporterConfig()
	sc.LabelFilter = cfg.LabelFilter
	if cfg.Focus != "" {
		sc.FocusStrings = []string{cfg.Focus}
	}
	rc.Verbose = opts.verbose
	rc.NoColor = opts.noColor
	ginkgo.RunSpecs(&testingT{}, "revoke-all contract", sc, rc)
	return suite.Summary().ExitStatus
}

// testingT stands in for *testing.T: the verdict is read from the suite's
// summary, not from here.
type testingT struct{}

func (*testingT) Fail() {}

type options struct {
	verbose, noColor, version bool
}

// headerFlags collects repeated --header values.
type headerFlags []string

func (h *headerFlags) String() string     { return fmt.Sprintf("%d headers", len(*h)) }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// settings lists every configuration key with its flag and help.
var settings = []struct{ key, flag, usage string }{
	{"BASE_URL", "base-url", "the backend under test, e.g. https://staging.example.com (required)"},
	{"TOKEN_CMD", "token-cmd", "shell command that prints the token of a NEW session of $CONTRACT_USER (primary or secondary)"},
	{"TOKEN_URL", "token-url", `instead of a command: an endpoint answering POST {"user": ...} with {"token": ...}`},
	{"TOKEN", "token", "one static token of primary, when nothing can mint sessions (most rules are skipped)"},
	{"TIMEOUT", "timeout", "per-request timeout (default 10s)"},
	{"WAIT_FOR", "wait-for", "wait up to this long for the backend to answer before the first rule (e.g. 30s)"},
	{"SESSIONS_PER_USER", "sessions-per-user", fmt.Sprintf("most sessions the run may create per user (default %d, what every rule needs)", contract.DefaultSessionsPerUser)},
	{"JUNIT", "junit", "write a JUnit XML report to this file"},
	{"JSON", "json", "write the JSON report (contract/REPORT.md) to this file"},
	{"HTML", "html", "write the HTML report (one self-contained page: score, failures with what was sent and came back, curl reproducers) to this file"},
	{"LABEL_FILTER", "label-filter", "run only the rules whose labels match, e.g. 'auth && must' or '!stateful'"},
	{"FOCUS", "focus", "run only the rules whose name matches this regexp, e.g. 'AUTH-00[1-5]'"},
	{"CA_CERT", "ca-cert", "PEM file of the authority that signed the backend's certificate"},
	{"CLIENT_CERT", "client-cert", "PEM client certificate, for backends that require mutual TLS"},
	{"CLIENT_KEY", "client-key", "PEM key of --client-cert"},
	{"SPEC", "spec", "check against this copy of the spec instead of the embedded one"},
	{"SEED", "seed", fmt.Sprintf("the seed of the model's generated history: a number, or random (printed; default %d, the same history on every run)", contract.DefaultSeed)},
	{"STEPS", "steps", fmt.Sprintf("the length of the model's generated history (default %d; a nightly run: 5000)", model.DefaultSteps)},
	{"DURABILITY_WAIT", "durability-wait", fmt.Sprintf("after the history, wait this long and try every revoked session once more (default %s)", contract.DefaultDurabilityWait)},
	{"PROBE", "probe", "an authenticated read-only request of the backend, e.g. 'GET /v1/me', whose 2xx or 401 says whether a token is live"},
}

const usageText = `revoke-contract checks a backend's POST /sessions/revoke-all against its contract.

Usage:
  revoke-contract --base-url URL (--token-cmd CMD | --token-url URL | --token T) [flags]
  revoke-contract rules [--json]     the catalogue of rules
  revoke-contract schema             the JSON Schema of the --json report
  revoke-contract diff OLD NEW       the changes between two versions of the spec (files or git:REV:PATH);
                                     exit 1 when one breaks clients
  revoke-contract --version

Examples:
  # A staging backend; login.sh prints the token of a new session of $CONTRACT_USER.
  revoke-contract --base-url https://staging.example.com --token-cmd './login.sh "$CONTRACT_USER"' \
      --junit contract-junit.xml --json contract.json --html contract.html

  # A backend that starts slowly in CI, behind a private CA and an API gateway.
  revoke-contract --base-url https://api.internal:8443 --wait-for 60s --ca-cert ca.pem \
      --header 'X-Api-Key: ...' --token-url https://api.internal:8443/test/login

  # The stateless rules only, against a mock that keeps no sessions.
  revoke-contract --base-url http://127.0.0.1:4010 --token 'any-token-123' --label-filter '!stateful'

Exit status: 0 conforms, 1 a rule failed (a MUST, or a SHOULD with --strict), 2 usage or
configuration error, 3 could not check (unreachable before any rule, no token ever,
or rules left unchecked and none failed). Every flag is also read from its CONTRACT_*
variable (--base-url from CONTRACT_BASE_URL, --header lines from CONTRACT_HEADERS);
a flag wins. No token or header value is ever printed: reports show $TOKEN and
$HEADER_<NAME>.

Flags:
`

// parse reads the flags and the CONTRACT_* variables into a Config; every
// problem is reported at once.
func parse(args []string, stdout, stderr io.Writer) (contract.Config, options, error) {
	fs := flag.NewFlagSet("revoke-contract", flag.ContinueOnError)
	fs.SetOutput(stderr)
	values := map[string]*string{}
	for _, s := range settings {
		values[s.key] = fs.String(s.flag, "", s.usage)
	}
	strict := fs.Bool("strict", false, "SHOULD rules fail the run too (CONTRACT_STRICT=1)")
	var headers headerFlags
	fs.Var(&headers, "header", "'Name: value' sent with every request (repeatable; a secret, never printed)")
	var o options
	fs.BoolVar(&o.verbose, "v", false, "print every request and answer as the rules run (redacted)")
	fs.BoolVar(&o.noColor, "no-color", os.Getenv("NO_COLOR") != "" || !isTerminal(stdout), "no colours in the output (the default unless the output is a terminal)")
	fs.BoolVar(&o.version, "version", false, "print the version, the commit and the hash of the embedded spec")
	fs.Usage = func() {
		fmt.Fprint(stdout, usageText)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(stderr)
	}
	if err := fs.Parse(args); err != nil {
		return contract.Config{}, o, err
	}
	if fs.NArg() > 0 {
		return contract.Config{}, o, fmt.Errorf("unexpected argument %q (the subcommands are rules and schema)", fs.Arg(0))
	}
	if o.version {
		return contract.Config{}, o, nil
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	flagOf := map[string]string{"STRICT": "strict", "HEADERS": "header"}
	for _, s := range settings {
		flagOf[s.key] = s.flag
	}
	cfg, err := contract.ParseConfig(func(key string) contract.Setting {
		name := flagOf[key]
		if set[name] {
			switch key {
			case "STRICT":
				return contract.Setting{Value: fmt.Sprint(*strict), Name: "--strict"}
			case "HEADERS":
				return contract.Setting{Value: strings.Join(headers, "\n"), Name: "--header"}
			}
			return contract.Setting{Value: *values[key], Name: "--" + name}
		}
		return contract.Setting{Value: os.Getenv("CONTRACT_" + key), Name: "CONTRACT_" + key}
	})
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	if cfg.BaseURL == nil && err == nil {
		errs = append(errs, errors.New("--base-url (or CONTRACT_BASE_URL) is required: the backend to check"))
	}
	if cfg.LabelFilter != "" {
		if _, err := types.ParseLabelFilter(cfg.LabelFilter); err != nil {
			errs = append(errs, fmt.Errorf("--label-filter %q: %v", cfg.LabelFilter, err))
		}
	}
	if cfg.Focus != "" {
		if _, err := regexp.Compile(cfg.Focus); err != nil {
			errs = append(errs, fmt.Errorf("--focus %q: %v", cfg.Focus, err))
		}
	}
	return cfg, o, errors.Join(errs...)
}

// rules prints the catalogue: a table, or JSON.
func rules(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("revoke-contract rules", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the catalogue as JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return contract.ExitConforms
		}
		return contract.ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "revoke-contract rules: unexpected argument %q\n", fs.Arg(0))
		return contract.ExitUsage
	}
	if *asJSON {
		type row struct {
			ID          string         `json:"id"`
			Level       string         `json:"level"`
			Labels      []string       `json:"labels"`
			Requirement string         `json:"requirement"`
			Source      string         `json:"source"`
			Sessions    map[string]int `json:"sessions"`
		}
		var out []row
		for _, r := range contract.Catalogue {
			out = append(out, row{r.ID, string(r.Level), r.Labels(), r.Requirement, r.Source,
				map[string]int{contract.Primary: r.Sessions.Primary, contract.Secondary: r.Sessions.Secondary}})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "revoke-contract rules: %v\n", err)
			return contract.ExitUsage
		}
		return contract.ExitConforms
	}
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLEVEL\tLABELS\tSESSIONS\tREQUIREMENT")
	for _, r := range contract.Catalogue {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d+%d\t%s\n", r.ID, r.Level, strings.Join(r.Labels(), ","), r.Sessions.Primary, r.Sessions.Secondary, r.Requirement)
	}
	_ = tw.Flush()
	return contract.ExitConforms
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
