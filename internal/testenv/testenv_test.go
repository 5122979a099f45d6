package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The rule is checked from the outside: a test binary whose test needs a
// tool that does not exist, run with and without REVOKE_REQUIRE_TOOLS=1.
func TestMissingToolSkipsLoudlyOrFails(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") == "1" {
		LookPath(t, "the child's check", "it never exists", "no-such-tool-"+strings.Repeat("x", 8))
		t.Error("LookPath returned for a missing tool")
		return
	}
	for _, tc := range []struct {
		name    string
		env     []string
		wantErr bool
		want    string
	}{
		{"locally", []string{RequireVar + "=0"}, false, "--- SKIP"},
		{"in CI", []string{RequireVar + "=1"}, true, "REVOKE_REQUIRE_TOOLS=1 makes that a failure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "skipped")
			cmd := exec.Command(os.Args[0], "-test.run=^TestMissingToolSkipsLoudlyOrFails$", "-test.v")
			cmd.Env = append(os.Environ(), append(tc.env, "TESTENV_CHILD=1", SkipLogVar+"="+log)...)
			out, err := cmd.CombinedOutput()
			if (err != nil) != tc.wantErr || !strings.Contains(string(out), tc.want) {
				t.Fatalf("err %v, output:\n%s", err, out)
			}
			logged, _ := os.ReadFile(log)
			if tc.wantErr == (len(logged) > 0) {
				t.Errorf("skip log %q: a skip must be logged, a failure must not", logged)
			}
			if !tc.wantErr && !strings.Contains(string(out), "*** SKIPPED") {
				t.Errorf("the skip is not announced on stderr:\n%s", out)
			}
		})
	}
}
