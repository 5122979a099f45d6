package e2e

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/flashback/revoke-contract/internal/testenv"
	"github.com/flashback/revoke-contract/internal/testkit"
	"github.com/flashback/revoke-contract/mockserver"
	"github.com/flashback/revoke-contract/spec"
)

//go:embed testdata/logout.html
var logoutPage []byte

const revokeAll = mockserver.RevokeAllPath

// Bounds: generous for a 2-core machine under -race, but every step ends.
const (
	wholeTestBudget = 4 * time.Minute
	stepTimeout     = 30 * time.Second
)

// TestBrowser runs every browser check in one Chromium: starting it is the
// expensive part. Each check gets its own mock on a fresh port, so a fresh
// origin, and Chromium's preflight cache never hides a preflight.
func TestBrowser(t *testing.T) {
	b := startBrowser(t)
	page := servePage(t)

	t.Run("200 body is the spec's documented example, after a real preflight", func(t *testing.T) {
		m := startMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
		tab := b.open(t, page, m.base)
		signIn(t, tab, "alice")
		r := evalFetch(t, tab, `e2e.revokeAs(0)`)
		r.wantStatus(t, 200)
		r.wantBody(t, documented(t, "200", "success"))
		if !strings.HasPrefix(r.ContentType, "application/json") {
			t.Errorf("Content-Type read by the page = %q, want application/json", r.ContentType)
		}
		pf := m.traffic.preflights(revokeAll)
		if len(pf) == 0 {
			t.Fatalf("no OPTIONS preflight for %s reached the mock; the page's Authorization header should force one. Traffic: %v", revokeAll, m.traffic.all())
		}
		if pf[0].ACRMethod != "POST" || !hasToken(pf[0].ACRHeaders, "authorization") || pf[0].Origin != page {
			t.Errorf("preflight = %+v, want Access-Control-Request-Method POST, -Headers with authorization, Origin %s", pf[0], page)
		}
		if pf[0].Status != http.StatusNoContent {
			t.Errorf("preflight answered %d, want 204", pf[0].Status)
		}
		if n := len(m.traffic.requests("POST", revokeAll)); n != 1 {
			t.Errorf("%d POST %s reached the mock, want 1", n, revokeAll)
		}
	})

	t.Run("Prefer: code=500 is allowed by the preflight and gives the documented 500", func(t *testing.T) {
		m := startMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
		tab := b.open(t, page, m.base)
		signIn(t, tab, "bob")
		r := evalFetch(t, tab, `e2e.revokeAs(0, "code=500")`)
		r.wantStatus(t, 500)
		r.wantBody(t, documented(t, "500", "server_error"))
		if r.PreferenceApplied == nil || *r.PreferenceApplied != "code=500" {
			t.Errorf("Preference-Applied read by the page = %v, want code=500 (exposed to JS)", deref(r.PreferenceApplied))
		}
		found := false
		for _, p := range m.traffic.preflights(revokeAll) {
			found = found || (hasToken(p.ACRHeaders, "prefer") && hasToken(p.ACRHeaders, "authorization"))
		}
		if !found {
			t.Errorf("no preflight asked for Prefer and Authorization; preflights: %v", m.traffic.preflights(revokeAll))
		}
		// A 500 revokes nothing: the session still works.
		evalFetch(t, tab, `e2e.revokeAs(0)`).wantStatus(t, 200)
	})

	t.Run("a 401 is readable: status, JSON body and WWW-Authenticate", func(t *testing.T) {
		m := startMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
		tab := b.open(t, page, m.base)

		missing := evalFetch(t, tab, `e2e.revokeAs(-1)`)
		missing.wantStatus(t, 401)
		missing.wantBody(t, documented(t, "401", "missing_token"))
		if c := deref(missing.WWWAuthenticate); !strings.HasPrefix(c, `Bearer realm="flashback"`) || strings.Contains(c, "error=") {
			t.Errorf("WWW-Authenticate read by the page without credentials = %q, want a Bearer challenge without error=", c)
		}

		invalid := evalFetch(t, tab, `e2e.revokeWith("no-such-session")`)
		invalid.wantStatus(t, 401)
		invalid.wantBody(t, documented(t, "401", "invalid_token"))
		if c := deref(invalid.WWWAuthenticate); !strings.HasPrefix(c, "Bearer ") || !strings.Contains(c, `error="invalid_token"`) {
			t.Errorf("WWW-Authenticate read by the page for an unknown token = %q, want a Bearer challenge with error=\"invalid_token\"", c)
		}
		if len(m.traffic.preflights(revokeAll)) == 0 {
			t.Errorf("no preflight reached the mock for the Authorization request")
		}
	})

	t.Run("log out everywhere: one device revokes, both devices get 401, other users keep theirs", func(t *testing.T) {
		m := startMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued})
		tab := b.open(t, page, m.base)
		signIn(t, tab, "carol") // device 0
		signIn(t, tab, "carol") // device 1
		signIn(t, tab, "dave")  // device 2: another user
		// Prefer: code=500 needs valid credentials but revokes nothing: a
		// probe that every session works before the button is pressed.
		for i := 0; i < 3; i++ {
			evalFetch(t, tab, fmt.Sprintf(`e2e.revokeAs(%d, "code=500")`, i)).wantStatus(t, 500)
		}

		status, text := clickLogOutEverywhere(t, tab)
		if status != "200" || !strings.Contains(text, "All sessions revoked successfully") {
			t.Fatalf("after clicking the button the page shows status %q and %q, want 200 and the documented message", status, text)
		}
		b.screenshot(t, tab, "after-logout.png")

		for i := 0; i < 2; i++ {
			r := evalFetch(t, tab, fmt.Sprintf(`e2e.revokeAs(%d)`, i))
			r.wantStatus(t, 401)
			r.wantBody(t, documented(t, "401", "invalid_token"))
		}
		evalFetch(t, tab, `e2e.revokeAs(2, "code=500")`).wantStatus(t, 500)
	})

	t.Run("--cors-origins lets the listed origin in and keeps another out", func(t *testing.T) {
		other := servePage(t) // a second page origin, not on the list
		m := startMock(t, mockserver.Options{Sessions: mockserver.SessionsLazy, CORSOrigins: []string{page}})
		const freshToken = `"lazy-" + Math.random().toString(36).slice(2)`

		blocked := b.open(t, other, m.base)
		for _, expr := range []string{`e2e.revokeWith(` + freshToken + `)`, `e2e.revokeAs(-1)`} {
			r := evalFetch(t, blocked, expr)
			if r.Fetched || !strings.HasPrefix(r.Error, "TypeError") {
				t.Errorf("%s from %s (not on the list): %+v, want a TypeError from fetch", expr, other, r)
			}
		}
		pf := m.traffic.preflights(revokeAll)
		if len(pf) == 0 || pf[0].Origin != other || pf[0].Status != http.StatusForbidden {
			t.Errorf("preflights = %v, want one from %s refused with 403", pf, other)
		}
		for _, x := range m.traffic.requests("POST", revokeAll) {
			if hasToken(x.ACRHeaders, "authorization") || x.Authorized {
				t.Errorf("a POST with credentials from %s reached the mock although its preflight was refused: %+v", other, x)
			}
		}

		allowed := b.open(t, page, m.base)
		r := evalFetch(t, allowed, `e2e.revokeWith(`+freshToken+`)`)
		r.wantStatus(t, 200)
		r.wantBody(t, documented(t, "200", "success"))
	})

	scenarioChecks(t, b, page)
	proxyChecks(t, b, page)
	dashboardChecks(t, b)
	reportChecks(t, b)
}

// --- browser ---------------------------------------------------------------

type browser struct {
	ctx      context.Context // the browser's chromedp context
	shotsDir string
}

// chromiumPath finds Debian's chromium, or skips (fails with REQUIRE_CHROMIUM=1).
func chromiumPath(t *testing.T) string {
	t.Helper()
	return testenv.LookPath(t, "the browser test", "apt-get install chromium", "chromium", "/usr/bin/chromium", "chromium-browser")
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath(t)
	budget := wholeTestBudget
	if d, ok := t.Deadline(); ok && time.Until(d)-10*time.Second < budget {
		budget = time.Until(d) - 10*time.Second
	}
	whole, cancelWhole := context.WithTimeout(context.Background(), budget)
	userData := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), // containers have a small /dev/shm
		chromedp.UserDataDir(userData),
		chromedp.WindowSize(900, 600),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(whole, opts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	var tree map[proc]bool
	t.Cleanup(func() {
		if tree == nil {
			tree = chromiumTree(userData)
		}
		tree = mergeTrees(tree, chromiumTree(userData))
		closeCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		done := make(chan struct{})
		go func() { _ = chromedp.Cancel(ctx); close(done) }() // graceful close
		select {
		case <-done:
		case <-closeCtx.Done():
		}
		cancelBrowser()
		cancelAlloc() // kills the browser if still there, and waits for it
		cancelWhole()
		assertNoChromiumLeft(t, tree)
	})
	// The first Run starts Chromium; it is bound by the whole-test budget
	// (a shorter context here would kill the browser when it ends).
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}
	t.Logf("Chromium started in %v", time.Since(start).Round(time.Millisecond))
	tree = chromiumTree(userData)
	if len(tree) == 0 {
		t.Fatalf("Chromium runs but no process carries --user-data-dir=%s: the leak check would see nothing", userData)
	}
	return &browser{ctx: ctx, shotsDir: os.Getenv("E2E_SCREENSHOT_DIR")}
}

// open loads the page from pageOrigin, pointed at the mock at api, in a new tab.
func (b *browser) open(t *testing.T, pageOrigin, api string) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	// The first Run creates the tab and must not carry a shorter timeout
	// (its end would close the tab); the browser's budget bounds it.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	u := pageOrigin + "/?api=" + url.QueryEscape(api)
	ctx, stop := context.WithTimeout(tab, stepTimeout)
	defer stop()
	if err := chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitReady(chromedp.ID("logout-everywhere"))); err != nil {
		t.Fatalf("loading %s: %v", u, err)
	}
	return tab
}

// screenshot saves the tab when E2E_SCREENSHOT_DIR is set (a look by eye,
// never committed).
func (b *browser) screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	if b.shotsDir == "" {
		return
	}
	ctx, stop := context.WithTimeout(tab, stepTimeout)
	defer stop()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	p := filepath.Join(b.shotsDir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	t.Logf("screenshot saved to %s", p)
}

// chromiumTree lists the processes of our browser: those started with our
// profile directory and all their descendants (the GPU and utility processes
// do not carry the flag).
func chromiumTree(userData string) map[proc]bool {
	all := processes()
	tree := map[proc]bool{}
	for p, info := range all {
		if strings.Contains(info.cmdline, "--user-data-dir="+userData) {
			tree[p] = true
		}
	}
	for grew := true; grew; { // parents first or not: repeat until stable
		grew = false
		for p, info := range all {
			if tree[p] {
				continue
			}
			for q := range tree {
				if q.pid == info.ppid {
					tree[p], grew = true, true
					break
				}
			}
		}
	}
	return tree
}

// assertNoChromiumLeft fails if a process of the browser's tree survives its
// close; it kills exactly those processes.
func assertNoChromiumLeft(t *testing.T, tree map[proc]bool) {
	t.Helper()
	var left []proc
	for deadline := time.Now().Add(10 * time.Second); ; {
		left = left[:0]
		now := processes()
		for p := range tree {
			if info, ok := now[p]; ok && info.state != 'Z' {
				left = append(left, p)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("Chromium processes %v were still running 10s after the browser was closed; killing them", left)
		for _, p := range left {
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
	}
}

// proc names a process across PID reuse: its PID and its start time.
type proc struct {
	pid   int
	start string
}

type procInfo struct {
	ppid    int
	state   byte
	cmdline string
}

func processes() map[proc]procInfo {
	entries, _ := os.ReadDir("/proc")
	out := map[proc]procInfo{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": the fields after the last ')'.
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 20 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		out[proc{pid, f[19]}] = procInfo{ppid: ppid, state: f[0][0], cmdline: string(cmd)}
	}
	return out
}

func mergeTrees(a, b map[proc]bool) map[proc]bool {
	for p := range b {
		a[p] = true
	}
	return a
}

// --- page and mock servers ---------------------------------------------------

// serve serves h with the mock's hardened server on a fresh loopback port
// (a fresh origin) and returns http://127.0.0.1:PORT. It is closed (not
// shut down: Chromium pre-opens connections that never send a request, and
// Shutdown waits 5 s for each of those) at the end of the test.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	return testkit.Serve(t, mockserver.NewHTTPServer("", h))
}

func servePage(t *testing.T) string {
	t.Helper()
	return serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(logoutPage)
	}))
}

type mock struct {
	base    string
	traffic *traffic
}

func startMock(t *testing.T, opts mockserver.Options) mock {
	t.Helper()
	srv, err := mockserver.New(opts)
	if err != nil {
		t.Fatalf("mockserver.New: %v", err)
	}
	tr := &traffic{}
	return mock{base: serve(t, tr.wrap(srv)), traffic: tr}
}

// exchange is what the mock's side saw of one request: the proof that a
// preflight really happened, independent of what the page reports.
type exchange struct {
	Method, Path, Origin  string
	ACRMethod, ACRHeaders string // Access-Control-Request-*
	Authorized            bool   // an Authorization header came (its value is never kept)
	Status                int
}

func (x exchange) String() string {
	return fmt.Sprintf("%s %s from %q (ACRM %q, ACRH %q, auth %v) -> %d", x.Method, x.Path, x.Origin, x.ACRMethod, x.ACRHeaders, x.Authorized, x.Status)
}

type traffic struct {
	mu  sync.Mutex
	log []exchange
}

func (tr *traffic) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		tr.mu.Lock()
		defer tr.mu.Unlock()
		tr.log = append(tr.log, exchange{
			Method: r.Method, Path: r.URL.Path, Origin: r.Header.Get("Origin"),
			ACRMethod: r.Header.Get("Access-Control-Request-Method"), ACRHeaders: r.Header.Get("Access-Control-Request-Headers"),
			Authorized: r.Header.Get("Authorization") != "", Status: sw.status,
		})
	})
}

func (tr *traffic) all() []exchange {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]exchange(nil), tr.log...)
}

func (tr *traffic) requests(method, path string) []exchange {
	var out []exchange
	for _, x := range tr.all() {
		if x.Method == method && x.Path == path {
			out = append(out, x)
		}
	}
	return out
}

func (tr *traffic) preflights(path string) []exchange {
	var out []exchange
	for _, x := range tr.requests(http.MethodOptions, path) {
		if x.ACRMethod != "" {
			out = append(out, x)
		}
	}
	return out
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// --- page calls ----------------------------------------------------------------

// fetchResult is what the page's fetch() saw, as JavaScript can read it.
type fetchResult struct {
	Fetched           bool           `json:"fetched"`
	Error             string         `json:"error"`
	Status            int            `json:"status"`
	Body              map[string]any `json:"body"`
	Text              string         `json:"text"`
	WWWAuthenticate   *string        `json:"wwwAuthenticate"`
	PreferenceApplied *string        `json:"preferenceApplied"`
	ContentType       string         `json:"contentType"`
	MockScenario      *string        `json:"mockScenario"`
	Violations        *string        `json:"violations"` // revoke-mock proxy's header
}

func (r fetchResult) wantStatus(t *testing.T, status int) {
	t.Helper()
	if !r.Fetched {
		t.Fatalf("fetch failed in the page: %s (want status %d)", r.Error, status)
	}
	if r.Status != status {
		t.Fatalf("status read by the page = %d, want %d; body %s", r.Status, status, r.Text)
	}
}

func (r fetchResult) wantBody(t *testing.T, want any) {
	t.Helper()
	if !reflect.DeepEqual(normalize(t, r.Body), normalize(t, want)) {
		t.Errorf("body read by the page = %s, want the spec's example %s", r.Text, mustJSON(t, want))
	}
}

// evalJS evaluates expr in the page, awaiting its promise, and decodes the
// result into a T.
func evalJS[T any](t *testing.T, tab context.Context, expr string) T {
	t.Helper()
	ctx, stop := context.WithTimeout(tab, stepTimeout)
	defer stop()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: no answer within %v", expr, stepTimeout)
		}
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

func evalFetch(t *testing.T, tab context.Context, expr string) fetchResult {
	t.Helper()
	return evalJS[fetchResult](t, tab, expr)
}

// signIn mints a session of user from the page; the token stays in the page.
func signIn(t *testing.T, tab context.Context, user string) {
	t.Helper()
	type signInResult struct {
		Fetched  bool   `json:"fetched"`
		Status   int    `json:"status"`
		Error    string `json:"error"`
		User     string `json:"user"`
		HasToken bool   `json:"hasToken"`
	}
	r := evalJS[signInResult](t, tab, fmt.Sprintf(`e2e.signIn(%q)`, user))
	if !r.Fetched || r.Status != http.StatusCreated || r.User != user || !r.HasToken {
		t.Fatalf("POST /__mock/sessions for %q from the page: %+v, want 201 with the user and a token", user, r)
	}
}

// clickLogOutEverywhere presses the page's button and returns what the page
// then shows: the status and the message.
func clickLogOutEverywhere(t *testing.T, tab context.Context) (status, text string) {
	t.Helper()
	ctx, stop := context.WithTimeout(tab, stepTimeout)
	defer stop()
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("logout-everywhere")),
		chromedp.WaitVisible(chromedp.CSS(`#result[data-status]`)),
	)
	if err != nil {
		t.Fatalf("clicking \"Log out everywhere\": %v", err)
	}
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("result"), "data-status"))
	if err != nil {
		t.Fatalf("reading the result's status: %v", err)
	}
	text, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("result")))
	if err != nil {
		t.Fatalf("reading the result: %v", err)
	}
	return attr.Value, text
}

// --- the spec's examples ---------------------------------------------------------

func documented(t *testing.T, code, name string) any {
	t.Helper()
	sp, err := spec.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	op := sp.Kin.Paths.Value(revokeAll).Post
	resp := op.Responses.Value(code)
	if resp == nil || resp.Value == nil {
		t.Fatalf("the spec documents no %s response for POST %s", code, revokeAll)
	}
	mt := resp.Value.Content.Get("application/json")
	if mt == nil || mt.Examples[name] == nil || mt.Examples[name].Value == nil {
		t.Fatalf("the spec's %s response has no example %q", code, name)
	}
	return mt.Examples[name].Value.Value
}

func normalize(t *testing.T, v any) any {
	t.Helper()
	var out any
	if err := json.Unmarshal([]byte(mustJSON(t, v)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func hasToken(list, token string) bool {
	for _, p := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(p), token) {
			return true
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return "<absent>"
	}
	return *s
}
