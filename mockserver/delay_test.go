package mockserver_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/internal/testenv"
	"github.com/flashback/revoke-contract/internal/testkit"
	"github.com/flashback/revoke-contract/mockserver"
)

func TestParseLatency(t *testing.T) {
	for _, c := range []struct {
		in   string
		want mockserver.Latency
		ok   bool
	}{
		{"", mockserver.Latency{}, true},
		{"0", mockserver.Latency{}, true},
		{"300ms", mockserver.Latency{Min: 300 * time.Millisecond}, true},
		{"100ms..800ms", mockserver.Latency{Min: 100 * time.Millisecond, Max: 800 * time.Millisecond}, true},
		{" 1s .. 2s ", mockserver.Latency{Min: time.Second, Max: 2 * time.Second}, true},
		{"60s", mockserver.Latency{Min: time.Minute}, true},
		{"61s", mockserver.Latency{}, false},
		{"300", mockserver.Latency{}, false},
		{"-1s", mockserver.Latency{}, false},
		{"800ms..100ms", mockserver.Latency{}, false},
		{"1s..", mockserver.Latency{}, false},
		{"soon", mockserver.Latency{}, false},
	} {
		got, err := mockserver.ParseLatency(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseLatency(%q) = %v, %v; want %v, ok %v", c.in, got, err, c.want, c.ok)
		}
		var oe *mockserver.OptionError
		if err != nil && (!errors.As(err, &oe) || oe.Option != "Latency") {
			t.Errorf("ParseLatency(%q): error %v is not an OptionError on Latency", c.in, err)
		}
	}
	if _, err := mockserver.New(mockserver.Options{Latency: mockserver.Latency{Min: 2 * time.Minute}}); err == nil {
		t.Error("New accepted a latency of 2 minutes")
	}
}

// waitGoroutines waits (at most 20 s) until want goroutines show fn.
func waitGoroutines(t *testing.T, fn string, want int) {
	t.Helper()
	if !testkit.Poll(20*time.Second, func() bool { return testkit.Goroutines(fn) == want }) {
		t.Fatalf("%d goroutines in %s, want %d", testkit.Goroutines(fn), fn, want)
	}
}

const waitFn = "mockserver.(*Server).wait"

// TestDelayedRequestWhoseClientLeavesStopsWaiting: a request held by
// Prefer: delay=60000 is waiting in the mock; when its client gives up,
// the wait ends and no goroutine is left behind.
func TestDelayedRequestWhoseClientLeavesStopsWaiting(t *testing.T) {
	for _, c := range []struct {
		name   string
		opts   mockserver.Options
		header []string
		setup  string
	}{
		{"Prefer: delay", mockserver.Options{Sessions: mockserver.SessionsOff}, []string{"Prefer", "delay=60000"}, ""},
		{"--latency", mockserver.Options{Sessions: mockserver.SessionsOff, Latency: mockserver.Latency{Min: time.Minute}}, nil, ""},
		{"scenario delay", mockserver.Options{Sessions: mockserver.SessionsOff}, nil, `{"operation":"post__sessions_revoke-all","delay":"60s"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := newMock(t, c.opts)
			if c.setup != "" {
				m.addScenario(c.setup)
			}
			before := testkit.Goroutines(waitFn)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, m.ts.URL+revokeAll, nil)
			req.Header.Set("Authorization", "Bearer any")
			if len(c.header) == 2 {
				req.Header.Set(c.header[0], c.header[1])
			}
			done := make(chan error, 1)
			go func() {
				resp, err := m.ts.Client().Do(req)
				if err == nil {
					resp.Body.Close()
					err = errors.New("answered " + resp.Status)
				}
				done <- err
			}()
			waitGoroutines(t, waitFn, before+1)
			select {
			case err := <-done:
				t.Fatalf("the delayed request ended while the mock was still waiting: %v", err)
			default:
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("client: %v, want its own cancellation", err)
			}
			waitGoroutines(t, waitFn, before)
		})
	}
}

func TestControlAPIIsNeverDelayed(t *testing.T) {
	m := newMock(t, mockserver.Options{Latency: mockserver.Latency{Min: time.Minute}})
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(m.ts.URL + "/__mock/health")
	if err != nil {
		t.Fatalf("health under --latency 60s: %v (the control API must not be delayed)", err)
	}
	resp.Body.Close()
	if testkit.Goroutines(waitFn) != 0 {
		t.Fatal("a control request waited")
	}
}

// TestDelayExtendsTheWriteDeadline: a delay longer than the server's write
// timeout still delivers its answer.
func TestDelayExtendsTheWriteDeadline(t *testing.T) {
	srv, err := mockserver.New(mockserver.Options{Sessions: mockserver.SessionsOff, WriteTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.WriteTimeout = 100 * time.Millisecond
	ts.Start()
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+revokeAll, nil)
	req.Header.Set("Authorization", "Bearer any")
	req.Header.Set("Prefer", "delay=400")
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("a 400 ms delay behind a 100 ms write timeout: %v, want the answer", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != string(mustBody(t, "200", "success")) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

func TestBadDelayPreferences(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsOff})
	for _, v := range []string{"delay=60001", "delay=abc", "delay=1.5s", "delay=-1", "delay"} {
		res := m.revoke("any", "Prefer", v)
		if res.status != 400 || !strings.HasPrefix(res.header.Get("Content-Type"), problemJSON) || !strings.Contains(string(res.body), "delay") {
			t.Errorf("Prefer: %s: %d %s, want a 400 problem about delay", v, res.status, res.body)
		}
	}
	if res := m.revoke("any", "Prefer", "delay=0"); res.status != 200 {
		t.Errorf("Prefer: delay=0: %d", res.status)
	}
}

// post sends POST revoke-all through a Go client and returns its error.
func post(t *testing.T, client *http.Client, url string) (*http.Response, []byte, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+revokeAll, nil)
	req.Header.Set("Authorization", "Bearer any")
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// TestFaultsSeenByAGoClient: each fault as net/http's client reports it.
func TestFaultsSeenByAGoClient(t *testing.T) {
	for _, c := range []struct {
		fault string
		check func(err error) bool
		want  string
	}{
		{"reset", func(err error) bool { return errors.Is(err, syscall.ECONNRESET) }, "connection reset by peer"},
		{"close", func(err error) bool { return errors.Is(err, io.EOF) }, "EOF before any answer"},
		{"malformed", func(err error) bool { return err != nil && strings.Contains(err.Error(), "malformed HTTP") }, "malformed HTTP response"},
	} {
		t.Run(c.fault, func(t *testing.T) {
			m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsOff})
			m.addScenario(`{"operation":"post__sessions_revoke-all","fault":"` + c.fault + `","times":1}`)
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
			resp, _, err := post(t, client, m.ts.URL)
			if err == nil {
				t.Fatalf("answered %d", resp.StatusCode)
			}
			if !c.check(err) {
				t.Fatalf("client error %v, want %s", err, c.want)
			}
			if res := m.revoke("any"); res.status != 200 {
				t.Fatalf("after the fault: %d", res.status)
			}
		})
	}
}

func TestHangEndsWhenTheClientGivesUpOrAtTheWriteTimeout(t *testing.T) {
	const hangFn = "mockserver.(*Server).hang"
	t.Run("client gives up", func(t *testing.T) {
		m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsOff})
		m.addScenario(`{"operation":"post__sessions_revoke-all","fault":"hang"}`)
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, m.ts.URL+revokeAll, nil)
		req.Header.Set("Authorization", "Bearer any")
		done := make(chan error, 1)
		go func() {
			resp, err := m.ts.Client().Do(req)
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
		waitGoroutines(t, hangFn, 1)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("client: %v", err)
		}
		waitGoroutines(t, hangFn, 0)
	})
	t.Run("capped at the write timeout", func(t *testing.T) {
		m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsOff, WriteTimeout: 200 * time.Millisecond})
		m.addScenario(`{"operation":"post__sessions_revoke-all","fault":"hang"}`)
		client := &http.Client{Timeout: 30 * time.Second}
		if _, _, err := post(t, client, m.ts.URL); !errors.Is(err, io.EOF) {
			t.Fatalf("a hang capped at 200 ms seen by a client that waits 30 s: %v, want EOF (closed without an answer)", err)
		}
	})
}

// TestDripSendsTheAnswerInPieces: the headers come at once, the body a few
// bytes at a time; a client that waits gets the documented answer whole.
func TestDripSendsTheAnswerInPieces(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsOff})
	m.addScenario(`{"operation":"post__sessions_revoke-all","fault":"drip","delay":"30s","times":1}`)
	conn, err := net.Dial("tcp", m.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, "POST "+revokeAll+" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer any\r\nContent-Length: 0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the drip's headers: %v", err)
	}
	want := mustBody(t, "200", "success")
	if resp.StatusCode != 200 || resp.ContentLength != int64(len(want)) {
		t.Fatalf("drip: %d with Content-Length %d, want 200 with %d", resp.StatusCode, resp.ContentLength, len(want))
	}
	first := make([]byte, len(want))
	n, err := resp.Body.Read(first)
	if err != nil || n == 0 || n >= len(want) || string(first[:n]) != string(want[:n]) {
		t.Fatalf("first read of a 30 s drip: %q, %v; want a first piece of %q", first[:n], err, want)
	}
	conn.Close()
	waitGoroutines(t, "mockserver.(*Server).drip", 0) // the client left: the drip stops

	m.addScenario(`{"operation":"post__sessions_revoke-all","fault":"drip","delay":"100ms","times":1}`)
	r2, body, err := post(t, &http.Client{Timeout: 30 * time.Second}, m.ts.URL)
	if err != nil || r2.StatusCode != 200 || string(body) != string(want) {
		t.Fatalf("a 100 ms drip read whole: %v, %s; want the documented 200", err, body)
	}
}

// TestFaultsSeenByCurl: the exit status curl gives for each fault, as a
// frontend developer would see it from a script.
func TestFaultsSeenByCurl(t *testing.T) {
	curl := testenv.LookPath(t, "the faults as curl sees them", "apt-get install curl", "curl")
	for _, c := range []struct {
		fault, delay string
		args         []string
		exit         int
		meaning      string
	}{
		{"reset", "", nil, 56, "failure receiving network data (connection reset)"},
		{"close", "", nil, 52, "empty reply from server"},
		{"malformed", "", nil, 1, "unsupported protocol (not HTTP)"},
		{"hang", "", []string{"--max-time", "1"}, 28, "operation timed out"},
		{"drip", "30s", []string{"--max-time", "1"}, 28, "operation timed out mid-body"},
		{"drip", "200ms", nil, 0, "the whole documented answer"},
	} {
		t.Run(c.fault+c.delay, func(t *testing.T) {
			m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsOff})
			sc := `{"operation":"post__sessions_revoke-all","fault":"` + c.fault + `","times":1`
			if c.delay != "" {
				sc += `,"delay":"` + c.delay + `"`
			}
			m.addScenario(sc + "}")
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := append([]string{"-sS", "-X", "POST", "-H", "Authorization: Bearer any", m.ts.URL + revokeAll}, c.args...)
			out, err := exec.CommandContext(ctx, curl, args...).Output()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != c.exit {
				t.Fatalf("curl exit %d (output %q), want %d: %s", code, out, c.exit, c.meaning)
			}
			if c.exit == 0 && string(out) != string(mustBody(t, "200", "success")) {
				t.Fatalf("curl printed %q", out)
			}
		})
	}
}
