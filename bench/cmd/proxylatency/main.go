// Command proxylatency measures what revoke-mock proxy adds to a request's
// latency: the same upstream (revoke-mock, sessions off) is called directly,
// through revoke-mock proxy and through Prism's proxy (`prism proxy`),
// interleaved request by request from one keep-alive client, and the
// percentiles of each path are printed with the difference to the direct
// ones. Run by `make bench`; docs/performance.md records a run.
//
//	go run ./bench/cmd/proxylatency [-n 3000] [-warmup 300]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/flashback/revoke-contract/internal/loopback"
	"github.com/flashback/revoke-contract/internal/modroot"
)

func main() {
	n := flag.Int("n", 3000, "measured requests per path")
	warmup := flag.Int("warmup", 300, "unmeasured requests per path first")
	flag.Parse()
	if err := run(*n, *warmup, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "proxylatency:", err)
		os.Exit(1)
	}
}

type target struct {
	name string
	url  string
	lat  []time.Duration
}

func run(n, warmup int, out io.Writer) error {
	root, err := modroot.FromWorkingDir()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "proxylatency")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	mockBin := filepath.Join(work, "revoke-mock")
	if b, err := exec.Command("go", "build", "-o", mockBin, "./mockserver/cmd/revoke-mock").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, b)
	}
	var procs []*exec.Cmd
	defer func() {
		for _, c := range procs {
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			_ = c.Wait()
		}
	}()
	start := func(name string, argv ...string) (string, error) {
		port, err := loopback.FreePort()
		if err != nil {
			return "", err
		}
		if strings.HasSuffix(argv[0], "prism") {
			argv = append(argv, "-h", "127.0.0.1", "-p", strconv.Itoa(port))
		} else {
			argv = append(argv, "--port", strconv.Itoa(port))
		}
		logf, err := os.Create(filepath.Join(work, name+".log"))
		if err != nil {
			return "", err
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			return "", err
		}
		procs = append(procs, cmd)
		base := "http://127.0.0.1:" + strconv.Itoa(port)
		if err := waitUp(base, 90*time.Second); err != nil {
			log, _ := os.ReadFile(logf.Name())
			return "", fmt.Errorf("%s: %v\n%s", name, err, log)
		}
		return base, nil
	}
	upstream, err := start("upstream", mockBin, "--sessions", "off", "--journal-size", "0")
	if err != nil {
		return err
	}
	ours, err := start("proxy", mockBin, "proxy", "--upstream", upstream, "--journal-size", "0")
	if err != nil {
		return err
	}
	targets := []*target{{name: "direct (revoke-mock)", url: upstream}, {name: "revoke-mock proxy", url: ours}}
	prism := filepath.Join(root, "tools", "node_modules", ".bin", "prism")
	if _, err := os.Stat(prism); err != nil {
		fmt.Fprintf(out, "SKIPPED: Prism is not installed (make npm-tools): no Prism column\n")
	} else if base, err := start("prism", prism, "proxy", "spec/openapi.yaml", upstream); err != nil {
		return err
	} else {
		targets = append(targets, &target{name: "Prism proxy", url: base})
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}, Timeout: 30 * time.Second}
	for i := 0; i < warmup+n; i++ {
		for _, t := range targets { // interleaved: a slow moment of the machine hits every path alike
			d, err := once(client, t.url)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			if i >= warmup {
				t.lat = append(t.lat, d)
			}
		}
	}
	fmt.Fprintf(out, "POST /sessions/revoke-all with a bearer token, %d requests per path after %d of warm-up, one keep-alive client, interleaved\n\n", n, warmup)
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "path\tp50\tp90\tp99\tadded p50\tadded p99\t")
	direct := targets[0]
	for _, t := range targets {
		slices.Sort(t.lat)
		added := func(p float64) string {
			if t == direct {
				return "-"
			}
			return ms(pct(t.lat, p) - pct(direct.lat, p))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", t.name, ms(pct(t.lat, 50)), ms(pct(t.lat, 90)), ms(pct(t.lat, 99)), added(50), added(99))
	}
	_ = tw.Flush()
	if len(targets) == 3 {
		ours, prism := targets[1], targets[2]
		fmt.Fprintf(out, "\nadded latency, Prism's proxy / revoke-mock proxy: p50 %.1fx, p99 %.1fx\n",
			float64(pct(prism.lat, 50)-pct(direct.lat, 50))/float64(max(pct(ours.lat, 50)-pct(direct.lat, 50), time.Microsecond)),
			float64(pct(prism.lat, 99)-pct(direct.lat, 99))/float64(max(pct(ours.lat, 99)-pct(direct.lat, 99), time.Microsecond)))
	}
	return nil
}

func once(c *http.Client, base string) (time.Duration, error) {
	req, _ := http.NewRequest(http.MethodPost, base+"/sessions/revoke-all", nil)
	req.Header.Set("Authorization", "Bearer bench-token-0123456789")
	t0 := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("status %d", resp.StatusCode)
	}
	return d, err
}

func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)) }

func waitUp(base string, limit time.Duration) error {
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if resp, err := c.Get(base + "/__mock/health"); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("not answering")
}
