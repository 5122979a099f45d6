package teeth

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/contract"
	"github.com/flashback/revoke-contract/contract/internal/model"
	"github.com/flashback/revoke-contract/contract/internal/redact"
	"github.com/flashback/revoke-contract/contract/internal/wire"
	"github.com/flashback/revoke-contract/contract/runner"
	"github.com/flashback/revoke-contract/internal/shell"
	"github.com/flashback/revoke-contract/internal/testenv"
	"github.com/flashback/revoke-contract/mockserver"
	"github.com/flashback/revoke-contract/mockserver/controlclient"
)

// direct drives the model-based checker in this process against a teeth
// backend: the suite's own client, sessions minted with one POST each, no
// budget. The end-to-end path (revoke-contract, its reports) is
// TestModelHistoryReproduces's.
type direct struct {
	client *wire.Client
	base   string
}

func newDirect(t *testing.T, b http.Handler) *direct {
	t.Helper()
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	c := wire.NewClient(u, 10*time.Second, &redact.Redactor{}, &wire.Recorder{})
	c.Configure(wire.Settings{RateLimitWait: time.Minute})
	return &direct{client: c, base: srv.URL}
}

func (d *direct) Do(ctx context.Context, r wire.Request) *wire.Exchange {
	return d.client.Do(ctx, "MODEL", r)
}

func (d *direct) Mint(ctx context.Context, user string) (string, error) {
	return controlclient.Mint(ctx, http.DefaultClient, d.base, user)
}

func (d *direct) Left(string) int { return -1 }

func explore(t *testing.T, b *Backend, cfg model.Config) model.Result {
	t.Helper()
	d := newDirect(t, b)
	cfg.Script = model.Script{BaseURL: d.base, Mint: func(user string) string {
		return "curl -s -X POST " + shell.Quote(d.base+"/__mock/sessions") + ` --data '{"user":"` + user + `"}' | sed -n 's/.*"token" *: *"\([^"]*\)".*/\1/p'`
	}, Probe: cfg.Probe}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	return model.Run(ctx, d, cfg)
}

// defectSteps is the exploration's length for the defects: long enough to
// reach every family of the vocabulary with live and dead sessions. The
// default run (model.DefaultSteps) is the one make test runs against the
// mock.
const defectSteps = 1500

// TestModelFindsEveryDefect (~20 s on two idle cores, its 13 defects in
// parallel: the proof the checker has teeth, in make test): each defect of ModelDefects fails the model
// on its rule, with a shrunk history of at most 6 steps that reproduced on
// replay; the default seed, so the verdict is the same on every run.
func TestModelFindsEveryDefect(t *testing.T) {
	t.Parallel()
	rules := map[string]bool{}
	families := map[string]bool{}
	for _, d := range ModelDefects {
		rules[d.Rule] = true
		families[strings.Fields(d.Family)[0]] = true
	}
	for _, r := range []string{model.RuleIdentity, model.RuleRevocation, model.RuleUnchanged, model.RuleAnswers} {
		if !rules[r] {
			t.Errorf("no model defect breaks %s", r)
		}
	}
	for _, f := range model.Families() {
		if !families[f] {
			t.Errorf("no model defect stands for the vocabulary family %s", f)
		}
	}
	if len(ModelDefects) < 12 {
		t.Errorf("%d model defects, want at least 12", len(ModelDefects))
	}
	for _, d := range ModelDefects {
		t.Run(string(d.Knob), func(t *testing.T) {
			t.Parallel()
			cfg := model.Config{Seed: 1, Steps: defectSteps}
			if d.Durability {
				// The default length: the history is over long before the
				// revocation wears off, and the durability check finds it,
				// however loaded the machine.
				cfg.Steps, cfg.DurabilityWait = model.DefaultSteps, 1500*time.Millisecond
			}
			res := explore(t, NewBackend(d.Knob), cfg)
			v := res.Violation
			if v == nil {
				t.Fatalf("the model passed a backend that %s: %s", d.Knob, res.Summary())
			}
			if v.Rule != d.Rule {
				t.Errorf("violation of %s, want %s:\n%s", v.Rule, d.Rule, v)
			}
			if v.Steps > 6 || !v.Reproduced {
				t.Errorf("shrunk history of %d steps (reproduced: %v), want at most 6 that reproduce:\n%s", v.Steps, v.Reproduced, v)
			}
			t.Logf("%s\n%s", res.Summary(), v)
		})
	}
}

// TestModelIsFairToCorrectBackends: the reference backend, each of the
// model's legitimate variations, and those that combine all at once, pass
// over 20 seeds (the rules' variations over 3), with and without a probe;
// the runs go in parallel, as CI's do.
func TestModelIsFairToCorrectBackends(t *testing.T) {
	t.Parallel()
	type backend2 = struct {
		name  string
		knobs []Knob
		seeds uint64
	}
	backends := []backend2{{"reference", nil, 20}, {"caps, expiry, lenient paths, streams, slow, at once", []Knob{CapsSessions, ExpiresSessions, LenientPaths, StreamsBody, Slow}, 20}}
	for _, k := range ModelVariations {
		backends = append(backends, backend2{string(k), []Knob{k}, 20})
	}
	// make test (-short) runs 5 seeds of each; the full 20 run in make
	// long (.ci/run): ~13 s on two idle cores, ~40 s under load.
	if testing.Short() {
		for i := range backends {
			backends[i].seeds = 5
		}
	}
	// The rules' variations (bodies, messages, JWTs) matter less to the
	// model: a few seeds each.
	for _, k := range Variations {
		backends = append(backends, backend2{string(k), []Knob{k}, 3})
	}
	// Many at once, not as parallel subtests (go test runs GOMAXPROCS of
	// those at a time): most of a run is waiting (rate limits, expiry,
	// slow answers), little of it CPU.
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	runs := 0
	for _, b := range backends {
		for seed := uint64(1); seed <= b.seeds; seed++ {
			runs++
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				cfg := model.Config{Seed: seed, DurabilityWait: 300 * time.Millisecond}
				if seed%2 == 0 {
					cfg.Probe = &model.ProbeSpec{Method: "GET", Path: "/v1/me"}
				}
				res := explore(t, NewBackend(b.knobs...), cfg)
				if res.Violation != nil || res.Stopped != "" {
					t.Errorf("%s, seed %d: a correct backend failed the model (%s):\n%v", b.name, seed, res.Summary(), res.Violation)
				}
			}()
		}
	}
	wg.Wait()
	t.Logf("%d runs of %d backends", runs, len(backends))
}

// TestModelIsFairToTheMock: the mock (sessions issued by its control
// API, as go test ./contract runs it) passes the model over 20 seeds (5 in
// make test), with no probe (it has none), the runs in parallel.
func TestModelIsFairToTheMock(t *testing.T) {
	t.Parallel()
	seeds := uint64(20)
	if testing.Short() {
		seeds = 5
	}
	var wg sync.WaitGroup
	for seed := uint64(1); seed <= seeds; seed++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mock, err := mockserver.New(mockserver.Options{Sessions: mockserver.SessionsIssued})
			if err != nil {
				t.Error(err)
				return
			}
			d := newDirect(t, mock)
			cfg := model.Config{Seed: seed, DurabilityWait: 300 * time.Millisecond}
			cfg.Script = model.Script{BaseURL: d.base, Mint: func(string) string { return "true" }}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if res := model.Run(ctx, d, cfg); res.Violation != nil || res.Stopped != "" {
				t.Errorf("seed %d: the mock failed the model (%s):\n%v", seed, res.Summary(), res.Violation)
			}
		}()
	}
	wg.Wait()
}

// TestModelInfersCap: against a backend that keeps 10 live sessions per
// user, the checker says so.
func TestModelInfersCap(t *testing.T) {
	t.Parallel()
	res := explore(t, NewBackend(CapsSessions), model.Config{Seed: 3, Steps: 300, Probe: &model.ProbeSpec{Method: "GET", Path: "/v1/me"}})
	if res.Violation != nil {
		t.Fatalf("violation: %v", res.Violation)
	}
	// What the evidence allows: "at most 10", or a range that holds 10.
	capRE := regexp.MustCompile(`keeps (?:at most (\d+)|between (\d+) and (\d+)) live sessions per user`)
	for _, s := range res.Inferred {
		if m := capRE.FindStringSubmatch(s); m != nil {
			lo, hi := atoi(m[1]+m[2]), atoi(m[1]+m[3])
			if m[1] != "" {
				lo = hi
			}
			if lo > 10 || hi < 10 {
				t.Errorf("inferred a cap of %d to %d, the backend's is 10: %s", lo, hi, s)
			}
			t.Log(s)
			return
		}
	}
	t.Errorf("no inference of the cap: %q", res.Inferred)
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

var hostPort = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)

// TestModelIsDeterministic: the same seed against the same defect, three
// times at once, gives the same shrunk history.
func TestModelIsDeterministic(t *testing.T) {
	if testing.Short() {
		// Three explorations and shrinks at once: ~15 s on two idle cores.
		t.Skip("make long, in .ci/run (TestModelFindsEveryDefect's seed-1 histories are the same on every run of make test)")
	}
	t.Parallel()
	var mu sync.Mutex
	var scripts []string
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := explore(t, NewBackend(UserIDHeaderWins), model.Config{Seed: 1, Steps: defectSteps})
			s := "no violation"
			if res.Violation != nil {
				var lines []string
				for _, l := range res.Violation.Lines {
					// Each run has a server of its own: its port aside.
					lines = append(lines, l.N+" "+hostPort.ReplaceAllString(l.Command, "HOST")+" # "+l.Note)
				}
				s = strings.Join(lines, "\n")
			}
			mu.Lock()
			scripts = append(scripts, s)
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, s := range scripts[1:] {
		if s != scripts[0] {
			t.Fatalf("two runs with the same seed gave different histories:\n%s\n---\n%s", scripts[0], s)
		}
	}
	if scripts[0] == "no violation" {
		t.Fatal("the defect was not found")
	}
}

// TestModelHistoryReproduces (~7 s: the README's promise that the printed
// history reproduces, in make test) runs revoke-contract against a defect as a
// backend team would (a token command, the JSON, JUnit and HTML reports)
// and then the reported history, as printed, with bash and curl: every
// step answers what the history says, the violating one included.
func TestModelHistoryReproduces(t *testing.T) {
	t.Parallel()
	curl := testenv.LookPath(t, "the reported history run as a script", "apt-get install curl", "curl")
	b := NewBackend(UserIDHeaderWins)
	srv := httptest.NewServer(b)
	defer srv.Close()
	release := slot(t)
	// Sessions from the backend's token URL: a process per session would
	// cost some hundreds of starts (TestReferenceBackendPassesStrict runs
	// the model with a token command).
	res, err := runner.Run(context.Background(), runner.Options{BaseURL: srv.URL, Mint: true, LabelFilter: "model", HTML: true,
		Args: []string{"--steps", fmt.Sprint(defectSteps), "--durability-wait", "0s", "--sessions-per-user", "1000"}})
	release()
	if err != nil {
		t.Fatal(err)
	}
	assertNoTokenLeaks(t, b, res)
	if res.ExitCode != 1 || !slices.Contains(res.Rules("failed"), "MODEL-001") {
		t.Fatalf("exit %d, failed %v, want 1 and MODEL-001:\n%s", res.ExitCode, res.Rules("failed"), res.Output)
	}
	var h *contract.JSONHistory
	for _, r := range res.Report.Rules {
		for _, v := range r.Violations {
			if r.ID == "MODEL-001" && v.History != nil {
				h = v.History
			}
		}
	}
	if h == nil || h.Steps > 6 || !h.Reproduced || !strings.Contains(h.Replay, "--seed 1") {
		t.Fatalf("the JSON report's MODEL-001 violation has no shrunk, reproduced history of at most 6 steps with the replay command: %+v", h)
	}
	if res.Report.Model == nil || res.Report.Model.Histories < 2 || res.Report.Model.Requests == 0 {
		t.Errorf("the JSON report does not account for the model's run: %+v", res.Report.Model)
	}
	for _, where := range []struct{ name, text string }{{"JUnit", res.JUnit}, {"HTML", res.HTML}, {"output", res.Output}} {
		if !strings.Contains(where.text, "TOKEN_1") || !strings.Contains(where.text, "shrunk") {
			t.Errorf("the %s report does not show the history", where.name)
		}
	}
	// The script, run as printed.
	script := filepath.Join(t.TempDir(), "history.sh")
	if err := os.WriteFile(script, []byte(h.Script), 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run := exec.CommandContext(ctx, "bash", script)
	run.Env = append(os.Environ(), "PATH="+filepath.Dir(curl)+":"+os.Getenv("PATH"))
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("bash history.sh: %v\n%s", err, out)
	}
	got := regexp.MustCompile(`\[step (\d+): (\d{3})\]`).FindAllStringSubmatch(string(out), -1)
	want := map[string]string{}
	for _, l := range h.Lines {
		if m := regexp.MustCompile(`; got (\d{3})`).FindStringSubmatch(l.Note); m != nil {
			want[l.N] = m[1]
		}
	}
	if len(got) == 0 || len(want) == 0 {
		t.Fatalf("no step statuses (want %v) in the script's output:\n%s\nscript:\n%s", want, out, h.Script)
	}
	for _, g := range got {
		if w, ok := want[g[1]]; ok && w != g[2] {
			t.Errorf("step %s answered %s when run as printed, the history says %s:\n%s", g[1], g[2], w, out)
		}
		delete(want, g[1])
	}
	if len(want) > 0 {
		t.Errorf("steps %v did not run:\n%s", want, out)
	}
	if last := h.Lines[len(h.Lines)-1]; !strings.Contains(last.Note, "VIOLATION") {
		t.Errorf("the last step is not the violation: %+v", last)
	}
}
