// Command soak measures the mock's memory over a long run (make soak):
// one million revoke-alls with distinct tokens in lazy mode, one in four
// answered 500 through Prefer (which revokes nothing, so those sessions
// stay and fill the session cap), then 100 000 sessions minted and revoked
// through the control API. It prints the mock's resident memory (VmRSS) at
// each stage as a ratio to the baseline measured after a warm-up in the
// same run, and says whether the targets hold: under 100 MiB at the end,
// no growth over the second half. Loopback only; every loop is counted.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/flashback/revoke-contract/internal/loopback"
)

func main() {
	requests := flag.Int("requests", 1_000_000, "revoke-alls with distinct tokens")
	mints := flag.Int("mints", 100_000, "sessions minted and revoked through the control API")
	conns := flag.Int("conns", 4, "client connections")
	only := flag.String("only", "", `"memory" or "hostile": run one part only`)
	rounds := flag.Int("rounds", 3, "rounds of each row of the hostile table (its medians)")
	row := flag.String("row", "", `the hostile table's rows whose attack has this in its name ("slowloris 10k"); all by default`)
	attackSpec := flag.String("attacker", "", "run as the hostile table's attacker process: kind=count,... (started by soak itself)")
	attackAddr := flag.String("attacker-addr", "", "the address the attacker process opens its connections to (loopback)")
	flag.Parse()
	if *attackSpec != "" {
		if err := attackerMain(*attackSpec, *attackAddr); err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			os.Exit(2)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "soak-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	bin, bare := filepath.Join(dir, "revoke-mock"), filepath.Join(dir, "bare")
	for _, b := range [][2]string{{bin, "./mockserver/cmd/revoke-mock"}, {bare, "./bench/cmd/bare"}} {
		build := exec.CommandContext(ctx, "go", "build", "-o", b[0], b[1])
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "soak: building", b[1]+":", err)
			os.Exit(1)
		}
	}
	if *only != "hostile" {
		if err := run(ctx, bin, *requests, *mints, *conns, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			os.Exit(1)
		}
	}
	if *only != "memory" {
		if err := hostile(ctx, bin, bare, max(*rounds, 1), *row, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			os.Exit(1)
		}
	}
}

// startMock runs the mock binary with args on a free port.
func startMock(ctx context.Context, bin string, args ...string) (base string, pid int, stop func(), err error) {
	port, err := loopback.FreePort()
	if err != nil {
		return "", 0, nil, err
	}
	mock := exec.Command(bin, append([]string{"--port", strconv.Itoa(port)}, args...)...)
	mock.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := mock.Start(); err != nil { // its log goes to /dev/null
		return "", 0, nil, err
	}
	stop = func() {
		_ = mock.Process.Signal(syscall.SIGTERM)
		waitOrKill(mock, 15*time.Second)
	}
	base = fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitReady(ctx, base); err != nil {
		stop()
		return "", 0, nil, err
	}
	return base, mock.Process.Pid, stop, nil
}

// waitOrKill waits for cmd to exit, and kills it after grace.
func waitOrKill(cmd *exec.Cmd, grace time.Duration) {
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
	}
}

func run(ctx context.Context, bin string, requests, mints, conns int, out io.Writer) error {
	base, pid, stop, err := startMock(ctx, bin, "--sessions", "lazy", "--log-format", "json")
	if err != nil {
		return err
	}
	defer stop()

	fmt.Fprintf(out, "soak: revoke-mock --sessions lazy (default --max-sessions), %d revoke-alls with distinct tokens over %d connections, 1 in 4 answered 500 (Prefer: code=500, revokes nothing)\n", requests, conns)
	if _, err := hammer(ctx, base, 0, 10_000, conns); err != nil {
		return err
	}
	baseline, err := rss(pid)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  %-44s %7.1f MiB  (baseline)\n", "RSS after a warm-up of 10 000 requests", mib(baseline))
	half := requests / 2
	start := time.Now()
	if _, err := hammer(ctx, base, 10_000, half, conns); err != nil {
		return err
	}
	atHalf, err := rss(pid)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  %-44s %7.1f MiB  %.2f x baseline\n", fmt.Sprintf("RSS after %d", half), mib(atHalf), float64(atHalf)/float64(baseline))
	if _, err := hammer(ctx, base, 10_000+half, requests-half, conns); err != nil {
		return err
	}
	elapsed := time.Since(start)
	atEnd, err := rss(pid)
	if err != nil {
		return err
	}
	growth := float64(atEnd) / float64(atHalf)
	fmt.Fprintf(out, "  %-44s %7.1f MiB  %.2f x baseline; second half %.3f x the first\n", fmt.Sprintf("RSS after %d", requests), mib(atEnd), float64(atEnd)/float64(baseline), growth)
	fmt.Fprintf(out, "  %-44s %7.0f req/s\n", "throughput (client and mock on one machine)", float64(requests)/elapsed.Seconds())

	if err := mintAndRevoke(ctx, base, mints, conns); err != nil {
		return err
	}
	afterMints, err := rss(pid)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  %-44s %7.1f MiB  %.2f x baseline\n", fmt.Sprintf("RSS after %d mints and revocations", mints), mib(afterMints), float64(afterMints)/float64(baseline))
	verdict := func(ok bool) string {
		if ok {
			return "holds"
		}
		return "MISSED"
	}
	fmt.Fprintf(out, "  target: under 100 MiB at the end: %s; no growth over the second half (at most 1.05 x): %s\n",
		verdict(max(atEnd, afterMints) < 100<<20), verdict(growth <= 1.05))
	return nil
}

// hammer sends n revoke-alls with the distinct tokens from..from+n over
// conns keep-alive connections; each must be answered 200 or 500.
func hammer(ctx context.Context, base string, from, n, conns int) (int64, error) {
	var next atomic.Int64
	next.Store(int64(from))
	end := int64(from + n)
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	var answered atomic.Int64
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer client.CloseIdleConnections()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= end {
					return
				}
				req, _ := http.NewRequestWithContext(ctx, "POST", base+"/sessions/revoke-all", nil)
				req.Header.Set("Authorization", "Bearer soak-token-"+strconv.FormatInt(i, 36)+"-padded-to-a-realistic-length")
				want := 200
				if i%4 == 3 {
					req.Header.Set("Prefer", "code=500")
					want = 500
				}
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != want {
						err = fmt.Errorf("request %d: %d, want %d", i, resp.StatusCode, want)
					}
				}
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				answered.Add(1)
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return answered.Load(), firstErr
}

// mintAndRevoke mints n sessions through the control API and revokes each.
func mintAndRevoke(ctx context.Context, base string, n, conns int) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer client.CloseIdleConnections()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				resp, err := client.Post(base+"/__mock/sessions", "application/json", strings.NewReader(fmt.Sprintf(`{"user":"soak-user-%d"}`, i)))
				if err != nil {
					errs <- err
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				tok := between(string(body), `"token":"`, `"`)
				if resp.StatusCode != 201 || tok == "" {
					errs <- fmt.Errorf("mint %d: %d %s", i, resp.StatusCode, body)
					return
				}
				req, _ := http.NewRequestWithContext(ctx, "POST", base+"/sessions/revoke-all", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err = client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("revoke %d: %d", i, resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return errors.Join(<-errs, ctx.Err())
}

func between(s, open, close string) string {
	_, rest, ok := strings.Cut(s, open)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, close)
	return v
}

// rss is the resident memory of pid, from /proc.
func rss(pid int) (int64, error) { return procStatus(pid, "VmRSS:") }

// procStatus reads a size in kB of /proc/<pid>/status (VmRSS:, VmHWM:).
func procStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no " + field + " in /proc status")
}

func waitReady(ctx context.Context, base string) error {
	for i := 0; i < 200; i++ {
		resp, err := http.Get(base + "/__mock/health")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return errors.New("the mock did not answer /__mock/health within 10 s")
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
