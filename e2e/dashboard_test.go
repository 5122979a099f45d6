package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/flashback/revoke-contract/internal/testenv"
	"github.com/flashback/revoke-contract/mockserver"
)

// DocsScreenshotsVar names the folder where `make screenshots` has the
// browser tests write the README's screenshots (docs/); unset, each test
// saves its screenshot in a temporary folder and only checks it.
const DocsScreenshotsVar = "REVOKE_DOCS_SCREENSHOTS"

// dashboardChecks drive the mock's own dashboard (GET /__mock/) in the
// shared browser: the journal fills as curl sends requests, "500 once"
// arranges the documented 500 for the next one, sessions are minted and
// copied, and every control has an accessible name.
func dashboardChecks(t *testing.T, b *browser) {
	t.Run("dashboard: curl's requests appear live, 500 once gives the next curl the documented 500, mint and copy, reset", func(t *testing.T) {
		curl := testenv.LookPath(t, "the dashboard test", "apt-get install curl", "curl")
		// --cors-origins names another origin: the page, served by the mock
		// itself, must work all the same (its calls are same-origin).
		// The listener's counts, as revoke-mock's netlimit.Listener reports
		// them in GET /__mock/health (netlimit's tests make them happen).
		var evicted atomic.Uint64
		evicted.Store(7)
		conns := func() mockserver.ConnStatus {
			return mockserver.ConnStatus{Max: 1024, Open: 5, Idle: 3, Pending: 1, EvictedIdle: evicted.Load(), EvictedHeader: 2, EvictedTooLarge: 1, Waited: 4}
		}
		m := startMock(t, mockserver.Options{Sessions: mockserver.SessionsLazy, CORSOrigins: []string{"http://app.example.test"}, ConnStatus: conns})
		tab, console := b.openWatched(t, m.base+"/__mock/", `button[data-status="500"]`)

		// Connections: every count of the health endpoint, live.
		waitVisible(t, tab, `#conns`)
		cell := func(key string) string {
			return `document.querySelector('#conn-rows tr[data-key="` + key + `"] td')?.textContent`
		}
		for key, want := range map[string]string{"open": "5", "idle": "3", "pending": "1", "evictedIdle": "7", "evictedHeader": "2", "evictedTooLarge": "1", "waited": "4"} {
			waitJS(t, tab, cell(key)+` === "`+want+`"`, "the dashboard's "+key+" count "+want)
		}
		if got := textOf(t, tab, `#conns-cap`); got != "(cap 1024)" {
			t.Errorf("the connections card says %q, want (cap 1024)", got)
		}
		evicted.Store(8)
		waitJS(t, tab, cell("evictedIdle")+` === "8"`, "an eviction to show on the next poll")

		const tok1, tok2 = "dashboard-curl-token-Q1w2E3r4", "dashboard-curl-token-T5y6U7i8"
		if st, _ := curlRevoke(t, curl, m.base, tok1); st != 200 {
			t.Fatalf("curl: %d, want 200", st)
		}
		waitVisible(t, tab, `#journal-rows tr.entry[data-status="200"]`)
		row := textOf(t, tab, `#journal-rows tr.entry[data-status="200"]`)
		for _, want := range []string{"POST", revokeAll, "200", "example 200/success", "Bearer fp:"} {
			if !strings.Contains(row, want) {
				t.Errorf("the journal's row %q lacks %q", row, want)
			}
		}

		if label := textOf(t, tab, `button[data-status="500"]`); label != "500 once" {
			t.Errorf("the 500 button reads %q, want \"500 once\"", label)
		}
		click(t, tab, `button[data-status="500"]`)
		waitVisible(t, tab, `#scenarios li`)
		st, body := curlRevoke(t, curl, m.base, tok2)
		if st != 500 {
			t.Fatalf("curl after \"500 once\": %d %s, want the documented 500", st, body)
		}
		var got any
		if err := json.Unmarshal([]byte(body), &got); err != nil || !jsonEqual(t, got, documented(t, "500", "server_error")) {
			t.Errorf("curl's 500 body %s, want the spec's server_error example", body)
		}
		if st, _ := curlRevoke(t, curl, m.base, tok2); st != 200 {
			t.Errorf("the scenario was once: the curl after it got %d, want 200", st)
		}
		waitVisible(t, tab, `#journal-rows tr.entry[data-status="500"]`)
		waitVisible(t, tab, `#scenarios-empty`)

		// A click shows what was sent and what came back.
		click(t, tab, `#journal-rows tr.entry[data-status="500"] .expand`)
		waitVisible(t, tab, `#journal-rows tr.details`)
		details := textOf(t, tab, `#journal-rows tr.details`)
		for _, want := range []string{"Request headers", "Authorization", "Bearer fp:", "Answer headers", "Mock-Scenario", "sc-1", "answer body", "57 bytes"} {
			if !strings.Contains(details, want) {
				t.Errorf("the details %q lack %q", details, want)
			}
		}

		// The keyboard alone: focus a button, press Enter; then delete the
		// scenario it added with Space.
		keys(t, tab, `button[data-status="500"]`, "\r")
		waitVisible(t, tab, `#scenarios li button`)
		keys(t, tab, `#scenarios li button`, " ")
		waitVisible(t, tab, `#scenarios-empty`)

		// Times, delay and scope go with the button pressed: "3 times",
		// held 1ms, only for user nobody; "Delete all" ends it.
		evalJS[bool](t, tab, `(() => { const f = (id, v) => { const e = document.getElementById(id); e.value = v; e.dispatchEvent(new Event("input")); };
			f("times", "3"); f("delay", "1ms"); f("scope-user", "nobody"); return true; })()`)
		if label := textOf(t, tab, `button[data-fault="reset"]`); label != "reset 3 times" {
			t.Errorf("with Times 3 the reset button reads %q", label)
		}
		click(t, tab, `button[data-status="500"]`)
		waitVisible(t, tab, `#scenarios li`)
		if sc := textOf(t, tab, `#scenarios li span`); !strings.Contains(sc, "500 server_error, delay 1ms for user nobody · 3 left") {
			t.Errorf("the scenario reads %q, want 500 server_error, delay 1ms for user nobody, 3 left", sc)
		}
		click(t, tab, `#clear-scenarios`)
		waitVisible(t, tab, `#scenarios-empty`)
		evalJS[bool](t, tab, `(() => { const f = (id, v) => { const e = document.getElementById(id); e.value = v; e.dispatchEvent(new Event("input")); };
			f("times", ""); f("delay", ""); f("scope-user", ""); return true; })()`)
		if label := textOf(t, tab, `button[data-status="500"]`); label != "500 until deleted" {
			t.Errorf("with Times empty the 500 button reads %q", label)
		}

		// Pause stops the live updates and says so; Resume goes on.
		click(t, tab, `#pause`)
		if p, live := textOf(t, tab, `#pause`), textOf(t, tab, `#live`); p != "Resume" || live != "paused" {
			t.Errorf("after Pause: the button reads %q and the status %q", p, live)
		}
		click(t, tab, `#pause`)
		waitJS(t, tab, `document.getElementById("live").textContent === "live"`, "the live status after Resume")

		// Sessions: mint for a user, the copy button, the users list.
		if err := chromedp.Do(stepCtx(t, tab), chromedp.SetValue(chromedp.ID("mint-user"), "zoe"), chromedp.Click(chromedp.ID("mint")),
			chromedp.WaitVisible(chromedp.ID("minted"))); err != nil {
			t.Fatalf("minting from the page: %v", err)
		}
		minted := evalJS[string](t, tab, `document.getElementById("minted-token").value`)
		if len(minted) < 20 {
			t.Fatalf("the minted token shown is %q", minted)
		}
		stubClipboard(t, tab)
		click(t, tab, `#copy-token`)
		waitJS(t, tab, `window.__copied === document.getElementById("minted-token").value`, "the copy button to hand the token to the clipboard")
		waitJS(t, tab, `[...document.querySelectorAll("#user-rows tr")].some(r => r.textContent === "zoe1")`, "zoe with one live session in the users list")

		// No credential in the page but the one just minted.
		html := evalJS[string](t, tab, `document.documentElement.outerHTML + document.body.innerText`)
		for _, tok := range []string{tok1, tok2} {
			if strings.Contains(html, tok) || strings.Contains(html, tok[:12]) {
				t.Errorf("the page contains a token curl sent")
			}
		}

		checkAccessibleNames(t, tab, map[string]int{"button": 10, "textbox": 3, "spinbutton": 1})
		b.checkScreenshot(t, tab, "dashboard.png")

		click(t, tab, `#clear-journal`)
		waitJS(t, tab, `document.querySelectorAll("#journal-rows tr").length === 0 && !document.getElementById("journal-empty").hidden`, "Clear journal to empty the journal")

		click(t, tab, `#reset`)
		waitJS(t, tab, `document.getElementById("minted").hidden && !document.getElementById("users-empty").hidden`,
			"the reset to empty the users and hide the minted token")
		console.check(t)
	})

	t.Run("dashboard behind --control-token: the page asks once and never shows it", func(t *testing.T) {
		const secret = "control-Secret-Aa11Bb22Cc33"
		m := startMock(t, mockserver.Options{ControlToken: secret})
		tab, console := b.openWatched(t, m.base+"/__mock/", `#control-token`)
		if err := chromedp.Do(stepCtx(t, tab), chromedp.SendKeys(chromedp.ID("control-token"), secret), chromedp.Click(chromedp.ID("unlock-button")),
			chromedp.WaitVisible(chromedp.CSS(`button[data-status="500"]`))); err != nil {
			t.Fatalf("unlocking with the control token: %v", err)
		}
		click(t, tab, `button[data-status="500"]`)
		waitVisible(t, tab, `#scenarios li`)
		html := evalJS[string](t, tab, `document.documentElement.outerHTML + document.body.innerText + document.getElementById("control-token").value + JSON.stringify(sessionStorage) + JSON.stringify(localStorage)`)
		if strings.Contains(html, secret) {
			t.Errorf("the control token is in the page or its storage")
		}
		console.check(t)
	})
}

// --- helpers -----------------------------------------------------------------

func stepCtx(t *testing.T, tab context.Context) context.Context {
	t.Helper()
	ctx, stop := context.WithTimeout(tab, stepTimeout)
	t.Cleanup(stop)
	return ctx
}

func waitVisible(t *testing.T, tab context.Context, sel string) {
	t.Helper()
	if err := chromedp.Do(stepCtx(t, tab), chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		t.Fatalf("waiting for %s: %v", sel, err)
	}
}

func click(t *testing.T, tab context.Context, sel string) {
	t.Helper()
	if err := chromedp.Do(stepCtx(t, tab), chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("clicking %s: %v", sel, err)
	}
}

// keys focuses sel and types k ("\r" is Enter).
func keys(t *testing.T, tab context.Context, sel, k string) {
	t.Helper()
	if err := chromedp.Do(stepCtx(t, tab), chromedp.Focus(chromedp.CSS(sel)), chromedp.KeyEvent(k)); err != nil {
		t.Fatalf("typing %q on %s: %v", k, sel, err)
	}
}

func textOf(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(stepCtx(t, tab), chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// waitJS polls expr in the page until it is true, for at most stepTimeout.
func waitJS(t *testing.T, tab context.Context, expr, what string) {
	t.Helper()
	wrapped := fmt.Sprintf(`new Promise((ok) => { const end = Date.now() + %d; (function poll() { let v = false; try { v = !!(%s); } catch (_) {}
		if (v || Date.now() > end) ok(v); else setTimeout(poll, 50); })(); })`, (stepTimeout - stepTimeout/10).Milliseconds(), expr)
	if !evalJS[bool](t, tab, wrapped) {
		t.Fatalf("waited %v for %s (%s)", stepTimeout, what, expr)
	}
}

// stubClipboard replaces the page's clipboard by one that keeps what it is
// given in window.__copied (headless Chromium has no clipboard to read).
func stubClipboard(t *testing.T, tab context.Context) {
	t.Helper()
	evalJS[bool](t, tab, `Object.defineProperty(navigator, "clipboard", {configurable: true, value: {writeText: async (s) => { window.__copied = s; }}}); true`)
}

func curlRevoke(t *testing.T, curl, base, token string) (int, string) {
	t.Helper()
	ctx, stop := context.WithTimeout(context.Background(), stepTimeout)
	defer stop()
	out, err := exec.CommandContext(ctx, curl, "-s", "--max-time", "20", "-w", "\n%{http_code}", "-X", "POST", base+revokeAll,
		"-H", "Authorization: Bearer "+token).Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	body, code, _ := strings.Cut(string(out), "\n")
	if i := strings.LastIndexByte(string(out), '\n'); i >= 0 {
		body, code = string(out[:i]), string(out[i+1:])
	}
	n, _ := strconv.Atoi(code)
	return n, body
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	return mustJSON(t, normalize(t, a)) == mustJSON(t, normalize(t, b))
}

// consoleWatch collects what the page reports as an error: console.error
// and console.warn calls, uncaught exceptions, and the browser's own log
// entries of level error (a resource that failed to load, a blocked
// Content-Security-Policy violation).
type consoleWatch struct {
	mu   sync.Mutex
	errs []string
}

func (c *consoleWatch) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, s)
}

func (c *consoleWatch) check(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.errs) > 0 {
		t.Errorf("the page reported errors in its console:\n%s", strings.Join(c.errs, "\n"))
	}
}

// openWatched opens u in a new tab of the shared browser, watching its
// console from before the load, and waits for sel.
func (b *browser) openWatched(t *testing.T, u, sel string) (context.Context, *consoleWatch) {
	t.Helper()
	tab, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	cw := &consoleWatch{}
	err := chromedp.Listen(tab, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				cw.add(fmt.Sprintf("console.%s: %s", e.Type, strings.Join(parts, " ")))
			}
		case *runtime.EventExceptionThrown:
			msg := e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
			cw.add("uncaught: " + msg)
		case *cdplog.EventEntryAdded:
			if e.Entry != nil && (e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning) {
				cw.add(fmt.Sprintf("log %s (%s): %s %s", e.Entry.Level, e.Entry.Source, e.Entry.Text, e.Entry.URL))
			}
		}
	})
	if err != nil {
		t.Fatalf("watching the console: %v", err)
	}
	if err := chromedp.Do(stepCtx(t, tab), chromedp.EmulateViewport(1280, 800), chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		t.Fatalf("loading %s: %v", u, err)
	}
	return tab, cw
}

// checkAccessibleNames: every control in the accessibility tree (buttons,
// text fields, links, ...) has a name a screen reader can say.
func checkAccessibleNames(t *testing.T, tab context.Context, atLeast map[string]int) {
	t.Helper()
	nodes, err := chromedp.Run(stepCtx(t, tab), func(ctx context.Context, tg *chromedp.Target) ([]*accessibility.Node, error) {
		r, err := cdp.Call(ctx, tg, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
		return r.Nodes, err
	})
	if err != nil {
		t.Fatalf("reading the accessibility tree: %v", err)
	}
	controls := map[string]bool{"button": true, "textbox": true, "spinbutton": true, "checkbox": true, "combobox": true,
		"link": true, "searchbox": true, "radio": true, "slider": true, "switch": true, "menuitem": true, "tab": true, "listbox": true,
		"disclosuretriangle": true} // a <summary>
	seen := map[string]int{}
	for _, n := range nodes {
		if n.Ignored || n.Role == nil {
			continue
		}
		role := strings.ToLower(axString(n.Role))
		if !controls[role] {
			continue
		}
		seen[role]++
		if name := axString(n.Name); strings.TrimSpace(name) == "" {
			t.Errorf("a %s (DOM node %d) has no accessible name", role, n.BackendDOMNodeID)
		}
	}
	for role, n := range atLeast {
		if seen[role] < n {
			t.Errorf("the accessibility tree has %d of role %s, want at least %d: not the page's? %v", seen[role], role, n, seen)
		}
	}
}

func axString(v *accessibility.Value) string {
	if v == nil || len(v.Value) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v.Value, &s) != nil {
		return string(v.Value)
	}
	return s
}

// checkScreenshot takes a screenshot of the tab's viewport, checks that it shows
// something (not one flat colour), and saves it: in docs/ under
// `make screenshots`, else in the test's temporary folder (an artifact
// for a look by eye with E2E_SCREENSHOT_DIR; never a tracked file).
func (b *browser) checkScreenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	evalJS[bool](t, tab, `window.scrollTo(0, 0); document.activeElement && document.activeElement.blur(); true`)
	data, err := chromedp.Run(stepCtx(t, tab), chromedp.CaptureScreenshot()) // the viewport, 1280x800: what a laptop shows
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if colours, ink := pixelStats(img); colours < 16 || ink < 0.01 {
		t.Errorf("the screenshot looks blank: %d colours, %.2f%% of pixels differ from the background", colours, ink*100)
	}
	dir := t.TempDir()
	for _, d := range []string{os.Getenv(DocsScreenshotsVar), b.shotsDir} {
		if d != "" {
			dir = d
			break
		}
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatalf("saving the screenshot: %v", err)
	}
	t.Logf("screenshot saved to %s", p)
}

// pixelStats counts the distinct colours of img and the share of its
// pixels that differ from the top-left one (the background).
func pixelStats(img image.Image) (colours int, ink float64) {
	bounds := img.Bounds()
	bg := img.At(bounds.Min.X, bounds.Min.Y)
	br, bgG, bb, _ := bg.RGBA()
	seen := map[[3]uint32]bool{}
	var differ, total int
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 2 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			if r != br || g != bgG || bl != bb {
				differ++
			}
			total++
		}
	}
	return len(seen), float64(differ) / float64(max(total, 1))
}
