package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/internal/modroot"
)

// wrkOutput is wrk 4.1's --latency output (a run against a server that
// answered 501 to every POST, with a few socket errors added).
const wrkOutput = `Running 1s test @ http://127.0.0.1:4597/
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   796.34us  352.33us   3.01ms   73.66%
    Req/Sec     2.43k   315.67     2.91k    72.73%
  Latency Distribution
     50%  743.00us
     75%    0.97ms
     90%    1.24ms
     99%    1.92ms
  2663 requests in 1.10s, 1.41MB read
  Socket errors: connect 0, read 3, write 0, timeout 1
  Non-2xx or 3xx responses: 2663
Requests/sec:   2421.96
Transfer/sec:      1.28MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkOutput)
	if err != nil {
		t.Fatal(err)
	}
	if r.rps != 2421.96 || r.p50 != 743*time.Microsecond || r.p99 != 1920*time.Microsecond || r.requests != 2663 || r.non2xx != 2663 {
		t.Errorf("parsed %+v", r)
	}
	problems := r.describeErrors()
	for _, want := range []string{"2663 non-2xx answers", "read 3", "timeout 1"} {
		if !strings.Contains(problems, want) {
			t.Errorf("describeErrors() = %q, want it to mention %q", problems, want)
		}
	}

	clean := strings.NewReplacer("  Socket errors: connect 0, read 3, write 0, timeout 1\n", "", "  Non-2xx or 3xx responses: 2663\n", "").Replace(wrkOutput)
	r, err = parseWrk(clean)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.describeErrors(); got != "" {
		t.Errorf("a clean run has problems %q", got)
	}

	for name, broken := range map[string]string{
		"no Requests/sec": strings.Replace(wrkOutput, "Requests/sec:", "Req:", 1),
		"no latency":      strings.Replace(wrkOutput, "99%", "98%", 1),
	} {
		if _, err := parseWrk(broken); err == nil {
			t.Errorf("%s: parsed without an error", name)
		}
	}
}

func TestSummarizeTakesMedians(t *testing.T) {
	ms := []measurement{
		{load: loadResult{rps: 300, p50: 3 * time.Millisecond, p99: 9 * time.Millisecond}, startup: 30 * time.Millisecond, peakRSS: 3 << 20, afterRSS: 3 << 20},
		{load: loadResult{rps: 100, p50: 1 * time.Millisecond, p99: 7 * time.Millisecond}, startup: 10 * time.Millisecond, peakRSS: 1 << 20, afterRSS: 9 << 20},
		{load: loadResult{rps: 200, p50: 2 * time.Millisecond, p99: 8 * time.Millisecond}, startup: 20 * time.Millisecond, peakRSS: 2 << 20, afterRSS: 2 << 20},
	}
	s := summarize(ms)
	if s.rps != 200 || s.minRPS != 100 || s.maxRPS != 300 || s.p50 != 2*time.Millisecond || s.p99 != 8*time.Millisecond ||
		s.startup != 20*time.Millisecond || s.peakRSS != 2<<20 || s.afterRSS != 3<<20 || s.afterRSSMax != 9<<20 || s.rounds != 3 {
		t.Errorf("summarize = %+v", s)
	}
	if even := summarize(ms[:2]); even.rps != 200 {
		t.Errorf("median of 300 and 100 = %v, want 200", even.rps)
	}
}

func TestRoundRatiosPairRounds(t *testing.T) {
	m := func(rps float64, p99 time.Duration) measurement {
		return measurement{load: loadResult{rps: rps, p99: p99}}
	}
	mock := []measurement{m(90, 12*time.Millisecond), m(50, 10*time.Millisecond), m(80, 8*time.Millisecond)}
	bare := []measurement{m(100, 10*time.Millisecond), m(50, 10*time.Millisecond), m(100, 10*time.Millisecond)}
	r := roundRatios(mock, bare)
	if r.rps.median != 0.9 || r.rps.min != 0.8 || r.rps.max != 1 {
		t.Errorf("throughput ratios %+v, want median 0.9 of 0.8..1 (round by round, not the ratio of medians)", r.rps)
	}
	if r.p99.median != 1 || r.p99.max != 1.2 || r.rps.String() != "0.90 (0.80-1.00)" {
		t.Errorf("p99 ratios %+v, %s", r.p99, r.rps)
	}
}

// TestCombineSlices: a round's rate is its requests over the time they
// took (a slow slice weighs as long as it lasted), its percentiles the
// median of the slices'.
func TestCombineSlices(t *testing.T) {
	c := combineSlices([]loadResult{
		{rps: 1000, requests: 1000, p50: 1 * time.Millisecond, p99: 9 * time.Millisecond},
		{rps: 3000, requests: 3000, p50: 2 * time.Millisecond, p99: 3 * time.Millisecond},
		{rps: 2000, requests: 4000, p50: 5 * time.Millisecond, p99: 4 * time.Millisecond, non2xx: 2},
	})
	// 8000 requests in 1 s + 1 s + 2 s.
	if c.rps != 2000 || c.requests != 8000 || c.non2xx != 2 || c.p50 != 2*time.Millisecond || c.p99 != 4*time.Millisecond {
		t.Errorf("combined %+v", c)
	}
}

// TestBuildsAsDistDoes: loadcompare measures revoke-mock built as make
// dist builds it: the same profile, static, -trimpath, no symbol table.
func TestBuildsAsDistDoes(t *testing.T) {
	root, err := modroot.FromWorkingDir()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, mockProfile)); err != nil {
		t.Fatalf("the profile loadcompare builds with: %v", err)
	}
	dist, err := os.ReadFile(filepath.Join(root, "tools", "dist.sh"))
	if err != nil {
		t.Fatal(err)
	}
	// dist.sh names a command's profile after the command, in its folder.
	for _, want := range []string{`"$cmd/$(basename "$cmd").pgo"`, `-pgo="$pgo"`, "CGO_ENABLED=0", "-trimpath", `ldflags="-s -w `} {
		if !strings.Contains(string(dist), want) {
			t.Errorf("tools/dist.sh no longer has %s: loadcompare's build (goBuild) must follow it", want)
		}
	}
	cmd := "mockserver/cmd/revoke-mock"
	if want := cmd + "/" + filepath.Base(cmd) + ".pgo"; mockProfile != want {
		t.Errorf("mockProfile = %s, but dist.sh builds %s with %s", mockProfile, cmd, want)
	}
}
