package runner

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/internal/modroot"
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

// TestBuild: without a folder of binaries, build compiles both into a
// temporary folder of its own; with one, it uses them (and there is nothing
// for Cleanup to remove); a folder that lacks them is a clear error.
func TestBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the suite")
	}
	root, err := modroot.FromWorkingDir()
	if err != nil {
		t.Fatal(err)
	}
	b, dir, err := build(root, "")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for _, f := range []string{b.Contract, b.Mock} {
		if fi, err := os.Stat(f); err != nil || filepath.Dir(f) != dir || fi.Mode()&0o111 == 0 {
			t.Fatalf("build: %s: %v", f, err)
		}
	}
	prebuilt, tmp, err := build(root, dir)
	if err != nil || tmp != "" || prebuilt != b {
		t.Errorf("build with %s: %+v, %q, %v", dir, prebuilt, tmp, err)
	}
	if _, _, err := build(root, t.TempDir()); err == nil || !strings.Contains(err.Error(), BinDirVar) {
		t.Errorf("an empty folder of binaries: err %v", err)
	}
}
