package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// cli runs revoke-mock with args and returns its exit status, stdout and
// stderr.
func cli(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestScenarioSubcommands drives a mock started with --control-token
// through `revoke-mock scenario ...` and checks the mock's answers.
func TestScenarioSubcommands(t *testing.T) {
	const secret = "ctl-s3cret"
	base, out, _, _ := serve(t, "--control-token", secret, "--sessions", "issued")
	ctl := []string{"--url", base, "--control-token", secret}

	code, _, errOut := cli(append([]string{"scenario", "list", "--url", base}, "--control-token", "wrong")...)
	if code != 1 || !strings.Contains(errOut, "Control token required") || strings.Contains(errOut, secret) {
		t.Fatalf("list with a wrong control token: exit %d, %q", code, errOut)
	}
	code, tokOut, errOut := cli(append([]string{"token", "--user", "alice"}, ctl...)...)
	if code != 0 {
		t.Fatalf("token with --control-token: exit %d, %s", code, errOut)
	}
	token := strings.TrimSpace(tokOut)

	code, idOut, errOut := cli(append([]string{"scenario", "add", "--operation", "post__sessions_revoke-all", "--status", "500", "--example", "server_error", "--times", "1", "--header", "X-Developer: ann"}, ctl...)...)
	id := strings.TrimSpace(idOut)
	if code != 0 || !strings.HasPrefix(id, "sc-") {
		t.Fatalf("scenario add: exit %d, %q, %s", code, idOut, errOut)
	}
	code, table, _ := cli(append([]string{"scenario", "list"}, ctl...)...)
	if code != 0 || !strings.Contains(table, id+"  ") || !strings.Contains(table, "POST /sessions/revoke-all") || !strings.Contains(table, "X-Developer: ann") {
		t.Fatalf("scenario list: exit %d:\n%s", code, table)
	}

	req := newReq(t, http.MethodPost, base+"/sessions/revoke-all", "Bearer "+token)
	req.Header.Set("X-Developer", "ann")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || resp.Header.Get("Mock-Scenario") != id {
		t.Fatalf("revoke-all after scenario add: %d, Mock-Scenario %q; want 500 by %s", resp.StatusCode, resp.Header.Get("Mock-Scenario"), id)
	}

	code, _, errOut = cli(append([]string{"scenario", "add", "--method", "POST", "--path", "/sessions/revoke-all", "--status", "404"}, ctl...)...)
	if code != 1 || !strings.Contains(errOut, "status") || !strings.Contains(errOut, "available: 200, 401, 500") {
		t.Fatalf("scenario add --status 404: exit %d, %q; want 1 and the documented codes", code, errOut)
	}
	_, id2, _ := cli(append([]string{"scenario", "add", "--operation", "post__sessions_revoke-all", "--fault", "reset", "--delay", "1s"}, ctl...)...)
	_, id3, _ := cli(append([]string{"scenario", "add", "--operation", "post__sessions_revoke-all", "--user", "bob"}, ctl...)...)
	if code, _, errOut := cli(append([]string{"scenario", "delete", strings.TrimSpace(id2)}, ctl...)...); code != 0 {
		t.Fatalf("scenario delete: exit %d, %s", code, errOut)
	}
	if code, _, errOut := cli(append([]string{"scenario", "delete", strings.TrimSpace(id2)}, ctl...)...); code != 1 || !strings.Contains(errOut, "No such scenario") {
		t.Fatalf("scenario delete twice: exit %d, %s", code, errOut)
	}
	_, js, _ := cli(append([]string{"scenario", "list", "--json"}, ctl...)...)
	var v struct{ Scenarios []struct{ ID string } }
	if err := json.Unmarshal([]byte(js), &v); err != nil || len(v.Scenarios) != 1 || v.Scenarios[0].ID != strings.TrimSpace(id3) {
		t.Fatalf("scenario list --json: %v, %s; want only %s", err, js, id3)
	}
	if code, _, errOut := cli(append([]string{"scenario", "clear"}, ctl...)...); code != 0 {
		t.Fatalf("scenario clear: exit %d, %s", code, errOut)
	}
	if _, js, _ := cli(append([]string{"scenario", "list", "--json"}, ctl...)...); !strings.Contains(js, `"scenarios":[]`) {
		t.Fatalf("after clear: %s", js)
	}
	// The log is flushed every 100 ms: wait for the line.
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "decision=\"scenario "+id) {
		if time.Now().After(deadline) {
			t.Fatalf("no log line names %s:\n%s", id, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if strings.Contains(out.String(), secret) || strings.Contains(out.String(), token) {
		t.Fatalf("the log shows the control token or a session token:\n%s", out)
	}
}

func TestLatencyAndJournalFlags(t *testing.T) {
	base, out, _, _ := serve(t, "--latency", "1ms..2ms", "--journal-size", "0")
	if !strings.Contains(out.String(), "latency=1ms..2ms") {
		t.Errorf("the ready line does not show the latency: %s", out)
	}
	resp, err := http.Get(base + "/__mock/requests")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("--journal-size 0: GET /__mock/requests answered %d, want 404 (no journal)", resp.StatusCode)
	}
	t.Setenv("REVOKE_MOCK_JOURNAL_SIZE", "2")
	t.Setenv("REVOKE_MOCK_LATENCY", "soon")
	if code, _, errOut := cli(); code != 2 || !strings.Contains(errOut, "--latency") {
		t.Errorf("REVOKE_MOCK_LATENCY=soon: exit %d, %q", code, errOut)
	}
}
