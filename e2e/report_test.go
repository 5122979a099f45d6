package e2e

import (
	"context"
	"html"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/contract/runner"
	"github.com/flashback/revoke-contract/contract/teeth"
)

// reportChecks open the suite's HTML report (--html) of a run on a broken
// backend of contract/teeth in the shared browser.
func reportChecks(t *testing.T, b *browser) {
	t.Run("HTML report of a run on a broken backend: failed rules shown first, the copy button hands over the reproducer, no token in the file", func(t *testing.T) {
		// Three defects at once: one echoes the token back (the report must
		// still not carry it), one accepts lookalikes of it, one revokes
		// nothing.
		backend := teeth.NewBackend(teeth.EchoesToken, teeth.AcceptsTokenPrefix, teeth.RevokesNothing)
		srv := httptest.NewServer(backend)
		defer srv.Close()
		res, err := runner.Run(context.Background(), runner.Options{BaseURL: srv.URL, Mint: true, Strict: true, HTML: true, Deadline: 3 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("the suite's run took %v", res.Elapsed.Round(time.Millisecond))
		failed := res.Rules("failed")
		for _, id := range []string{"AUTH-012", "AUTH-013", "REV-001"} {
			if !slices.Contains(failed, id) {
				t.Fatalf("the run did not fail %s (failed: %v): the report would show too little\n%s", id, failed, res.Output)
			}
		}
		if !strings.Contains(res.HTML, "$TOKEN") {
			t.Fatal("the report shows no $TOKEN placeholder: the search below would prove nothing")
		}
		issued := backend.Issued()
		if len(issued) == 0 {
			t.Fatal("the backend issued no token")
		}
		for _, tok := range issued {
			for _, form := range append(secretForms(tok), html.EscapeString(tok)) {
				if strings.Contains(res.HTML, form) {
					t.Fatalf("the HTML report contains a token (%s form)", formName(tok, form))
				}
			}
			for i := 0; i+12 <= len(tok); i++ {
				if strings.Contains(res.HTML, tok[i:i+12]) {
					t.Fatalf("the HTML report contains 12 characters in a row of a token (from character %d)", i+1)
				}
			}
		}

		file := filepath.Join(t.TempDir(), "contract-report.html")
		if err := os.WriteFile(file, []byte(res.HTML), 0o644); err != nil {
			t.Fatal(err)
		}
		tab, console := b.openWatched(t, "file://"+file, `#verdict`)
		if v := textOf(t, tab, `#verdict`); v != "failed" {
			t.Errorf("the verdict reads %q, want failed", v)
		}
		for _, id := range failed {
			sel := `details[data-rule="` + id + `"][data-outcome="failed"] summary .id`
			waitVisible(t, tab, sel)
			if got := textOf(t, tab, sel); got != id {
				t.Errorf("%s shows %q", sel, got)
			}
			if !evalJS[bool](t, tab, `document.querySelector('details[data-rule="`+id+`"]').open`) {
				t.Errorf("the failed rule %s is collapsed", id)
			}
		}
		if !evalJS[bool](t, tab, `(document.querySelector("details[data-outcome=failed]").compareDocumentPosition(document.querySelector("details[data-outcome=passed]")) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0`) {
			t.Error("a passed rule comes before the failed ones")
		}

		var want string
		for _, r := range res.Report.Rules {
			if r.ID == "REV-001" && len(r.Violations) > 0 && r.Violations[0].Exchange != nil {
				want = r.Violations[0].Exchange.Reproduce
			}
		}
		if want == "" {
			t.Fatal("the JSON report has no reproducer for REV-001")
		}
		stubClipboard(t, tab)
		click(t, tab, `#rule-rev-001 button.copy`)
		waitJS(t, tab, `window.__copied !== undefined`, "the copy button to hand something to the clipboard")
		if got := evalJS[string](t, tab, `window.__copied`); got != want {
			t.Errorf("the copy button handed over %q, want the reproducer %q", got, want)
		}

		checkAccessibleNames(t, tab, map[string]int{"button": 3, "link": len(res.Report.Rules), "disclosuretriangle": len(res.Report.Rules)})
		b.checkScreenshot(t, tab, "contract-report.png")
		console.check(t)
	})
}
