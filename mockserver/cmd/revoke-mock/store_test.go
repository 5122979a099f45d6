package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/internal/redistest"
)

// TestStoreFromEnvironmentWithPassword: REVOKE_MOCK_STORE and
// REVOKE_MOCK_REDIS_PASSWORD reach a Redis that requires a password; the
// ready line and health name the store, never the password. Without the
// password the mock does not start, and says which store refused it.
func TestStoreFromEnvironmentWithPassword(t *testing.T) {
	const pw = "pw-Kq81zzXv"
	srv := redistest.Start(t, false, "--requirepass", pw)
	t.Setenv("REVOKE_MOCK_STORE", srv.URL(0))

	var errOut bytes.Buffer
	if code := run(context.Background(), []string{"--port", "0"}, io.Discard, &errOut); code != 1 || !strings.Contains(errOut.String(), srv.Addr) {
		t.Errorf("without the password: exit %d, %q; want 1 and the store named", code, errOut.String())
	}

	t.Setenv("REVOKE_MOCK_REDIS_PASSWORD", pw)
	// A generous timeout: a loaded CI machine is slow (the default, 2 s,
	// is what users get).
	base, out, _, _ := serve(t, "--store-prefix", "env-test:", "--store-timeout", "30s")
	token := mintOK(t, base, "alice")
	resp, err := http.DefaultClient.Do(newReq(t, "POST", base+"/sessions/revoke-all", "Bearer "+token))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("revoke-all through the Redis store: %d", resp.StatusCode)
	}
	resp, err = http.Get(base + "/__mock/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"kind":"redis"`) || !strings.Contains(string(body), `"prefix":"env-test:"`) {
		t.Errorf("health: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(out.String(), srv.Addr) || strings.Contains(out.String()+string(body), pw) {
		t.Errorf("the log should name the store without its password: %s", out)
	}
}
