// Command loadcompare measures the mock against its baselines in one run on
// this machine: a bare net/http server writing the same bytes (the ceiling)
// and Stoplight Prism serving the same spec. Each target is a process of its
// own on loopback, started fresh in every round, driven by the same load
// generator with the same concurrency, in interleaved rounds (mock, bare,
// Prism, mock, bare, Prism, ...) so that machine drift hits all alike. It
// prints req/s, p50 and p99 latency, peak and after-load RSS and the start-up
// time to the first answer, the ratios against the targets in
// docs/performance.md, and the contract suite's own cost.
//
//	go run ./bench/cmd/loadcompare [-duration 5s] [-rounds 3] [-conns 50]
//
// It measures and prints; a missed target is reported, not an error. The
// exit status is 1 only when something could not be measured.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/flashback/revoke-contract/internal/loopback"
	"github.com/flashback/revoke-contract/internal/modroot"
	"github.com/flashback/revoke-contract/internal/shell"
	"github.com/flashback/revoke-contract/internal/testenv"
	"github.com/flashback/revoke-contract/spec/endpoint"
)

const revokeAll = endpoint.Path

// loadAuthorization is a well-formed bearer credential that means nothing:
// the mock runs with --sessions off, the bare server ignores it and Prism
// checks only that a bearer credential is there. It is never printed.
const loadAuthorization = "Bearer loadcompare-not-a-secret"

type options struct {
	duration, warmup time.Duration
	rounds, slices   int
	conns, threads   int
	suiteRuns        int
	keep             bool
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 4*time.Second, "load per target and round")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load before each measurement (lets Prism's JIT warm up)")
	flag.IntVar(&o.rounds, "rounds", 9, "interleaved rounds; each figure printed is the median over rounds")
	flag.IntVar(&o.slices, "slices", 4, "a round's load of each target is this many slices of -duration/slices, the targets taking turns")
	flag.IntVar(&o.conns, "conns", 50, "concurrent keep-alive connections")
	flag.IntVar(&o.threads, "threads", 2, "wrk threads")
	flag.IntVar(&o.suiteRuns, "suite-runs", 3, "runs of the contract suite for its cost (0: skip)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work folder (binaries, server logs)")
	flag.Parse()
	if flag.NArg() > 0 || o.duration < time.Second || o.rounds < 1 || o.slices < 1 || o.duration/time.Duration(o.slices) < time.Second || o.conns < 1 || o.threads < 1 || o.threads > o.conns || o.suiteRuns < 0 || o.warmup < 0 {
		fmt.Fprintln(os.Stderr, "loadcompare: want -duration >= 1s, -rounds >= 1, -slices >= 1 with -duration/-slices >= 1s, 1 <= -threads <= -conns, -suite-runs >= 0, -warmup >= 0 and no arguments")
		flag.Usage()
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o, os.Stdout)
	stop()
	killAll()
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadcompare: %v\n", err)
		os.Exit(1)
	}
}

// target is one server under load.
type target struct {
	name string
	argv func(port int) []string
	env  []string
	// alone: loaded by itself, after the others' slices, and stopped
	// before the next round. Prism is: a Node process of 200 MiB that
	// collects its garbage after its load would take CPU from whichever
	// target came next.
	alone bool
}

// measurement is one round of one target.
type measurement struct {
	load     loadResult
	startup  time.Duration
	peakRSS  int64 // VmHWM summed over the process group, bytes
	afterRSS int64 // VmRSS after the load, bytes
}

func run(ctx context.Context, o options, out io.Writer) error {
	root, err := modroot.FromWorkingDir()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "loadcompare-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintf(out, "work folder (kept): %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}

	fmt.Fprintf(out, "building revoke-mock as make dist does (static, -trimpath, -pgo=%s) and the bare baselines alike without a profile ...\n", mockProfile)
	mockBin, bareBin := filepath.Join(work, "revoke-mock"), filepath.Join(work, "bare")
	for _, b := range [][3]string{{mockBin, "./mockserver/cmd/revoke-mock", mockProfile}, {bareBin, "./bench/cmd/bare", "off"}} {
		if err := goBuild(ctx, root, b[0], b[1], b[2]); err != nil {
			return err
		}
	}

	targets := []target{
		{name: "revoke-mock", argv: func(p int) []string {
			// Validation and the per-request log on, as a developer runs it;
			// the log goes to a file (the server's stdout).
			return []string{mockBin, "--host", "127.0.0.1", "--port", strconv.Itoa(p), "--sessions", "off", "--log-format", "text"}
		}, env: withoutPrefix(os.Environ(), "REVOKE_MOCK_")},
		{name: "bare net/http", argv: func(p int) []string {
			return []string{bareBin, "--host", "127.0.0.1", "--port", strconv.Itoa(p)}
		}},
		{name: "minimal net/http", argv: func(p int) []string {
			return []string{bareBin, "--host", "127.0.0.1", "--port", strconv.Itoa(p), "--minimal"}
		}},
	}
	prism, prismVersion, err := findPrism(ctx, root)
	switch {
	case err == nil:
		targets = append(targets, target{name: "Prism " + prismVersion, alone: true, argv: func(p int) []string {
			return []string{prism, "mock", "spec/openapi.yaml", "-h", "127.0.0.1", "-p", strconv.Itoa(p)}
		}, env: append(os.Environ(), "SCARF_ANALYTICS=false", "NO_COLOR=1")})
	case testenv.Required("prism"):
		return fmt.Errorf("prism is required (%s=1): %w", testenv.RequireVar, err)
	default:
		fmt.Fprintf(out, "\n*** SKIPPED: Prism (%v); run `make npm-tools` or `make bench`. The mock/Prism ratio is not measured. ***\n\n", err)
	}

	var gen loadGen
	if path, err := exec.LookPath("wrk"); err == nil {
		if gen, err = newWrkGen(path, work, o.threads, o.conns, loadAuthorization); err != nil {
			return err
		}
	} else {
		gen = &goGen{conns: o.conns, authorization: loadAuthorization}
	}

	fmt.Fprintf(out, "machine: %s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel())
	fmt.Fprintf(out, "load: %s, %v per target and round in %d slices of %v (the Go servers take turns, slice by slice; Prism alone after them) after %v of warm-up, %d rounds, POST %s\n\n",
		gen.name(), o.duration, o.slices, o.duration/time.Duration(o.slices), o.warmup, o.rounds, revokeAll)

	results := make([][]measurement, len(targets))
	for round := 1; round <= o.rounds; round++ {
		ms, err := measureRound(ctx, targets, gen, work, round, o)
		if err != nil {
			return fmt.Errorf("round %d: %w", round, err)
		}
		for i, m := range ms {
			results[i] = append(results[i], m)
			fmt.Fprintf(out, "round %d  %-16s %9.0f req/s  p50 %-9v p99 %-9v peak RSS %5.1f MiB  start-up %v\n",
				round, targets[i].name, m.load.rps, m.load.p50, m.load.p99, mib(m.peakRSS), m.startup.Round(100*time.Microsecond))
		}
	}

	med := make([]summary, len(targets))
	for i := range targets {
		med[i] = summarize(results[i])
	}
	fmt.Fprintln(out)
	printTable(out, targets, med)
	fmt.Fprintln(out)
	var prismMed *summary
	if len(targets) > 3 {
		prismMed = &med[3]
	}
	printTargets(out, med[0], med[1], prismMed, roundRatios(results[0], results[1]), roundRatios(results[0], results[2]))

	if o.suiteRuns > 0 {
		fmt.Fprintln(out)
		if err := suiteCost(ctx, out, root, work, mockBin, o.suiteRuns); err != nil {
			return fmt.Errorf("contract suite cost: %w", err)
		}
	}
	return nil
}

// measureRound starts the Go targets fresh, times each to its first 200
// and warms it up, then loads them in turns: o.slices slices of
// o.duration/o.slices each, every target once per turn, the first target
// of a turn moving on by one each time. What drifts on this machine over
// seconds (another tenant's load, the clock's frequency) then weighs on
// every target alike; a round of one target after the other compared
// figures taken seconds apart. Each target's memory is read right after its
// last slice. A target marked alone (Prism) is then started, loaded for
// o.duration and stopped by itself.
func measureRound(ctx context.Context, targets []target, gen loadGen, work string, round int, o options) ([]measurement, error) {
	ms := make([]measurement, len(targets))
	var sliced []int
	for i, t := range targets {
		if !t.alone {
			sliced = append(sliced, i)
		}
	}
	if err := measureSliced(ctx, targets, sliced, ms, gen, work, round, o); err != nil {
		return nil, err
	}
	for i, t := range targets {
		if t.alone {
			if err := measureSliced(ctx, targets, []int{i}, ms, gen, work, round, o); err != nil {
				return nil, err
			}
		}
	}
	return ms, nil
}

// measureSliced measures the targets of which, started together, in
// turns of slices, into ms.
func measureSliced(ctx context.Context, targets []target, which []int, ms []measurement, gen loadGen, work string, round int, o options) error {
	root, err := modroot.FromWorkingDir()
	if err != nil {
		return err
	}
	servers := make([]*server, len(targets))
	defer func() {
		for _, s := range servers {
			if s != nil {
				s.stop()
			}
		}
	}()
	for _, i := range which {
		t := targets[i]
		port, err := loopback.FreePort()
		if err != nil {
			return err
		}
		logPath := filepath.Join(work, fmt.Sprintf("%s.round%d.log", strings.Fields(t.name)[0], round))
		spawned := time.Now()
		if servers[i], err = spawn(t.name, root, logPath, port, t.argv(port), t.env); err != nil {
			return err
		}
		if ms[i].startup, err = servers[i].waitReady(ctx, spawned, loadAuthorization, 60*time.Second); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		if o.warmup > 0 {
			if _, err := gen.run(ctx, servers[i].url, o.warmup); err != nil {
				return fmt.Errorf("%s: warm-up: %w", t.name, err)
			}
		}
	}
	turns := o.slices
	if len(which) == 1 {
		turns = 1 // nothing to take turns with
	}
	slice := o.duration / time.Duration(turns)
	loads := make([][]loadResult, len(targets))
	for turn := range turns {
		for k := range which {
			i := which[(k+turn+round)%len(which)]
			r, err := gen.run(ctx, servers[i].url, slice)
			if err != nil {
				return fmt.Errorf("%s: %w", targets[i].name, err)
			}
			if problems := r.describeErrors(); problems != "" {
				// A target that fails requests is not measured doing the work.
				return fmt.Errorf("%s under load: %s; log:\n%s", targets[i].name, problems, servers[i].logTail())
			}
			loads[i] = append(loads[i], r)
			if turn == turns-1 {
				if ms[i].afterRSS, err = servers[i].groupStatus("VmRSS"); err != nil {
					return err
				}
			}
		}
	}
	for _, i := range which {
		ms[i].load = combineSlices(loads[i])
		if ms[i].peakRSS, err = servers[i].peakRSS(); err != nil {
			return err
		}
	}
	return nil
}

// combineSlices is one target's load over a round: the requests of every
// slice over the time they took, and the median of the slices' latency
// percentiles.
func combineSlices(rs []loadResult) loadResult {
	var c loadResult
	var secs float64
	var p50, p99 []float64
	for _, r := range rs {
		c.requests += r.requests
		c.non2xx += r.non2xx
		if r.rps > 0 {
			secs += float64(r.requests) / r.rps
		}
		p50 = append(p50, float64(r.p50))
		p99 = append(p99, float64(r.p99))
	}
	if secs > 0 {
		c.rps = float64(c.requests) / secs
	}
	slices.Sort(p50)
	slices.Sort(p99)
	c.p50, c.p99 = time.Duration(median(p50)), time.Duration(median(p99))
	return c
}

// ratios are the mock's figures over the bare server's, round by round:
// the two ran back to back, so what drifts between rounds (the machine's
// other load, its clock) weighs on both alike.
type ratios struct {
	rps, p99 spread
}

// spread is the median of a figure over the rounds, with its extremes.
type spread struct{ median, min, max float64 }

func newSpread(v []float64) spread {
	v = slices.Clone(v)
	slices.Sort(v)
	return spread{median: median(v), min: v[0], max: v[len(v)-1]}
}

func (s spread) String() string { return fmt.Sprintf("%.2f (%.2f-%.2f)", s.median, s.min, s.max) }

func roundRatios(mock, bare []measurement) ratios {
	var rps, p99 []float64
	for i := range min(len(mock), len(bare)) {
		rps = append(rps, mock[i].load.rps/bare[i].load.rps)
		p99 = append(p99, float64(mock[i].load.p99)/float64(bare[i].load.p99))
	}
	return ratios{rps: newSpread(rps), p99: newSpread(p99)}
}

// median of sorted values.
func median(v []float64) float64 {
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// summary is the median of each figure over the rounds.
type summary struct {
	rounds            int
	rps, minRPS       float64
	maxRPS            float64
	p50, p99, startup time.Duration
	peakRSS, afterRSS int64
	afterRSSMax       int64 // the worst round, for the memory target
}

func summarize(ms []measurement) summary {
	pick := func(f func(measurement) float64) []float64 {
		v := make([]float64, len(ms))
		for i, m := range ms {
			v[i] = f(m)
		}
		slices.Sort(v)
		return v
	}
	rps := pick(func(m measurement) float64 { return m.load.rps })
	p50 := pick(func(m measurement) float64 { return float64(m.load.p50) })
	p99 := pick(func(m measurement) float64 { return float64(m.load.p99) })
	st := pick(func(m measurement) float64 { return float64(m.startup) })
	peak := pick(func(m measurement) float64 { return float64(m.peakRSS) })
	after := pick(func(m measurement) float64 { return float64(m.afterRSS) })
	s := summary{
		rps: median(rps), p50: time.Duration(median(p50)), p99: time.Duration(median(p99)),
		startup: time.Duration(median(st)), peakRSS: int64(median(peak)), afterRSS: int64(median(after)),
		minRPS: rps[0], maxRPS: rps[len(rps)-1], afterRSSMax: int64(after[len(after)-1]), rounds: len(ms),
	}
	return s
}

func printTable(out io.Writer, targets []target, med []summary) {
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "median of %d rounds\treq/s\t(min-max)\tp50\tp99\tpeak RSS\tRSS after load\tstart-up\t\n", med[0].rounds)
	for i, t := range targets {
		s := med[i]
		fmt.Fprintf(tw, "%s\t%.0f\t(%.0f-%.0f)\t%v\t%v\t%.1f MiB\t%.1f MiB\t%v\t\n", t.name, s.rps, s.minRPS, s.maxRPS,
			roundLatency(s.p50), roundLatency(s.p99), mib(s.peakRSS), mib(s.afterRSS), s.startup.Round(100*time.Microsecond))
	}
	_ = tw.Flush()
}

// printTargets prints each target of docs/performance.md with the measured
// figure and whether it was met.
func printTargets(out io.Writer, mock, bare summary, prism *summary, rr, minimal ratios) {
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "target\tmeasured\twanted\t\n")
	row := func(name, measured, wanted string, ok bool) {
		verdict := "met"
		if !ok {
			verdict = "MISSED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, measured, wanted, verdict)
	}
	row("throughput mock/bare, per round", rr.rps.String(), ">= 0.95", rr.rps.median >= 0.95)
	// Context, not a target: the bare server has the mock's timeouts and
	// bytes; the minimal one has neither (what a Go server costs at least).
	fmt.Fprintf(tw, "  (throughput mock/minimal net/http, per round)\t%s\t\t\n", minimal.rps)
	if prism != nil {
		r := mock.rps / prism.rps
		row("throughput mock/Prism", fmt.Sprintf("%.1f", r), ">= 25", r >= 25)
		// Context, not a target: the mock cannot outrun the bare server, so
		// bare/Prism bounds what mock/Prism can reach on this machine.
		fmt.Fprintf(tw, "  (ceiling: bare/Prism)\t%.1f\t\t\n", bare.rps/prism.rps)
	} else {
		fmt.Fprintf(tw, "throughput mock/Prism\tnot measured\t>= 25\tSKIPPED (no Prism)\n")
	}
	row("p99 latency mock/bare, per round", rr.p99.String(), "<= 1.2", rr.p99.median <= 1.2)
	row("mock start-up to first 200 (median)", mock.startup.Round(100*time.Microsecond).String(), "< 100ms", mock.startup < 100*time.Millisecond)
	row("mock RSS after the load (worst round)", fmt.Sprintf("%.1f MiB", mib(mock.afterRSSMax)), "<= 32 MiB", mock.afterRSSMax <= 32<<20)
	_ = tw.Flush()
}

// suiteCost runs the contract suite's test binary against the in-process
// mock, and against a running revoke-mock with tokens from the token command
// (as a backend team runs it), and prints the median Ginkgo run time and the
// sessions it minted. It also times the token command alone, to show how
// the suite's cost grows with the sessions it mints: the two runs send the
// same requests and differ in how each session is minted.
func suiteCost(ctx context.Context, out io.Writer, root, work, mockBin string, runs int) error {
	bin := filepath.Join(work, "contract.test")
	cmd := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, "./contract")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go test -c ./contract: %v\n%s", err, b)
	}
	fmt.Fprintf(out, "contract suite cost (%d runs each, strict, median):\n", runs)
	base := withoutPrefix(os.Environ(), "CONTRACT_")
	inProcess := append(slices.Clone(base), "CONTRACT_STRICT=1")
	in, err := suiteRows(ctx, out, root, bin, "in-process mock, tokens from its control API", inProcess, runs)
	if err != nil {
		return err
	}

	port, err := loopback.FreePort()
	if err != nil {
		return err
	}
	s, err := spawn("revoke-mock (issued)", root, filepath.Join(work, "suite-mock.log"), port,
		[]string{mockBin, "--host", "127.0.0.1", "--port", strconv.Itoa(port), "--sessions", "issued"}, withoutPrefix(os.Environ(), "REVOKE_MOCK_"))
	if err != nil {
		return err
	}
	defer s.stop()
	if err := s.waitHealthy(ctx, 30*time.Second); err != nil {
		return err
	}
	tokenCmd := fmt.Sprintf("%s token --url %s --user \"$CONTRACT_USER\"", shell.Quote(mockBin), s.url)
	external := append(slices.Clone(base), "CONTRACT_STRICT=1", "CONTRACT_BASE_URL="+s.url, "CONTRACT_TOKEN_CMD="+tokenCmd)
	ext, err := suiteRows(ctx, out, root, bin, "revoke-mock process, tokens from CONTRACT_TOKEN_CMD (revoke-mock token)", external, runs)
	if err != nil {
		return err
	}
	byURL := append(slices.Clone(base), "CONTRACT_STRICT=1", "CONTRACT_BASE_URL="+s.url, "CONTRACT_TOKEN_URL="+s.url+"/__mock/sessions")
	if _, err := suiteRows(ctx, out, root, bin, "revoke-mock process, tokens from CONTRACT_TOKEN_URL (one POST each)", byURL, runs); err != nil {
		return err
	}

	perToken, err := timeTokenCmd(ctx, tokenCmd, append(slices.Clone(base), "CONTRACT_USER=loadcompare"), 10)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  growth with the sessions minted: the token command alone takes %.1f ms per session (median of 10);\n", ms(perToken))
	fmt.Fprintf(out, "    in-process time + %d sessions x %.1f ms = %.2fs predicted, %.2fs measured through CONTRACT_TOKEN_CMD\n",
		ext.minted, ms(perToken), in.suite.Seconds()+float64(ext.minted)*perToken.Seconds(), ext.suite.Seconds())
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// timeTokenCmd runs the token command n times as the suite does (sh -c) and
// returns the median wall time. Its output, a token, is discarded unread.
func timeTokenCmd(ctx context.Context, tokenCmd string, env []string, n int) (time.Duration, error) {
	times := make([]time.Duration, 0, n)
	for range n {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		cmd := exec.CommandContext(cctx, "sh", "-c", tokenCmd)
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		t0 := time.Now()
		err := cmd.Run()
		d := time.Since(t0)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("the token command failed: %v: %s", err, tail(stderr.String(), 500))
		}
		times = append(times, d)
	}
	slices.Sort(times)
	return times[len(times)/2], nil
}

var (
	ginkgoRan    = regexp.MustCompile(`Ran (\d+) of (\d+) Specs in ([0-9.]+) seconds`)
	suiteMinted  = regexp.MustCompile(`(?m)^sessions minted: (\d+)`)
	suiteExitMsg = regexp.MustCompile(`(?m)^exit status: (\d+)`)
)

// suiteFigures are the medians of suiteRows.
type suiteFigures struct {
	suite, wall time.Duration
	minted      int
}

func suiteRows(ctx context.Context, out io.Writer, root, bin, label string, env []string, runs int) (suiteFigures, error) {
	var secs, walls []float64
	minted := -1
	var specs string
	for range runs {
		cmd := exec.CommandContext(ctx, bin, "-test.run", "^TestContract$", "-test.count=1", "-ginkgo.no-color")
		cmd.Dir = filepath.Join(root, "contract") // where go test runs it
		cmd.Env = env
		cmd.SysProcAttr = groupAttr()
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		cmd.WaitDelay = 5 * time.Second
		t0 := time.Now()
		b, err := cmd.CombinedOutput()
		wall := time.Since(t0)
		text := string(b)
		if err != nil {
			return suiteFigures{}, fmt.Errorf("%s: the suite failed (%v); its output:\n%s", label, err, tail(text, 3000))
		}
		m := ginkgoRan.FindStringSubmatch(text)
		if m == nil {
			return suiteFigures{}, fmt.Errorf("%s: no Ginkgo run time in the output:\n%s", label, tail(text, 3000))
		}
		if e := suiteExitMsg.FindStringSubmatch(text); e == nil || e[1] != "0" {
			return suiteFigures{}, fmt.Errorf("%s: the suite's summary does not say exit status 0:\n%s", label, tail(text, 3000))
		}
		v, _ := strconv.ParseFloat(m[3], 64)
		secs = append(secs, v)
		walls = append(walls, wall.Seconds())
		specs = m[1] + " of " + m[2] + " rules"
		if mm := suiteMinted.FindStringSubmatch(text); mm != nil {
			minted, _ = strconv.Atoi(mm[1])
		}
	}
	slices.Sort(secs)
	slices.Sort(walls)
	suite, wall := secs[len(secs)/2], walls[len(walls)/2]
	fmt.Fprintf(out, "  %s\n    %s in %.3fs of suite time (%.2fs for the whole test binary)", label, specs, suite, wall)
	if minted > 0 {
		fmt.Fprintf(out, "; %d sessions minted", minted)
	}
	verdict := "met"
	if suite >= 5 {
		verdict = "MISSED"
	}
	fmt.Fprintf(out, "\n    target: under 5s of suite time: %s\n", verdict)
	return suiteFigures{suite: time.Duration(suite * float64(time.Second)), wall: time.Duration(wall * float64(time.Second)), minted: minted}, nil
}

// mockProfile is the PGO profile tools/dist.sh builds revoke-mock with.
const mockProfile = "mockserver/cmd/revoke-mock/revoke-mock.pgo"

// goBuild builds pkg as tools/dist.sh builds a release binary for this
// machine (static, -trimpath, no symbol table), with the PGO profile pgo
// ("off": none): what is measured is what users run.
func goBuild(ctx context.Context, root, out, pkg, pgo string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-pgo="+pgo, "-ldflags=-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// findPrism is the pinned Prism: on PATH (make bench puts
// tools/node_modules/.bin there) or in tools/node_modules.
func findPrism(ctx context.Context, root string) (path, version string, err error) {
	path, err = exec.LookPath("prism")
	if err != nil {
		path = filepath.Join(root, "tools", "node_modules", ".bin", "prism")
		if _, serr := os.Stat(path); serr != nil {
			return "", "", errors.New("prism is neither on PATH nor in tools/node_modules/.bin")
		}
	}
	vctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	b, err := exec.CommandContext(vctx, path, "--version").Output()
	if err != nil {
		return "", "", fmt.Errorf("%s --version: %v", path, err)
	}
	return path, strings.TrimSpace(string(b)), nil
}

func withoutPrefix(env []string, prefix string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, prefix) })
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return "unknown CPU"
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func roundLatency(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(10 * time.Microsecond)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
