// Package lintcheck proves that `make lint` passes the real spec and fails a
// spec with a single warning from either linter.
package lintcheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func script(t *testing.T) string {
	t.Helper()
	s, err := filepath.Abs("../lint-spec.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"spectral", "redocly"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(s), "node_modules", ".bin", tool)); err != nil {
			msg := "SKIPPED: " + tool + " is not installed (run `make npm-tools`); the spec lint checks did not run"
			if os.Getenv("REVOKE_REQUIRE_TOOLS") == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return s
}

func lint(t *testing.T, specText string) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "openapi.yaml")
	if err := os.WriteFile(path, []byte(specText), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(script(t), path).CombinedOutput()
	return string(out), err
}

func TestLint(t *testing.T) {
	real, err := os.ReadFile("../../spec/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec := string(real)
	cut := func(from, to string) string {
		i, j := strings.Index(spec, from), strings.Index(spec, to)
		if i < 0 || j < i {
			t.Fatalf("the spec no longer has %q before %q: update this test", from, to)
		}
		return spec[:i] + spec[j:]
	}
	tests := []struct {
		name, spec, wantRule string
	}{
		{"the spec is clean", spec, ""},
		{"a Spectral-only warning fails", cut("      tags:\n        - Sessions\n", "      summary: Revoke All Sessions"), "operation-tags"},
		{"a Redocly-only warning fails", cut("  license:", "servers:"), "info-license"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := lint(t, tc.spec)
			if tc.wantRule == "" {
				if err != nil {
					t.Fatalf("lint failed on the real spec: %v\n%s", err, out)
				}
				return
			}
			if err == nil {
				t.Fatalf("lint passed a spec with a %s warning:\n%s", tc.wantRule, out)
			}
			if !strings.Contains(out, tc.wantRule) {
				t.Errorf("lint failed, but its output does not name %s:\n%s", tc.wantRule, out)
			}
		})
	}
}
