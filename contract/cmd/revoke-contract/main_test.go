package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/contract"
	"github.com/flashback/revoke-contract/contract/runner"
	"github.com/flashback/revoke-contract/mockserver"
)

func TestMain(m *testing.M) { runner.Main(m) }

// TestFlagsWinOverTheEnvironment: every setting reads its CONTRACT_*
// variable, and a flag on the command line wins.
func TestFlagsWinOverTheEnvironment(t *testing.T) {
	t.Setenv("CONTRACT_BASE_URL", "http://from-env.test")
	t.Setenv("CONTRACT_TIMEOUT", "7s")
	t.Setenv("CONTRACT_STRICT", "1")
	t.Setenv("CONTRACT_HEADERS", "X-From-Env: value-from-env")
	cfg, _, err := parse([]string{"--base-url", "http://from-flag.test", "--header", "X-A: 1", "--header", "X-B: 2"}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL.Host != "from-flag.test" || cfg.Timeout != 7*time.Second || !cfg.Strict {
		t.Errorf("config %+v", cfg)
	}
	if len(cfg.Headers) != 2 || cfg.Headers[1] != [2]string{"X-B", "2"} {
		t.Errorf("headers %v: the flags' headers replace the variable's", cfg.Headers)
	}
	t.Setenv("CONTRACT_HTML", "env.html")
	if cfg, _, err := parse(nil, io.Discard, io.Discard); err != nil || cfg.HTMLPath != "env.html" {
		t.Errorf("CONTRACT_HTML: %q, %v", cfg.HTMLPath, err)
	}
	if cfg, _, err := parse([]string{"--html", "flag.html"}, io.Discard, io.Discard); err != nil || cfg.HTMLPath != "flag.html" {
		t.Errorf("--html over CONTRACT_HTML: %q, %v", cfg.HTMLPath, err)
	}
	cfg, _, err = parse([]string{"--strict=false"}, io.Discard, io.Discard)
	if err != nil || cfg.Strict || cfg.BaseURL.Host != "from-env.test" {
		t.Errorf("--strict=false over CONTRACT_STRICT=1: %+v, %v", cfg, err)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Setenv("CONTRACT_BASE_URL", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--base-url (or CONTRACT_BASE_URL) is required"},
		{[]string{"--base-url", "http://h.test", "--timeout", "soon"}, `--timeout="soon"`},
		{[]string{"--base-url", "http://h.test", "--label-filter", "auth &&"}, "--label-filter"},
		{[]string{"--base-url", "http://h.test", "--focus", "AUTH-(("}, "--focus"},
		{[]string{"--base-url", "http://h.test", "--header", "X-Key"}, "--header"},
		{[]string{"--base-url", "http://h.test", "extra"}, `unexpected argument "extra"`},
	} {
		var stderr bytes.Buffer
		if code := run(tc.args, io.Discard, &stderr); code != contract.ExitUsage || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
	var stdout bytes.Buffer
	if code := run([]string{"--help"}, &stdout, io.Discard); code != 0 || !strings.Contains(stdout.String(), "Examples:") || !strings.Contains(stdout.String(), "-wait-for") {
		t.Errorf("--help: exit %d:\n%s", code, stdout.String())
	}
}

func TestRulesSubcommand(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"rules", "--json"}, &out, io.Discard); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var rows []struct {
		ID       string         `json:"id"`
		Level    string         `json:"level"`
		Sessions map[string]int `json:"sessions"`
	}
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil || len(rows) != len(contract.Catalogue) {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	for i, r := range contract.Catalogue {
		if rows[i].ID != r.ID || rows[i].Level != string(r.Level) || rows[i].Sessions[contract.Primary] != r.Sessions.Primary {
			t.Errorf("row %d: %+v, want %s", i, rows[i], r.ID)
		}
	}
	out.Reset()
	if code := run([]string{"rules"}, &out, io.Discard); code != 0 || strings.Count(out.String(), "\n") != len(contract.Catalogue)+1 {
		t.Errorf("table: exit %d:\n%s", code, out.String())
	}
	out.Reset()
	if code := run([]string{"schema"}, &out, io.Discard); code != 0 || !json.Valid(out.Bytes()) {
		t.Errorf("schema: exit %d", code)
	}
}

// TestRunsFromAnEmptyDirectory: the binary, copied alone into an empty
// folder outside the repository and run there with no Go toolchain on its
// PATH, checks the mock and writes its reports.
func TestRunsFromAnEmptyDirectory(t *testing.T) {
	bins, err := runner.Build()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "revoke-contract")
	data, err := os.ReadFile(bins.Contract)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	mock, err := mockserver.New(mockserver.Options{Sessions: mockserver.SessionsIssued})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mock)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--base-url", srv.URL, "--token-url", srv.URL+"/__mock/sessions", "--strict", "--json", "report.json", "--junit", "junit.xml")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	report, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := contract.ValidateReport(report); err != nil {
		t.Fatalf("the report breaks its schema: %v", err)
	}
	var r contract.JSONReport
	musts := 0
	for _, rule := range contract.Catalogue {
		// The mock's tokens are opaque: the rules only for JWTs are skipped.
		if rule.Level == contract.Must && rule.OnlyWhen == "" {
			musts++
		}
	}
	if err := json.Unmarshal(report, &r); err != nil || r.Verdict != "conforms" || r.Summary.Must.Score != fmt.Sprintf("%d/%d", musts, musts) {
		t.Errorf("report: %+v, %v", r.Summary, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "junit.xml")); err != nil {
		t.Error(err)
	}
}
