package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/flashback/revoke-contract/contract/runner"
)

// TestSuiteThroughTheProxy runs the whole contract suite, strict, through
// revoke-mock proxy in front of the mock, both as binaries: every rule's
// requests (hostile ones included: other schemes, malformed tokens, large
// bodies, other methods, a trailing slash) and the mock's answers must pass
// the proxy unchanged, or some rule would fail. The proxy must report no
// violation on the mock's answers, and no token may appear in its log or
// its journal.
func TestSuiteThroughTheProxy(t *testing.T) {
	t.Parallel()
	bins, err := runner.Build()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mockProc := startMockProcess(t, bins.Mock, filepath.Join(dir, "mock.log"), "--sessions", "issued", "--log-format", "json")
	mock := mockProc.URL
	proxyLog := filepath.Join(dir, "proxy.log")
	proxyProc := startMockProcess(t, bins.Mock, proxyLog, "proxy", "--upstream", mock, "--log-format", "json")
	proxy := proxyProc.URL
	// Sessions are minted at the mock (the proxy owns /__mock/), one POST
	// each, through a recorder that keeps every token handed out.
	var mu sync.Mutex
	var secrets []string
	minter := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Post(mock+"/__mock/sessions", "application/json", r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		var minted struct{ Token string }
		if json.Unmarshal(data, &minted) == nil && minted.Token != "" {
			mu.Lock()
			secrets = append(secrets, minted.Token)
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(data)
	}))
	res, err := runner.Run(context.Background(), runner.Options{BaseURL: proxy, TokenURL: minter + "/", Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("the strict suite through the proxy: exit %d, want 0 (as against the mock directly):\n%s", res.ExitCode, res.Failures())
	}
	journal := fetchJournal(t, proxy)
	proxyProc.Stop()
	mockProc.Stop()
	logged, err := os.ReadFile(proxyLog)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the proxy logged %d requests with violations (request violations are allowed: the suite sends broken requests on purpose)", strings.Count(string(logged), `"violations":`))
	for _, line := range strings.Split(string(logged), "\n") {
		if strings.Contains(line, `\"source\":\"response\"`) {
			t.Errorf("the proxy reports a violation on the mock's answer: %s", line)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(secrets) < 50 {
		t.Fatalf("the token command handed out %d tokens; a run takes some 75", len(secrets))
	}
	for _, secret := range secrets {
		for what, text := range map[string]string{"the proxy's log": string(logged), "the proxy's journal": journal} {
			for _, form := range secretForms(secret) {
				if strings.Contains(text, form) {
					t.Errorf("%s contains a token (as %q form)", what, formName(secret, form))
				}
			}
		}
	}
}
