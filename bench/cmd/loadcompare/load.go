package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// loadResult is one measured load run.
type loadResult struct {
	rps      float64
	p50, p99 time.Duration
	requests int64
	non2xx   int64
	errors   string // socket errors, if any
}

// loadGen drives one target with a fixed load.
type loadGen interface {
	name() string
	run(ctx context.Context, url string, d time.Duration) (loadResult, error)
}

// wrkGen is wrk with a Lua script that turns each request into the POST
// with an Authorization header. The header's value reaches wrk through its
// environment, never through a file.
type wrkGen struct {
	path          string
	script        string
	threads, conn int
	authorization string
}

const wrkScript = `-- loadcompare: POST revoke-all with the Authorization header from the environment
wrk.method = "POST"
wrk.headers["Authorization"] = os.getenv("LOADCOMPARE_AUTHORIZATION")
`

func newWrkGen(path, dir string, threads, conns int, authorization string) (*wrkGen, error) {
	script := filepath.Join(dir, "revoke-all.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o644); err != nil {
		return nil, err
	}
	return &wrkGen{path: path, script: script, threads: threads, conn: conns, authorization: authorization}, nil
}

func (g *wrkGen) name() string {
	return fmt.Sprintf("wrk (%d threads, %d connections)", g.threads, g.conn)
}

func (g *wrkGen) run(ctx context.Context, url string, d time.Duration) (loadResult, error) {
	secs := max(1, int(d.Round(time.Second)/time.Second))
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, g.path, "-t", strconv.Itoa(g.threads), "-c", strconv.Itoa(g.conn),
		"-d", strconv.Itoa(secs)+"s", "--timeout", "5s", "--latency", "-s", g.script, url+revokeAll)
	cmd.Env = append(os.Environ(), "LOADCOMPARE_AUTHORIZATION="+g.authorization)
	cmd.SysProcAttr = groupAttr()
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return loadResult{}, err
	}
	register(cmd.Process.Pid)
	err := cmd.Wait()
	unregister(cmd.Process.Pid)
	if err != nil {
		return loadResult{}, fmt.Errorf("wrk: %v\n%s", err, out.String())
	}
	return parseWrk(out.String())
}

var (
	wrkRPS     = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	wrkPct     = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+[a-z]+)`)
	wrkTotal   = regexp.MustCompile(`(?m)^\s+([0-9]+) requests in`)
	wrkNon2xx  = regexp.MustCompile(`(?m)Non-2xx or 3xx responses:\s+([0-9]+)`)
	wrkSockErr = regexp.MustCompile(`(?m)Socket errors:.*$`)
)

// parseWrk reads wrk --latency output.
func parseWrk(out string) (loadResult, error) {
	var r loadResult
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in wrk's output:\n%s", out)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	for _, p := range wrkPct.FindAllStringSubmatch(out, -1) {
		d, err := time.ParseDuration(p[2]) // wrk's units (us, ms, s) are Go's
		if err != nil {
			return r, fmt.Errorf("wrk latency %q: %v", p[2], err)
		}
		if p[1] == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	if r.p50 == 0 || r.p99 == 0 {
		return r, fmt.Errorf("no 50%%/99%% latency in wrk's output (--latency):\n%s", out)
	}
	if m := wrkTotal.FindStringSubmatch(out); m != nil {
		r.requests, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		r.non2xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	r.errors = wrkSockErr.FindString(out)
	return r, nil
}

// goGen is the fallback when wrk is absent: conns goroutines, each with one
// keep-alive connection, sending the same request back to back. It runs in
// loadcompare's own process, so it competes for the same CPUs as wrk would.
type goGen struct {
	conns         int
	authorization string
}

func (g *goGen) name() string {
	return fmt.Sprintf("built-in Go load generator (%d connections; wrk not installed)", g.conns)
}

func (g *goGen) run(ctx context.Context, url string, d time.Duration) (loadResult, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		non2xx    int64
		failures  int64
		wg        sync.WaitGroup
	)
	start := time.Now()
	for range g.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, DisableCompression: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
			local := make([]time.Duration, 0, 1<<16)
			var bad, failed int64
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+revokeAll, nil)
				req.Header.Set("Authorization", g.authorization)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						failed++
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				local = append(local, time.Since(t0))
				if resp.StatusCode < 200 || resp.StatusCode > 399 {
					bad++
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			non2xx += bad
			failures += failed
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(latencies) == 0 {
		return loadResult{}, fmt.Errorf("no request succeeded (%d failures)", failures)
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration { return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))] }
	r := loadResult{rps: float64(len(latencies)) / elapsed.Seconds(), p50: pct(0.50), p99: pct(0.99), requests: int64(len(latencies)), non2xx: non2xx}
	if failures > 0 {
		r.errors = fmt.Sprintf("%d failed requests", failures)
	}
	return r, nil
}

// describeErrors is the problems of a run worth a note, or "".
func (r loadResult) describeErrors() string {
	var notes []string
	if r.non2xx > 0 {
		notes = append(notes, fmt.Sprintf("%d non-2xx answers", r.non2xx))
	}
	if r.errors != "" && !strings.Contains(r.errors, "connect 0, read 0, write 0, timeout 0") {
		notes = append(notes, r.errors)
	}
	return strings.Join(notes, "; ")
}
