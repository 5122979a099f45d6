// Package runner runs the revoke-contract binary against a base URL, as a
// backend team or CI would, from an empty folder, and reads its JUnit and
// JSON reports back (the JSON checked against its schema). The project's
// own tests use it to prove the suite fails broken backends on the right
// rule and passes good ones.
package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/flashback/revoke-contract/contract"
	"github.com/flashback/revoke-contract/internal/modroot"
	"github.com/flashback/revoke-contract/mockserver/controlclient"
)

// Binaries are the programs a run starts: the revoke-contract and
// revoke-mock commands.
type Binaries struct {
	Root     string // module root
	Contract string // go build ./contract/cmd/revoke-contract
	Mock     string // go build ./mockserver/cmd/revoke-mock
}

// BinDirVar names a folder where `make test` has already built the
// binaries (revoke-contract, revoke-mock), so that every test package runs
// the same ones, built once with one configuration.
const BinDirVar = "REVOKE_TEST_BINDIR"

var (
	buildOnce sync.Once
	built     Binaries
	buildErr  error
	builtDir  string // the temporary folder Build compiled into, if any
)

// Build returns the binaries: those in $REVOKE_TEST_BINDIR when it is set,
// else compiled into a temporary folder once per process. They are plain
// `go build` binaries (no -race): subprocesses under test, built like the
// project's other binaries so that they share the build cache.
func Build() (Binaries, error) {
	buildOnce.Do(func() {
		root, err := modroot.FromWorkingDir()
		if err != nil {
			buildErr = err
			return
		}
		built, builtDir, buildErr = build(root, os.Getenv(BinDirVar))
	})
	return built, buildErr
}

// build uses the binaries in binDir, or compiles them into a new temporary
// folder (returned, for the caller to remove) when binDir is "".
func build(root, binDir string) (Binaries, string, error) {
	if binDir != "" {
		b := binariesIn(root, binDir)
		for _, f := range []string{b.Contract, b.Mock} {
			if _, err := os.Stat(f); err != nil {
				return Binaries{}, "", fmt.Errorf("%s=%s: %w (make test builds them there; unset it to build here)", BinDirVar, binDir, err)
			}
		}
		return b, "", nil
	}
	dir, err := os.MkdirTemp("", "contract-runner-")
	if err != nil {
		return Binaries{}, "", err
	}
	b := binariesIn(root, dir)
	args := []string{"build", "-o", dir + string(filepath.Separator), "./contract/cmd/revoke-contract", "./mockserver/cmd/revoke-mock"}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return Binaries{}, "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return b, dir, nil
}

func binariesIn(root, dir string) Binaries {
	return Binaries{Root: root, Contract: filepath.Join(dir, "revoke-contract"), Mock: filepath.Join(dir, "revoke-mock")}
}

// Cleanup removes what Build compiled (some 40 MB in the temporary
// folder), never the binaries of $REVOKE_TEST_BINDIR. Call it once after
// the last Run, from TestMain: a test binary that builds and never cleans
// up leaves a folder behind on every run.
func Cleanup() {
	if builtDir != "" {
		_ = os.RemoveAll(builtDir)
	}
}

// Main is the TestMain of a package whose tests call Build or Run: it runs
// the tests (m.Run, m a *testing.M), removes what Build compiled (Cleanup)
// and exits with the tests' status.
func Main(m interface{ Run() int }) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

// Options say how to run the suite.
type Options struct {
	BaseURL     string
	TokenCmd    string        // --token-cmd
	TokenURL    string        // --token-url
	Mint        bool          // mint at BaseURL's POST /__mock/sessions (--token-url)
	Token       string        // --token
	Strict      bool          // --strict
	Timeout     time.Duration // --timeout; 0: the suite's default
	LabelFilter string        // --label-filter
	Args        []string      // more flags
	Env         []string      // more environment (CONTRACT_* of the caller are cleared)
	HTML        bool          // --html too: Result.HTML holds the page
	Deadline    time.Duration // kill the run after this long; 0: 3 minutes
}

// Result is what a run produced.
type Result struct {
	ExitCode int
	Cases    []Case
	Report   *contract.JSONReport // nil when the run wrote none (a usage error)
	Output   string               // combined stdout and stderr
	JUnit    string               // the raw reports
	JSON     string
	HTML     string // with Options.HTML
	Elapsed  time.Duration
}

// Case is one testcase of the JUnit report.
type Case struct {
	Name     string
	Rule     string // the rule ID in the name, "" for suite-level entries
	Status   string // passed, failed, skipped, pending
	Failure  string
	Findings []string // values of the contract.FindingEntry properties
}

// Run runs revoke-contract once, in an empty folder of its own.
func Run(ctx context.Context, o Options) (Result, error) {
	b, err := Build()
	if err != nil {
		return Result{}, err
	}
	dir, err := os.MkdirTemp("", "contract-run-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	junit, report := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "report.json")

	deadline := o.Deadline
	if deadline == 0 {
		deadline = 3 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()

	args := []string{"--base-url", o.BaseURL, "--junit", junit, "--json", report}
	htmlReport := filepath.Join(dir, "report.html")
	if o.HTML {
		args = append(args, "--html", htmlReport)
	}
	tokenURL := o.TokenURL
	if o.Mint {
		tokenURL = strings.TrimRight(o.BaseURL, "/") + controlclient.SessionsPath
	}
	for _, a := range []struct{ flag, value string }{
		{"--token-url", tokenURL}, {"--token-cmd", o.TokenCmd}, {"--token", o.Token}, {"--label-filter", o.LabelFilter},
	} {
		if a.value != "" {
			args = append(args, a.flag, a.value)
		}
	}
	if o.Strict {
		args = append(args, "--strict")
	}
	if o.Timeout > 0 {
		args = append(args, "--timeout", o.Timeout.String())
	}
	cmd := exec.CommandContext(ctx, b.Contract, append(args, o.Args...)...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), o.Env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	runErr := cmd.Run()
	res := Result{Output: out.String(), Elapsed: time.Since(start), ExitCode: cmd.ProcessState.ExitCode()}
	if ctx.Err() != nil {
		return res, fmt.Errorf("runner: the suite did not end within %v:\n%s", deadline, res.Output)
	}
	var exitErr *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exitErr) {
		return res, fmt.Errorf("runner: %w", runErr)
	}
	if res.ExitCode == contract.ExitUsage {
		return res, nil // refused before any report
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		return res, fmt.Errorf("runner: the suite wrote no JUnit report (%v):\n%s", err, res.Output)
	}
	res.JUnit = string(data)
	if res.Cases, err = ParseJUnit(data); err != nil {
		return res, err
	}
	if data, err = os.ReadFile(report); err != nil {
		return res, fmt.Errorf("runner: the suite wrote no JSON report (%v):\n%s", err, res.Output)
	}
	res.JSON = string(data)
	if err := contract.ValidateReport(data); err != nil {
		return res, fmt.Errorf("runner: the JSON report breaks its schema: %v", err)
	}
	res.Report = new(contract.JSONReport)
	if err := json.Unmarshal(data, res.Report); err != nil {
		return res, fmt.Errorf("runner: the JSON report: %w", err)
	}
	if o.HTML {
		if data, err = os.ReadFile(htmlReport); err != nil {
			return res, fmt.Errorf("runner: the suite wrote no HTML report (%v):\n%s", err, res.Output)
		}
		res.HTML = string(data)
	}
	if res.Report.ExitStatus != res.ExitCode {
		return res, fmt.Errorf("runner: the JSON report says exit %d, the process exited %d", res.Report.ExitStatus, res.ExitCode)
	}
	return res, nil
}

// cleanEnv is the environment without CONTRACT_* from the caller's shell.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CONTRACT_") {
			env = append(env, kv)
		}
	}
	return env
}

type junitXML struct {
	Suites []struct {
		Cases []struct {
			Name    string `xml:"name,attr"`
			Status  string `xml:"status,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped    *struct{} `xml:"skipped"`
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// ParseJUnit reads a Ginkgo JUnit report.
func ParseJUnit(data []byte) ([]Case, error) {
	var doc junitXML
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("runner: the JUnit report does not parse: %w", err)
	}
	var cases []Case
	for _, s := range doc.Suites {
		for _, tc := range s.Cases {
			c := Case{Name: tc.Name, Status: tc.Status, Rule: contract.RuleIDOf(tc.Name)}
			switch {
			case tc.Failure != nil:
				c.Status, c.Failure = "failed", tc.Failure.Message+"\n"+tc.Failure.Text
			case tc.Error != nil:
				c.Status, c.Failure = "failed", tc.Error.Message
			case tc.Skipped != nil && c.Status == "":
				c.Status = "skipped"
			case c.Status == "":
				c.Status = "passed"
			}
			for _, p := range tc.Properties {
				if p.Name == contract.FindingEntry {
					c.Findings = append(c.Findings, p.Value)
				}
			}
			cases = append(cases, c)
		}
	}
	return cases, nil
}

// Rules returns the sorted rule IDs whose cases have the status.
func (r Result) Rules(status string) []string {
	return r.ruleIDs(func(c Case) bool { return c.Status == status })
}

// FindingRules returns the sorted IDs of rules reported as SHOULD findings.
func (r Result) FindingRules() []string {
	return r.ruleIDs(func(c Case) bool { return len(c.Findings) > 0 })
}

func (r Result) ruleIDs(keep func(Case) bool) []string {
	var ids []string
	for _, c := range r.Cases {
		if c.Rule != "" && keep(c) && !slices.Contains(ids, c.Rule) {
			ids = append(ids, c.Rule)
		}
	}
	sort.Strings(ids)
	return ids
}

// Failures renders the failed cases, for a test's error message.
func (r Result) Failures() string {
	var b strings.Builder
	for _, c := range r.Cases {
		if c.Status == "failed" {
			fmt.Fprintf(&b, "--- %s\n%s\n", c.Name, c.Failure)
		}
	}
	return b.String()
}
