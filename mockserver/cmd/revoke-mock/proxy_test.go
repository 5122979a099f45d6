package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/internal/testkit"
)

// startProxy runs `revoke-mock proxy ARGS` on a free port and returns its URL and stdout.
func startProxy(t *testing.T, args ...string) (string, *testkit.Buffer) {
	t.Helper()
	base, out, _, _ := serve(t, append([]string{"proxy"}, args...)...)
	return base, out
}

func TestProxySubcommandInFrontOfTheMock(t *testing.T) {
	mock, _, _, _ := serve(t, "--sessions", "off")
	t.Setenv("REVOKE_MOCK_UPSTREAM", mock) // the environment names the upstream
	proxy, out := startProxy(t, "--log-format", "json", "--errors")
	const token = "proxy-cli-secret-token-42"
	req, _ := http.NewRequest(http.MethodPost, proxy+"/sessions/revoke-all", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `{"success":true,"message":"All sessions revoked successfully"}` || resp.Header.Get("Revoke-Mock-Violations") != "" {
		t.Errorf("through the proxy: %d %s %v", resp.StatusCode, body, resp.Header)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), `"upstream_status":200`) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out.String(), `"upstream_status":200`) || !strings.Contains(out.String(), `"errors":true`) {
		t.Errorf("want the ready line with errors=true and a JSON request line with upstream_status 200:\n%s", out)
	}
	if strings.Contains(out.String(), token) {
		t.Errorf("the token was logged:\n%s", out)
	}
}

func TestProxyBadFlagsAreUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		says string
	}{
		{nil, "--upstream URL"},
		{[]string{"--upstream", "staging.example.com"}, "want an http:// or https:// URL"},
		{[]string{"--upstream", "ftp://x"}, "want an http:// or https:// URL"},
		{[]string{"--upstream", "http://x/?token=abc"}, "no query"},
		{[]string{"--upstream", "http://x", "--port", "x"}, "--port"},
		{[]string{"--upstream", "http://x", "--log-format", "xml"}, "--log-format"},
		{[]string{"--upstream", "http://x", "--upstream-timeout", "soon"}, "--upstream-timeout"},
		{[]string{"--upstream", "http://x", "--upstream-ca", filepath.Join(t.TempDir(), "none.pem")}, "--upstream-ca"},
		{[]string{"--upstream", "http://x", "--cors-origins", "not an origin"}, "--cors-origins"},
		{[]string{"--upstream", "http://x", "extra"}, "unexpected argument"},
	} {
		var errOut strings.Builder
		code := run(context.Background(), append([]string{"proxy", "--port", "0"}, c.args...), io.Discard, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), c.says) || strings.Contains(errOut.String(), "token=abc") {
			t.Errorf("proxy %q: exit %d, %q; want 2 saying %q", c.args, code, errOut.String(), c.says)
		}
	}
	t.Setenv("REVOKE_MOCK_ERRORS", "maybe")
	var errOut strings.Builder
	if code := run(context.Background(), []string{"proxy", "--upstream", "http://x"}, io.Discard, &errOut); code != 2 || !strings.Contains(errOut.String(), "REVOKE_MOCK_ERRORS") {
		t.Errorf("REVOKE_MOCK_ERRORS=maybe: exit %d, %q", code, errOut.String())
	}
}
