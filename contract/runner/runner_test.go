package runner

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestParseJUnit(t *testing.T) {
	report := `<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="4">
  <testsuite name="revoke-all contract" tests="4">
    <testcase name="[BeforeSuite]" status="passed"></testcase>
    <testcase name="[It] POST /sessions/revoke-all [AUTH-001] answers 401 [auth, must]" status="passed"></testcase>
    <testcase name="[It] POST /sessions/revoke-all [REV-002] revokes every device [revocation, must]" status="failed">
      <failure message="[REV-002] MUST FAILED" type="failed">details</failure>
    </testcase>
    <testcase name="[It] POST /sessions/revoke-all [HTTP-003] answers 405 with Allow [http, should]" status="passed">
      <properties><property name="FINDING" value="[HTTP-003] no Allow"></property></properties>
    </testcase>
    <testcase name="[It] POST /sessions/revoke-all [REV-001] rejects the token [revocation, must]" status="skipped">
      <skipped message="needs CONTRACT_TOKEN_CMD"></skipped>
    </testcase>
  </testsuite>
</testsuites>`
	cases, err := ParseJUnit([]byte(report))
	if err != nil {
		t.Fatal(err)
	}
	res := Result{Cases: cases}
	if got := res.Rules("failed"); !slices.Equal(got, []string{"REV-002"}) {
		t.Errorf("failed %v", got)
	}
	if got := res.Rules("passed"); !slices.Equal(got, []string{"AUTH-001", "HTTP-003"}) {
		t.Errorf("passed %v", got)
	}
	if got := res.Rules("skipped"); !slices.Equal(got, []string{"REV-001"}) {
		t.Errorf("skipped %v", got)
	}
	if got := res.FindingRules(); !slices.Equal(got, []string{"HTTP-003"}) {
		t.Errorf("findings %v", got)
	}
	if cases[0].Rule != "" {
		t.Errorf("a suite-level entry has no rule, got %q", cases[0].Rule)
	}
	if _, err := ParseJUnit([]byte("<testsuites><testsuite>")); err == nil {
		t.Error("a truncated report must not parse")
	}
}

// TestBuildCleanup: what Build compiles is gone after Cleanup.
func TestBuildCleanup(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the suite")
	}
	b, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{b.Suite, b.Mock} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("Build: %v", err)
		}
	}
	Cleanup()
	if _, err := os.Stat(filepath.Dir(b.Suite)); !os.IsNotExist(err) {
		t.Errorf("%s is still there after Cleanup (%v)", filepath.Dir(b.Suite), err)
	}
}
