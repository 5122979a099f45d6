package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/contract/runner"
	"github.com/flashback/revoke-contract/internal/shell"
	"github.com/flashback/revoke-contract/internal/testkit"
)

// TestNoSecretInAnyOutput runs the revoke-mock and revoke-contract
// binaries as users do, with every output on (-v, JUnit, JSON, HTML, the
// mock's JSON log), against the mock in mode issued (the run conforms) and
// in mode lazy (it fails, so the reports carry reproducers, lookalike tokens
// included). The token command records every token it hands out, and an
// extra --header carries a known secret. Then every byte the binaries
// wrote is searched for each secret in raw, URL-encoded, base64 and
// JSON-escaped form, and for any 12 characters in a row of a token: none
// may appear.
func TestNoSecretInAnyOutput(t *testing.T) {
	bins, err := runner.Build()
	if err != nil {
		t.Fatal(err)
	}
	const headerSecret = "api-key-Zx81Qv03Lm77Rt55"
	for _, mode := range []string{"issued", "lazy"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			mockLog := filepath.Join(dir, "mock.log")
			mock := startMockProcess(t, bins.Mock, mockLog, "--sessions", mode, "--log-format", "json")
			base := mock.URL
			tokens := filepath.Join(dir, "tokens.txt")
			cmd := `tok=$(` + shell.Quote(bins.Mock) + ` token --url "$CONTRACT_BASE_URL" --user "$CONTRACT_USER") && printf '%s\n' "$tok" >> ` + shell.Quote(tokens) + ` && printf '%s\n' "$tok"`
			res, err := runner.Run(context.Background(), runner.Options{BaseURL: base, TokenCmd: cmd, Strict: true, HTML: true,
				Args: []string{"-v", "--header", "X-Api-Key: " + headerSecret}})
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]int{"issued": 0, "lazy": 1}[mode]; res.ExitCode != want {
				t.Fatalf("exit %d against the mock in mode %s, want %d:\n%s", res.ExitCode, mode, want, res.Failures())
			}
			journal := fetchJournal(t, base)
			mock.Stop()
			logged, err := os.ReadFile(mockLog)
			if err != nil {
				t.Fatal(err)
			}
			handed, err := os.ReadFile(tokens)
			if err != nil {
				t.Fatal(err)
			}
			secrets := strings.Fields(string(handed))
			if len(secrets) < 50 {
				t.Fatalf("the token command handed out %d tokens; a run takes some 75", len(secrets))
			}
			outputs := map[string]string{"revoke-contract output": res.Output, "JUnit report": res.JUnit, "JSON report": res.JSON, "HTML report": res.HTML, "revoke-mock log": string(logged), "revoke-mock journal": journal}
			if mode == "lazy" && (!strings.Contains(res.Output, "$TOKEN") || !strings.Contains(res.Output, "$HEADER_X_API_KEY") || !strings.Contains(res.JSON, "${TOKEN") || !strings.Contains(res.HTML, "$HEADER_X_API_KEY")) {
				t.Errorf("the failing run's reports show no placeholder: the search below would prove nothing")
			}
			for _, secret := range append(secrets, headerSecret) {
				for what, text := range outputs {
					for _, form := range secretForms(secret) {
						if strings.Contains(text, form) {
							t.Errorf("%s contains a secret (as %q form)", what, formName(secret, form))
						}
					}
					if secret != headerSecret {
						for i := 0; i+12 <= len(secret); i++ {
							if strings.Contains(text, secret[i:i+12]) {
								t.Errorf("%s contains 12 characters in a row of a token (from character %d)", what, i+1)
								break
							}
						}
					}
				}
			}
		})
	}
}

// fetchJournal is the mock's request journal (GET /__mock/requests), every
// request it kept.
func fetchJournal(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/__mock/requests?limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 || !strings.Contains(string(data), "revoke-all") {
		t.Fatalf("the journal: %d %v %.200s", resp.StatusCode, err, data)
	}
	return string(data)
}

func secretForms(s string) []string {
	j, _ := json.Marshal(s)
	return []string{s, url.QueryEscape(s), url.PathEscape(s), strings.Trim(string(j), `"`), strings.ReplaceAll(s, "/", `\/`),
		base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s))}
}

func formName(secret, form string) string {
	switch form {
	case secret:
		return "raw"
	case base64.StdEncoding.EncodeToString([]byte(secret)), base64.RawURLEncoding.EncodeToString([]byte(secret)):
		return "base64"
	}
	return "escaped"
}

// startMockProcess runs the revoke-mock binary on a free port, its output
// in logPath, and returns it once it says it is ready (Process.URL); it is
// stopped at the end of the test, or earlier by its Stop, after which the
// log is complete.
func startMockProcess(t *testing.T, bin, logPath string, args ...string) *testkit.Process {
	t.Helper()
	return testkit.Start(t, testkit.Options{Argv: testkit.MockArgv(bin, args...), LogPath: logPath})
}
