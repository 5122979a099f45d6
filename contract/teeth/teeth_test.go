package teeth

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/contract"
	"github.com/flashback/revoke-contract/contract/runner"
	"github.com/flashback/revoke-contract/internal/shell"
)

// TestMain lets go test run up to 32 of this package's parallel tests at
// once (unless -parallel says otherwise), not GOMAXPROCS: most of them wait
// more than they compute (a backend that hangs or drips, Retry-After, a
// revocation that wears off), and the suite runs that do compute are
// bounded by cpuSlots. At the default of 2, the waits came one after
// another: the package took 80-100 s, of which ~50 s of CPU.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		if err := flag.Set("test.parallel", "32"); err != nil {
			panic(err)
		}
	}
	runner.Main(m)
}

// cpuSlots bounds the suite runs at once that are busy on the CPU most of
// their time (a process each); waitSlots those that mostly wait (marked by
// mostlyWaiting).
var (
	cpuSlots  = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	waitSlots = make(chan struct{}, 16)
	waiting   sync.Map // *testing.T -> true
)

// mostlyWaiting marks t's suite runs as ones that spend their time waiting
// for a timeout or a Retry-After, so that they do not hold a CPU slot.
func mostlyWaiting(t *testing.T) { waiting.Store(t, true) }

// slot takes a slot for one of t's suite runs; the function returned
// gives it back.
func slot(t *testing.T) (release func()) {
	ch := cpuSlots
	if _, ok := waiting.Load(t); ok {
		ch = waitSlots
	}
	ch <- struct{}{}
	return func() { <-ch }
}

// run runs the suite once against b, minting sessions with one POST to the
// backend's /__mock/sessions each (CONTRACT_TOKEN_URL): a token command
// would start a process per session, some 50 per run.
func run(t *testing.T, b *Backend, strict bool, timeout time.Duration) runner.Result {
	t.Helper()
	return runWith(t, b, runner.Options{Mint: true, Strict: strict, Timeout: timeout})
}

func runWith(t *testing.T, b *Backend, o runner.Options) runner.Result {
	t.Helper()
	if o.LabelFilter == "" {
		// The rules' defects: the model's are model_test.go's.
		o.LabelFilter = "!model"
	}
	defer slot(t)()
	srv := httptest.NewServer(b)
	defer srv.Close()
	o.BaseURL, o.Deadline = srv.URL, 3*time.Minute
	res, err := runner.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	assertNoTokenLeaks(t, b, res)
	assertSessionsMinted(t, len(b.Issued()), res)
	return res
}

// assertSessionsMinted: the summary's count is what the backend issued.
func assertSessionsMinted(t *testing.T, issued int, res runner.Result) {
	t.Helper()
	if want := fmt.Sprintf("\nsessions minted: %d\n", issued); !strings.Contains(res.Output, want) {
		t.Errorf("the summary does not say %q (the backend issued %d sessions):\n%s", strings.TrimSpace(want), issued, res.Output)
	}
}

// assertNoTokenLeaks: no token the backend handed out may appear in the
// suite's output or its JUnit report, whatever the backend did.
func assertNoTokenLeaks(t *testing.T, b *Backend, res runner.Result) {
	t.Helper()
	issued := b.Issued()
	if len(issued) == 0 {
		t.Fatalf("the suite minted no session:\n%s", res.Output)
	}
	for _, tok := range issued {
		if strings.Contains(res.Output, tok) || strings.Contains(res.JUnit, tok) {
			t.Fatalf("a token appears in the suite's output or JUnit report")
		}
	}
}

// TestReferenceBackendPassesStrict mints with a token command, the way
// most backends are tested: the documented `revoke-mock token`.
func TestReferenceBackendPassesStrict(t *testing.T) {
	t.Parallel()
	bins, err := runner.Build()
	if err != nil {
		t.Fatal(err)
	}
	cmd := shell.Quote(bins.Mock) + ` token --url "$CONTRACT_BASE_URL" --user "$CONTRACT_USER"`
	// Every rule, the model's too, with the backend's probe.
	res := runWith(t, NewBackend(), runner.Options{TokenCmd: cmd, Strict: true, LabelFilter: "model || !model",
		Args: []string{"--probe", "GET /v1/me", "--durability-wait", "1s"}})
	if res.ExitCode != 0 || len(res.Rules("failed")) > 0 {
		t.Fatalf("exit %d, failed %v:\n%s", res.ExitCode, res.Rules("failed"), res.Failures())
	}
	passed, notApplicable := wantPassed(nil, true)
	if skipped := res.Rules("skipped"); !slices.Equal(skipped, notApplicable) {
		t.Errorf("a backend with a token command must run every rule that applies to it; skipped: %v, want %v", skipped, notApplicable)
	}
	if got := res.Rules("passed"); !slices.Equal(got, passed) {
		t.Errorf("passed rules %v, want every rule of the catalogue that applies %v", got, passed)
	}
	var must, should int
	for _, id := range passed {
		if r, _ := contract.RuleByID(id); r.Level == contract.Must {
			must++
		} else {
			should++
		}
	}
	if want := fmt.Sprintf("MUST %d/%d, SHOULD %d/%d", must, must, should, should); res.Report == nil || res.Report.Summary.Score != want {
		t.Errorf("the JSON report's score is not %q: %+v", want, res.Report)
	}
}

// wantPassed are the rules a conforming backend with knobs passes, and
// those it must skip: the rules of the catalogue with an OnlyWhen (AUTH-014,
// for JWTs) apply only to the backends that issue JWTs.
func wantPassed(knobs []Knob, model bool) (passed, skipped []string) {
	jwts := slices.Contains(knobs, SignedJWTs) || slices.Contains(knobs, AcceptsAlgNone)
	for _, r := range contract.Catalogue {
		if r.Group == "model" && !model {
			skipped = append(skipped, r.ID) // not selected ("!model"): JUnit says skipped
			continue
		}
		if r.OnlyWhen != "" && !jwts {
			skipped = append(skipped, r.ID)
		} else {
			passed = append(passed, r.ID)
		}
	}
	slices.Sort(passed)
	slices.Sort(skipped)
	return passed, skipped
}

// steadyRepeats is how many times TestVerdictIsSteady runs the suite
// against each conforming backend. The flake it guards against (HTTP-004
// failing backends that answer before reading a large body) showed in about
// one run in six; 10 runs of each of the three backends that answer early
// would all pass with a probability of (5/6)^30 < 0.5 %, and
// TestClientAnswerBeforeBodyCounts in package contract hammers the same
// race 400 times. Ten runs of each of the 10 backends cost about as much as
// the 50 defect runs.
const steadyRepeats = 10

// TestVerdictIsSteady: the reference backend and every legitimate variation
// (one at a time, and all at once) pass the strict suite, every rule of the
// catalogue passing, in each of steadyRepeats runs made in parallel. A rule
// whose verdict depends on timing shows here as a run that differs.
func TestVerdictIsSteady(t *testing.T) {
	t.Parallel()
	backends := []struct {
		name  string
		knobs []Knob
	}{{"reference", nil}, {"all variations at once", Variations}}
	for _, k := range Variations {
		backends = append(backends, struct {
			name  string
			knobs []Knob
		}{string(k), []Knob{k}})
	}
	repeats := steadyRepeats
	if testing.Short() {
		// make test: 4 runs of each (40 s of CPU less); make long (.ci/run)
		// runs all 10, the figure the estimate above rests on.
		repeats = 4
	}
	for _, b := range backends {
		want, notApplicable := wantPassed(b.knobs, false)
		for i := 1; i <= repeats; i++ {
			t.Run(fmt.Sprintf("%s/run %d", b.name, i), func(t *testing.T) {
				t.Parallel()
				res := run(t, NewBackend(b.knobs...), true, 0)
				if res.ExitCode != 0 {
					t.Fatalf("a conforming backend failed the strict suite (exit %d):\n%s", res.ExitCode, res.Failures())
				}
				if got := res.Rules("passed"); !slices.Equal(got, want) {
					t.Fatalf("passed rules %v, want every rule %v (skipped %v)", got, want, res.Rules("skipped"))
				}
				if got := res.Rules("skipped"); !slices.Equal(got, notApplicable) {
					t.Fatalf("skipped rules %v, want only those that do not apply %v", got, notApplicable)
				}
			})
		}
	}
}

func TestEveryDefectFailsItsRule(t *testing.T) {
	t.Parallel()
	rules := map[string]bool{}
	for _, d := range Defects {
		rules[strings.Split(d.Rule, "-")[0]] = true
	}
	if len(Defects) < 20 || len(rules) < 4 {
		t.Fatalf("the catalogue must cover at least 20 defects across every group: %d defects, groups %v", len(Defects), rules)
	}
	// A rule that no broken backend fails may be a rule that cannot fail
	// (the MODEL rules' defects are ModelDefects, model_test.go's).
	for _, r := range contract.Catalogue {
		if !slices.ContainsFunc(Defects, func(d Defect) bool { return d.Rule == r.ID }) &&
			!slices.ContainsFunc(ModelDefects, func(d ModelDefect) bool { return d.Rule == r.ID }) {
			t.Errorf("no defect proves that %s can fail", r.ID)
		}
	}
	for _, d := range Defects {
		t.Run(d.Rule+"/"+string(d.Knob), func(t *testing.T) {
			t.Parallel()
			// The suite's default timeout, far above any answer on loopback
			// even on a loaded machine, except for the defects that hang or
			// drip, which must cost a few short timeouts, not minutes.
			var timeout time.Duration
			if d.Slow {
				timeout = time.Second
			}
			if d.Slow || d.Waits {
				mostlyWaiting(t)
			}
			res := run(t, NewBackend(d.Knob), false, timeout)
			if d.Should {
				// Not strict: reported as a finding, the run passes.
				if res.ExitCode != 0 {
					t.Fatalf("a SHOULD defect failed the non-strict run (exit %d):\n%s", res.ExitCode, res.Failures())
				}
				if !slices.Contains(res.FindingRules(), d.Rule) {
					t.Fatalf("%s not reported as a finding; findings %v", d.Rule, res.FindingRules())
				}
				res = run(t, NewBackend(d.Knob), true, timeout)
			}
			if res.ExitCode == 0 {
				t.Fatalf("the suite passed a backend that %s (strict=%v)", d.Knob, d.Should)
			}
			if !slices.Contains(res.Rules("failed"), d.Rule) {
				t.Fatalf("want %s among the failed rules, got %v:\n%s", d.Rule, res.Rules("failed"), res.Failures())
			}
			if failed := res.Rules("failed"); d.Only && !slices.Equal(failed, []string{d.Rule}) {
				t.Errorf("only %s may fail: the rule must catch what the others miss; failed %v:\n%s", d.Rule, failed, res.Failures())
			}
			if d.Says != "" && !strings.Contains(res.Failures(), d.Says) {
				t.Errorf("the failure report does not say %q:\n%s", d.Says, res.Failures())
			}
			if os.Getenv("TEETH_VERBOSE") != "" {
				t.Logf("%s: exit %d in %v, failed %v", d.Knob, res.ExitCode, res.Elapsed.Round(time.Millisecond), res.Rules("failed"))
			}
		})
	}
}

// TestStaticTokenOnly: with one CONTRACT_TOKEN and no command, the rules
// that need more sessions are skipped, each with its reason, the summary
// counts them, and SCHEMA-001 still checks a real 200 with the one token.
func TestStaticTokenOnly(t *testing.T) {
	t.Parallel()
	b := NewBackend()
	srv := httptest.NewServer(b)
	defer srv.Close()
	token := mintDirect(t, b, "primary")
	release := slot(t)
	res, err := runner.Run(context.Background(), runner.Options{BaseURL: srv.URL, Token: token, Strict: true})
	release()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(res.Output, token) || strings.Contains(res.JUnit, token) {
		t.Fatal("the static token appears in the output or the JUnit report")
	}
	if res.ExitCode != 0 {
		t.Fatalf("exit %d:\n%s", res.ExitCode, res.Failures())
	}
	skipped := res.Rules("skipped")
	if len(skipped) == 0 || !slices.Contains(skipped, "REV-002") {
		t.Fatalf("rules needing several sessions must be skipped; skipped %v", skipped)
	}
	if !strings.Contains(res.Output, "needs CONTRACT_TOKEN_CMD") {
		t.Errorf("the skip reasons are not in the output:\n%s", res.Output)
	}
	if !strings.Contains(res.Output, "skipped rules with reasons: ") || strings.Contains(res.Output, "skipped rules with reasons: 0") {
		t.Errorf("the summary does not count the skipped rules")
	}
	if !slices.Contains(res.Rules("passed"), "SCHEMA-001") {
		t.Errorf("SCHEMA-001 should spend the one token; passed %v", res.Rules("passed"))
	}
	assertSessionsMinted(t, 0, res)
}

// mintDirect mints a session through the backend's control endpoint.
func mintDirect(t *testing.T, b *Backend, user string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	b.ServeHTTP(rec, httptest.NewRequest("POST", "/__mock/sessions", strings.NewReader(`{"user":"`+user+`"}`)))
	var out struct{ Token string }
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Token == "" {
		t.Fatalf("mint: %d %s", rec.Code, rec.Body)
	}
	return out.Token
}

// TestReadmeCounts: the README's numbers of defects and variations are the
// catalogue's.
func TestReadmeCounts(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pattern string
		want    int
	}{{`(\d+) deliberate\s+defects`, len(Defects)}, {`(\d+) legitimate\s+variations`, len(Variations)}} {
		m := regexp.MustCompile(c.pattern).FindSubmatch(data)
		if m == nil {
			t.Errorf("the README does not say %q", c.pattern)
			continue
		}
		if got, _ := strconv.Atoi(string(m[1])); got != c.want {
			t.Errorf("the README says %s, contract/teeth has %d", m[0], c.want)
		}
	}
}
