package testkit

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain runs the tests, or, with TESTKIT_FAKE_MOCK=1, plays a mock.
func TestMain(m *testing.M) {
	if os.Getenv("TESTKIT_FAKE_MOCK") == "1" {
		os.Exit(fakeMock())
	}
	os.Exit(m.Run())
}

// fakeMock prints a ready line and, on SIGTERM, a last line; it returns
// the exit status, 0.
func fakeMock() int {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	fmt.Println(`{"msg":"revoke-mock ready","url":"http://127.0.0.1:4321"}`)
	<-stop
	fmt.Println("shutting down")
	return 0
}

func TestStartReadsTheReadyLineAndStopCollectsTheLog(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := Start(t, Options{Argv: []string{self}, Env: append(os.Environ(), "TESTKIT_FAKE_MOCK=1")})
	if p.URL != "http://127.0.0.1:4321" {
		t.Errorf("URL %q", p.URL)
	}
	p.Stop()
	if err := p.Err(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	if out := p.Output(); !strings.HasSuffix(out, "shutting down\n") {
		t.Errorf("the log after Stop is not complete: %q", out)
	}
	p.Stop() // again: a no-op
}

func TestMockArgv(t *testing.T) {
	for _, tt := range []struct{ args, want []string }{
		{nil, []string{"m", "--port", "0"}},
		{[]string{"--sessions", "issued"}, []string{"m", "--port", "0", "--sessions", "issued"}},
		{[]string{"proxy", "--upstream", "u"}, []string{"m", "proxy", "--port", "0", "--upstream", "u"}},
	} {
		if got := MockArgv("m", tt.args...); !slices.Equal(got, tt.want) {
			t.Errorf("MockArgv(m, %q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestRawServerAndReadHead(t *testing.T) {
	heads := make(chan string, 2)
	addr := RawServer(t, func(conn net.Conn) {
		head, err := ReadHead(bufio.NewReader(conn))
		if err != nil {
			return
		}
		heads <- head
		_, _ = io.WriteString(conn, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
	})
	for range 2 {
		resp, err := http.Get("http://" + addr + "/x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 204 {
			t.Errorf("status %d", resp.StatusCode)
		}
		if head := <-heads; !strings.HasPrefix(head, "GET /x HTTP/1.1\r\n") || !strings.HasSuffix(head, "\r\n\r\n") {
			t.Errorf("head %q", head)
		}
	}
}

func TestFreeAddrIsClosed(t *testing.T) {
	if c, err := net.Dial("tcp", FreeAddr(t)); err == nil {
		c.Close()
		t.Error("something listens at FreeAddr's address")
	}
	if p := FreePort(t); p <= 0 || p > 65535 {
		t.Errorf("FreePort %d", p)
	}
}

func TestRecorderAndServe(t *testing.T) {
	rec := &Recorder{Next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Up", "1")
		if r.URL.Path == "/teapot" {
			w.WriteHeader(http.StatusTeapot)
		}
		_, _ = io.WriteString(w, "body of "+r.URL.Path)
	})}
	base := Serve(t, &http.Server{Handler: rec})
	var wg sync.WaitGroup
	for _, p := range []string{"/a", "/b", "/c"} {
		wg.Go(func() {
			resp, err := http.Get(base + p)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	req, _ := http.NewRequest("GET", base+"/teapot", nil)
	req.Header.Set("Prefer", "code=418")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if rec.Count() != 4 {
		t.Errorf("%d exchanges, want 4", rec.Count())
	}
	last := rec.Last()
	if last.Status != 418 || string(last.Body) != "body of /teapot" || last.Header.Get("X-Up") != "1" || last.RequestHeader.Get("Prefer") != "code=418" || last.Path != "/teapot" {
		t.Errorf("last exchange %+v", last)
	}
}

func TestBufferConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = b.Write([]byte("x"))
			}
		})
	}
	wg.Wait()
	if n := len(b.String()); n != 800 {
		t.Errorf("%d bytes, want 800", n)
	}
}

func TestPollWaitForAndGoroutines(t *testing.T) {
	n := 0
	if !Poll(10*time.Second, func() bool { n++; return n == 3 }) || n != 3 {
		t.Errorf("Poll stopped at %d, want 3", n)
	}
	if Poll(0, func() bool { return false }) {
		t.Error("Poll of a condition that never holds reported true")
	}
	release := make(chan struct{})
	go parkedForTestkit(release)
	WaitFor(t, 10*time.Second, "the parked goroutine", func() bool { return Goroutines("testkit.parkedForTestkit") == 1 })
	close(release)
	WaitFor(t, 10*time.Second, "the parked goroutine to end", func() bool { return Goroutines("testkit.parkedForTestkit") == 0 })
}

func parkedForTestkit(release chan struct{}) { <-release }
