package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/internal/testkit"
)

// serve starts run() on a free port (--port 0, after the subcommand if args
// begin with one, such as "proxy") and returns its base URL, its stdout, a
// way to stop it and a channel with its exit status.
func serve(t *testing.T, args ...string) (string, *testkit.Buffer, context.CancelFunc, chan int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &testkit.Buffer{}, &testkit.Buffer{}
	done := make(chan int, 1)
	argv := testkit.MockArgv("revoke-mock", args...)[1:]
	go func() { done <- run(ctx, argv, out, errOut) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Errorf("%v did not stop within 15s", argv)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := testkit.ReadyURL.FindStringSubmatch(out.String()); m != nil {
			return m[1] + m[2], out, cancel, done
		}
		select {
		case code := <-done:
			t.Fatalf("%v exited %d before it was ready: %s%s", argv, code, out, errOut)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("%v: no ready line within 10s: %s%s", argv, out, errOut)
	return "", nil, nil, nil
}

func TestServesAndLogsOneJSONLinePerRequestWithoutTokens(t *testing.T) {
	base, out, cancel, done := serve(t, "--log-format", "json", "--sessions", "issued")
	token := mintOK(t, base, "alice")

	for _, req := range []*http.Request{
		newReq(t, "POST", base+"/sessions/revoke-all", "Bearer "+token),
		newReq(t, "POST", base+"/sessions/revoke-all?access_token="+token, ""),
		newReq(t, "POST", base+"/sessions/revoke-all", "Bearer "+token),
		newReq(t, "GET", base+"/__mock/health", ""),
	} {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
	done <- 0 // for the cleanup

	logged := out.String()
	if strings.Contains(logged, token) || strings.Contains(logged, token[:10]) {
		t.Fatalf("the log contains the token:\n%s", logged)
	}
	var requests int
	sc := bufio.NewScanner(strings.NewReader(logged))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("not a JSON line: %s", sc.Text())
		}
		if rec["msg"] != "request" {
			continue
		}
		requests++
		for _, k := range []string{"method", "path", "status", "duration", "decision"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("a request line lacks %s: %s", k, sc.Text())
			}
		}
	}
	if requests != 5 { // the mint and four requests
		t.Errorf("%d request lines for 5 requests:\n%s", requests, logged)
	}
}

func newReq(t *testing.T, method, url, auth string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return req
}

func mintOK(t *testing.T, base, user string) string {
	t.Helper()
	var out bytes.Buffer
	if code := run(context.Background(), []string{"token", "--url", base, "--user", user}, &out, io.Discard); code != 0 {
		t.Fatalf("token: exit %d", code)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 1 || lines[0] == "" {
		t.Fatalf("token must print exactly one line, got %q", out.String())
	}
	return lines[0]
}

func TestTokenSubcommand(t *testing.T) {
	base, _, _, _ := serve(t, "--sessions", "issued")
	token := mintOK(t, base, "alice")
	for i, want := range []int{200, 401} {
		resp, err := http.DefaultClient.Do(newReq(t, "POST", base+"/sessions/revoke-all", "Bearer "+token))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("call %d with the minted token: %d, want %d", i+1, resp.StatusCode, want)
		}
	}

	var errOut bytes.Buffer
	if code := run(context.Background(), []string{"token", "--url", base}, io.Discard, &errOut); code != 2 || !strings.Contains(errOut.String(), "--user") {
		t.Errorf("without --user: exit %d, %q", code, errOut.String())
	}
	closed := "http://" + testkit.FreeAddr(t)
	errOut.Reset()
	if code := run(context.Background(), []string{"token", "--url", closed, "--user", "a"}, io.Discard, &errOut); code != 1 || !strings.Contains(errOut.String(), "is the mock running") {
		t.Errorf("nothing listening: exit %d, %q", code, errOut.String())
	}
}

func TestBadFlagsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--port", "99999"},
		{"--port", "abc"},
		{"--sessions", "nope"},
		{"--log-format", "xml"},
		{"--nope"},
		{"extra"},
		{"--cors-origins", "http://x.test/path"},
		{"--max-sessions", "0"},
		{"--max-conns", "many"},
		{"--watch"},
		{"--watch=maybe", "--spec", "x.yaml"},
		{"--latency", "61s"},
		{"--latency", "300"},
		{"--latency", "800ms..100ms"},
		{"--journal-size", "-1"},
		{"--journal-size", "many"},
		{"scenario"},
		{"scenario", "explode"},
		{"scenario", "add"},
		{"scenario", "delete"},
		{"scenario", "add", "--operation", "x", "--times", "once"},
		{"scenario", "add", "--operation", "x", "--header", "no-colon"},
		{"scenario", "list", "--url", "ftp://x"},
		{"--store", "memcached://127.0.0.1:11211"},
		{"--store", "redis"},
		{"--store-prefix", ""},
		{"--store-timeout", "0s"},
		{"--store-timeout", "soon"},
	} {
		var errOut bytes.Buffer
		if code := run(context.Background(), args, io.Discard, &errOut); code != 2 || errOut.Len() == 0 {
			t.Errorf("%v: exit %d, message %q; want 2 and a message", args, code, errOut.String())
		}
		// A bad value is named as the command line names it.
		if strings.HasPrefix(args[0], "--") && len(args) == 2 && !strings.Contains(errOut.String(), args[0]) {
			t.Errorf("%v: the message %q does not name %s", args, errOut.String(), args[0])
		}
	}
}

func TestBrokenSpecNamesFileAndLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.yaml")
	doc := "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {type: objectt}\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	code := run(context.Background(), []string{"--port", "0", "--spec", path}, io.Discard, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), path) || !strings.Contains(errOut.String(), "line 11") {
		t.Errorf("exit %d, %q: want 1, the file and its line", code, errOut.String())
	}
}

func TestEnvironmentAndFlagPrecedence(t *testing.T) {
	t.Setenv("REVOKE_MOCK_SESSIONS", "issued")
	t.Setenv("REVOKE_MOCK_LOG_FORMAT", "json")
	base, out, _, _ := serve(t)
	resp, err := http.DefaultClient.Do(newReq(t, "POST", base+"/sessions/revoke-all", "Bearer never-minted-token"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("REVOKE_MOCK_SESSIONS=issued: unknown token got %d", resp.StatusCode)
	}
	if !strings.HasPrefix(out.String(), "{") {
		t.Errorf("REVOKE_MOCK_LOG_FORMAT=json: %q", out.String())
	}

	base, _, _, _ = serve(t, "--sessions", "lazy") // the flag wins
	resp, err = http.DefaultClient.Do(newReq(t, "POST", base+"/sessions/revoke-all", "Bearer never-minted-token"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("--sessions lazy over REVOKE_MOCK_SESSIONS=issued: %d, want 200", resp.StatusCode)
	}

	t.Setenv("REVOKE_MOCK_PORT", "not-a-port")
	if code := run(context.Background(), nil, io.Discard, io.Discard); code != 2 {
		t.Errorf("REVOKE_MOCK_PORT=not-a-port: exit %d, want 2", code)
	}
}

// TestGracefulShutdown: a request in flight when SIGTERM arrives (here: the
// context is cancelled) is finished before the mock exits 0.
func TestGracefulShutdown(t *testing.T) {
	base, _, cancel, done := serve(t)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", base+"/sessions/revoke-all", pr)
	req.Header.Set("Authorization", "Bearer in-flight-token")
	req.ContentLength = 8
	type answer struct {
		status int
		err    error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- answer{err: err}
			return
		}
		resp.Body.Close()
		got <- answer{status: resp.StatusCode}
	}()
	if _, err := pw.Write([]byte("{\"a\":")); err != nil { // half the body
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	cancel()
	time.Sleep(100 * time.Millisecond)
	select {
	case code := <-done:
		t.Fatalf("the mock exited (%d) with a request in flight", code)
	default:
	}
	if _, err := pw.Write([]byte("1}\n")); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	a := <-got
	if a.err != nil || a.status != 200 {
		t.Fatalf("the request in flight got %d, %v; want 200", a.status, a.err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after a graceful shutdown", code)
		}
		done <- code
	case <-time.After(10 * time.Second):
		t.Fatal("the mock did not exit after finishing the request")
	}
}

// TestReadyLineTellsThePort: with --port 0 the ready line names the port
// the mock got, in both log formats: startMock (npm/revoke-mock) and
// scripts read it there ("revoke-mock ready", url=...), and the JSON line is
// one object with msg and url.
func TestReadyLineTellsThePort(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			base, out, _, _ := serve(t, "--log-format", format)
			first, _, _ := strings.Cut(out.String(), "\n")
			if !strings.Contains(first, "revoke-mock ready") || !strings.Contains(first, base) {
				t.Fatalf("the first line is not the ready line with the URL %s: %q", base, first)
			}
			if strings.HasSuffix(base, ":0") {
				t.Fatalf("the ready line names port 0, not the port the mock got: %q", first)
			}
			if format == "json" {
				var line struct{ Msg, URL string }
				if err := json.Unmarshal([]byte(first), &line); err != nil || line.Msg != "revoke-mock ready" || line.URL != base {
					t.Fatalf("the JSON ready line %q: %+v, %v", first, line, err)
				}
			}
			resp, err := http.Get(base + "/__mock/health")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s/__mock/health: %d", base, resp.StatusCode)
			}
		})
	}
}
