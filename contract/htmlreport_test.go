package contract

import (
	stdhtml "html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func htmlFixture() JSONReport {
	ex := &JSONExchange{Seq: 3, Rule: "AUTH-001", Case: "no Authorization header",
		Request:   JSONRequest{Method: "POST", URL: "http://backend.test/sessions/revoke-all", Headers: [][2]string{{"Accept", "application/json"}, {"Authorization", "Bearer $TOKEN"}}, BodyBytes: 0},
		Response:  &JSONResponse{Status: 200, StatusText: "OK", Headers: map[string][]string{"Content-Type": {"text/html"}, "X-Quote": {`a"b`}}, Body: `<script>alert(1)</script>`, BodyBytes: 25},
		Reproduce: `curl -sS -i -X POST 'http://backend.test/sessions/revoke-all' -H "Authorization: Bearer $TOKEN"`}
	level := func(passed, failed int) JSONLevel {
		return JSONLevel{Total: passed + failed, Outcomes: map[string]int{"passed": passed, "failed": failed, "finding": 0, "skipped": 0}, Score: "x"}
	}
	return JSONReport{SchemaVersion: 1, Tool: "revoke-contract", Target: "http://backend.test", Spec: "embedded", Timeout: "10s",
		TokenSource: "CONTRACT_TOKEN_URL http://backend.test/login", StartedAt: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), ExitStatus: 1, Verdict: "failed",
		SuiteProblems: []string{}, Summary: JSONSummary{Score: "MUST 1/2, SHOULD 0/0", Must: level(1, 1), Should: level(0, 0)},
		Rules: []JSONRule{
			{ID: "SCHEMA-001", Level: "MUST", Labels: []string{"schema", "must"}, Requirement: "200 matches the schema", Source: "spec", Outcome: "passed"},
			{ID: "AUTH-010", Level: "SHOULD", Labels: []string{"auth", "should"}, Requirement: "a challenge", Source: "RFC 6750", Outcome: "skipped", Reason: "needs a second session & more"},
			{ID: "AUTH-001", Level: "MUST", Labels: []string{"auth", "must"}, Requirement: "no credentials: 401", Source: "RFC 6750 §3", Outcome: "failed",
				Violations: []JSONViolation{{What: "want 401, got 200", Exchange: ex}}},
		}}
}

// TestHTMLReport: one page, nothing loaded from anywhere (the policy
// allows only its own inline style and script, by hash), failures first
// and open, what was sent and came back escaped, a copy button per
// reproducer, skips with their reasons, rules by label, the run's facts.
func TestHTMLReport(t *testing.T) {
	page, err := renderHTMLReport(htmlFixture())
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]+)">`).FindStringSubmatch(html)
	if csp == nil {
		t.Fatal("no Content-Security-Policy meta")
	}
	policy := stdhtml.UnescapeString(csp[1])
	if !strings.Contains(policy, "default-src 'none'") || strings.Contains(policy, "unsafe-inline") {
		t.Errorf("policy %q", policy)
	}
	for _, tag := range []string{"style", "script"} {
		blocks := regexp.MustCompile(`(?s)<`+tag+`>(.*?)</`+tag+`>`).FindAllStringSubmatch(html, -1)
		if len(blocks) != 1 {
			t.Fatalf("%d inline <%s>, want 1", len(blocks), tag)
		}
		if h := hashSource(blocks[0][1]); !strings.Contains(policy, tag+"-src "+h) {
			t.Errorf("the inline %s is not the one the policy allows (%s): %q", tag, h, policy)
		}
	}
	if ext := regexp.MustCompile(`(?i)(src|href|action)\s*=\s*["']?(https?:)?//`).FindString(html); ext != "" {
		t.Errorf("the report loads something: %q", ext)
	}
	if strings.Contains(html, "<script>alert(1)") || !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the answer's body is not escaped")
	}
	failed, passed := strings.Index(html, `id="outcome-failed"`), strings.Index(html, `id="outcome-passed"`)
	if failed < 0 || passed < 0 || failed > passed || strings.Index(html, `id="outcome-skipped"`) > passed {
		t.Errorf("sections out of order: failed at %d, passed at %d", failed, passed)
	}
	for _, want := range []string{
		`<details class="rule" id="rule-auth-001" data-rule="AUTH-001" data-outcome="failed" open>`,
		`<details class="rule" id="rule-schema-001" data-rule="SCHEMA-001" data-outcome="passed">`,
		`<pre id="repro-auth-001-1" class="curl">curl -sS -i -X POST &#39;http://backend.test/sessions/revoke-all&#39; -H &#34;Authorization: Bearer $TOKEN&#34;</pre>`,
		`<button type="button" class="copy" data-copy="repro-auth-001-1" aria-label="Copy the curl reproducer of AUTH-001, violation 1">`,
		"want 401, got 200", "HTTP 200 OK", "X-Quote: a&#34;b", "Authorization: Bearer $TOKEN", "case: no Authorization header",
		"needs a second session &amp; more", "MUST 1/2", `<th scope="row">auth</th>`, `<th scope="row">schema</th>`,
		"CONTRACT_TOKEN_URL http://backend.test/login", "RFC 6750 §3",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the report lacks %q", want)
		}
	}

	path := filepath.Join(t.TempDir(), "r.html")
	if err := writeHTMLReport(htmlFixture(), path); err != nil {
		t.Fatal(err)
	}
	if written, err := os.ReadFile(path); err != nil || string(written) != html {
		t.Errorf("writeHTMLReport wrote something else (%v)", err)
	}
	if err := writeHTMLReport(htmlFixture(), filepath.Join(t.TempDir(), "missing", "r.html")); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
}
