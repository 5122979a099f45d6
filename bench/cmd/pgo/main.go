// Command pgo writes the profile that release builds of revoke-mock are
// optimised with (profile-guided optimisation, go build -pgo):
// mockserver/cmd/revoke-mock/revoke-mock.pgo, a CPU profile of the mock
// serving the loads it serves most, driven by wrk on loopback:
//
//   - revoke-all with one bearer token and no session store (a load test,
//     make bench's load);
//   - revoke-all with a new token each time, and with one token again and
//     again (sessions created, revoked, and refused with the 401 of a
//     revoked session: a frontend's test run);
//   - revoke-all from a page (CORS), its preflights, requests without
//     credentials and with Prefer: code=500.
//
// make pgo runs it; tools/dist.sh and loadcompare build with the profile it
// writes. A profile older than the code still helps (the compiler matches
// functions by name); a new one is worth taking after a change to the
// request path. Loopback only; each load runs for a fixed time.
//
//	go run ./bench/cmd/pgo [-o mockserver/cmd/revoke-mock/revoke-mock.pgo] [-seconds 30]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/flashback/revoke-contract/internal/loopback"
	"github.com/flashback/revoke-contract/internal/modroot"
	"github.com/flashback/revoke-contract/spec/endpoint"
)

// DefaultProfile is where the profile goes, relative to the module root.
const DefaultProfile = "mockserver/cmd/revoke-mock/revoke-mock.pgo"

// load is one wrk run against the mock: a Lua script, and its share of the
// profile's time.
type load struct {
	name   string
	script string
	share  float64
}

// The scripts build their requests themselves; none carries a credential
// that means anything (the mock's sessions are its own).
var (
	bearer = load{"revoke-all, one token", `wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer pgo-not-a-secret"
`, 0.40}
	freshTokens = load{"revoke-all, a new token each time", `local n = 0
local prefix = "pgo-" .. tostring(math.random(1000000000)) .. "-"
request = function()
  n = n + 1
  return wrk.format("POST", "` + endpoint.Path + `", {["Authorization"] = "Bearer " .. prefix .. n})
end
`, 0.20}
	revoked = load{"revoke-all, a revoked token again", `wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer pgo-revoked-not-a-secret"
`, 0.10}
	cors = load{"revoke-all from a page (CORS)", `wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer pgo-not-a-secret"
wrk.headers["Origin"] = "http://localhost:5173"
`, 0.10}
	preflight = load{"CORS preflight", `wrk.method = "OPTIONS"
wrk.headers["Origin"] = "http://localhost:5173"
wrk.headers["Access-Control-Request-Method"] = "POST"
wrk.headers["Access-Control-Request-Headers"] = "authorization"
`, 0.05}
	anonymous = load{"revoke-all without credentials (401)", `wrk.method = "POST"
`, 0.10}
	prefer500 = load{"revoke-all with Prefer: code=500", `wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer pgo-not-a-secret"
wrk.headers["Prefer"] = "code=500"
`, 0.05}
)

// runs are the mock processes profiled, each with the loads it serves.
var runs = []struct {
	args  []string
	loads []load
}{
	{[]string{"--sessions", "off"}, []load{bearer, cors, preflight, anonymous, prefer500}},
	{[]string{"--sessions", "lazy"}, []load{freshTokens, revoked}},
}

func main() {
	out := flag.String("o", DefaultProfile, "where the merged profile goes (relative to the module root)")
	seconds := flag.Int("seconds", 30, "load time in all, shared among the loads")
	flag.Parse()
	if flag.NArg() > 0 || *seconds < 10 || *seconds > 600 {
		fmt.Fprintln(os.Stderr, "usage: pgo [-o FILE] [-seconds 10..600]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *out, *seconds); err != nil {
		fmt.Fprintln(os.Stderr, "pgo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out string, seconds int) error {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		return errors.New("wrk is not installed (Debian: apt-get install wrk)")
	}
	root, err := modroot.FromWorkingDir()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "pgo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "revoke-mock")
	// The profiling hook (cpuprofile.go) is only in a build with this tag.
	if err := goCmd(ctx, root, "build", "-tags", "pgoprofile", "-o", bin, "./mockserver/cmd/revoke-mock"); err != nil {
		return err
	}
	var profiles []string
	for i, r := range runs {
		profile := filepath.Join(dir, fmt.Sprintf("run%d.pprof", i))
		if err := profileRun(ctx, bin, wrk, dir, profile, r.args, r.loads, seconds); err != nil {
			return err
		}
		profiles = append(profiles, profile)
	}
	merged := filepath.Join(dir, "merged.pgo")
	args := append([]string{"tool", "pprof", "-proto", "-output", merged}, profiles...)
	if err := goCmd(ctx, root, args...); err != nil {
		return fmt.Errorf("merging the profiles: %w", err)
	}
	data, err := os.ReadFile(merged)
	if err != nil {
		return err
	}
	dst := filepath.Join(root, out)
	if err := os.WriteFile(dst+".tmp", data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(dst+".tmp", dst); err != nil {
		return err
	}
	fmt.Printf("pgo: %s (%d bytes) from %d runs of the mock\n", out, len(data), len(runs))
	return nil
}

// profileRun starts the mock with args and a CPU profile, runs each load
// for its share of seconds, and stops the mock (which writes the profile).
func profileRun(ctx context.Context, bin, wrk, dir, profile string, args []string, loads []load, seconds int) error {
	port, err := loopback.FreePort()
	if err != nil {
		return err
	}
	var log bytes.Buffer
	cmd := exec.Command(bin, append([]string{"--host", "127.0.0.1", "--port", strconv.Itoa(port)}, args...)...)
	cmd.Env = append(os.Environ(), "REVOKE_PGO_PROFILE="+profile)
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitHealthy(ctx, base, exited); err != nil {
		return fmt.Errorf("revoke-mock %v: %w\n%s", args, err, log.String())
	}
	for i, l := range loads {
		script := filepath.Join(dir, fmt.Sprintf("load-%d-%d.lua", port, i))
		if err := os.WriteFile(script, []byte(l.script), 0o644); err != nil {
			return err
		}
		secs := max(1, int(l.share*float64(seconds)+0.5))
		fmt.Printf("pgo: %s (%v), %d s\n", l.name, args, secs)
		wctx, cancel := context.WithTimeout(ctx, time.Duration(secs+30)*time.Second)
		w := exec.CommandContext(wctx, wrk, "-t", "2", "-c", "50", "-d", strconv.Itoa(secs)+"s", "--timeout", "5s", "-s", script, base+endpoint.Path)
		b, err := w.CombinedOutput()
		cancel()
		if err != nil {
			return fmt.Errorf("wrk (%s): %v\n%s", l.name, err, b)
		}
	}
	// SIGTERM: the mock shuts down, and the hook writes the profile.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			return fmt.Errorf("revoke-mock %v exited: %v\n%s", args, err, log.String())
		}
	case <-time.After(20 * time.Second):
		return fmt.Errorf("revoke-mock %v did not stop within 20 s of SIGTERM", args)
	}
	if st, err := os.Stat(profile); err != nil || st.Size() == 0 {
		return fmt.Errorf("revoke-mock %v wrote no profile (%v)\n%s", args, err, log.String())
	}
	return nil
}

func waitHealthy(ctx context.Context, base string, exited <-chan error) error {
	client := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		select {
		case err := <-exited:
			return fmt.Errorf("exited before answering: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if resp, err := client.Get(base + "/__mock/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("not healthy within 30 s")
}

func goCmd(ctx context.Context, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %v: %v\n%s", args[0], err, b)
	}
	return nil
}
