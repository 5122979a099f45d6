// Package lintcheck proves that `make lint` (tools/lint-spec.sh) passes the
// real spec and fails a copy of it with a single defect that Spectral,
// Redocly or both must flag, including a Redocly warning, on which Redocly
// itself exits 0.
package lintcheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/internal/testenv"
)

// script returns the absolute path of tools/lint-spec.sh. Without the npm
// tools the test skips loudly, or fails when REVOKE_REQUIRE_TOOLS=1 (CI).
func script(t *testing.T) string {
	t.Helper()
	s, err := filepath.Abs("../lint-spec.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"spectral", "redocly"} {
		testenv.File(t, tool, filepath.Join(filepath.Dir(s), "node_modules", ".bin", tool), "the spec lint", "make npm-tools")
	}
	return s
}

// lint runs the script on specText and returns its Spectral and Redocly
// sections of output and its error.
func lint(t *testing.T, specText string) (spectral, redocly string, err error) {
	t.Helper()
	// Not t.TempDir(): its name comes from the test's, and Spectral reads
	// the brackets in it as a glob.
	dir, err := os.MkdirTemp("", "lintcheck")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "openapi.yaml")
	if err := os.WriteFile(path, []byte(specText), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(script(t), path).CombinedOutput()
	s := string(out)
	i := strings.Index(s, "== Redocly")
	if !strings.HasPrefix(s, "== Spectral") || i < 0 {
		t.Fatalf("unexpected output of lint-spec.sh (%v):\n%s", err, s)
	}
	return s[:i], s[i:], err
}

func TestLint(t *testing.T) {
	raw, err := os.ReadFile("../../spec/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec := string(raw)
	// cut removes the text from `from` up to (not including) `to`.
	cut := func(from, to string) string {
		i := strings.Index(spec, from)
		j := strings.Index(spec[max(i, 0):], to)
		if i < 0 || j < 0 {
			t.Fatalf("the spec no longer has %q followed by %q: update this test", from, to)
		}
		return spec[:i] + spec[i+j:]
	}
	replace := func(old, new string) string {
		if strings.Count(spec, old) != 1 {
			t.Fatalf("the spec no longer has %q exactly once: update this test", old)
		}
		return strings.Replace(spec, old, new, 1)
	}
	tests := []struct {
		name, spec string
		// Rules that must be named in each linter's section; "" means that
		// linter must report nothing at all.
		spectralRule, redoclyRule string
	}{
		{"the real spec is clean", spec, "", ""},
		{
			"a Spectral-only warning fails (operation without description)",
			cut("      description: Revoke all active sessions", "      security:"),
			"operation-description", "",
		},
		{
			"a Spectral-only warning fails (operation without tags)",
			cut("      tags:\n        - Sessions\n", "      summary: Revoke All Sessions"),
			"operation-tags", "",
		},
		{
			"a Redocly-only warning fails although Redocly exits 0",
			cut("  license:", "servers:"),
			"", "info-license",
		},
		{
			"an unused component fails in both",
			replace("  schemas:\n", "  schemas:\n    Unused:\n      type: string\n"),
			"oas3-unused-component", "no-unused-components",
		},
		{
			"an example contradicting its schema fails in both",
			replace("                    success: true\n", "                    success: \"yes\"\n"),
			"oas3-valid-media-example", "no-invalid-media-type-examples",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spectral, redocly, err := lint(t, tc.spec)
			clean := tc.spectralRule == "" && tc.redoclyRule == ""
			switch {
			case clean && err != nil:
				t.Fatalf("lint failed on the real spec: %v\n%s%s", err, spectral, redocly)
			case !clean && err == nil:
				t.Fatalf("lint passed a spec that must fail:\n%s%s", spectral, redocly)
			}
			check := func(linter, section, rule, cleanMark string) {
				if rule == "" {
					if !strings.Contains(section, cleanMark) {
						t.Errorf("%s was expected to report nothing:\n%s", linter, section)
					}
					return
				}
				if !strings.Contains(section, rule) {
					t.Errorf("%s does not name %s:\n%s", linter, rule, section)
				}
			}
			check("Spectral", spectral, tc.spectralRule, "No results with a severity of 'hint' or higher found!")
			check("Redocly", redocly, tc.redoclyRule, "Redocly: 0 errors, 0 warnings, 0 ignored")
		})
	}
}

// TestLintMissingFile: a path that does not exist fails, not passes.
func TestLintMissingFile(t *testing.T) {
	out, err := exec.Command(script(t), filepath.Join(t.TempDir(), "absent.yaml")).CombinedOutput()
	if err == nil {
		t.Fatalf("lint passed a file that does not exist:\n%s", out)
	}
}
