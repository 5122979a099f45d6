package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestRun: in a module of its own, a passing package is "ok", a failing one
// "FAIL" with its output, a package without tests "no test files", the
// flags reach the binaries with their test. prefix, each runs in its own
// folder, and the exit status is 1.
func TestRun(t *testing.T) {
	mod := t.TempDir()
	files := map[string]string{
		"go.mod":       "module example.com/m\n\ngo 1.22\n",
		"good/good.go": "package good\n",
		"good/good_test.go": `package good
import ("os"; "testing")
func TestShortAndFolder(t *testing.T) {
	if !testing.Short() { t.Fatal("-short did not reach the binary") }
	if _, err := os.Stat("good_test.go"); err != nil { t.Fatal("not run in its package's folder") }
}
`,
		"bad/bad.go":      "package bad\n",
		"bad/bad_test.go": "package bad\nimport \"testing\"\nfunc TestFails(t *testing.T) { t.Fatal(\"the failure's own words\") }\n",
		"none/none.go":    "package none\n",
	}
	for name, text := range files {
		if err := os.MkdirAll(filepath.Join(mod, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mod, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(mod)
	var out bytes.Buffer
	bin, cache := filepath.Join(t.TempDir(), "bin"), filepath.Join(t.TempDir(), "cache")
	code := run(&out, false, 2, time.Minute, "bad", bin, cache, []string{"./..."}, []string{"-short"})
	got := out.String()
	if code != 1 {
		t.Errorf("exit %d, want 1:\n%s", code, got)
	}
	for _, want := range []string{
		`(?m)^ok  \texample.com/m/good\t[0-9.]+s\t\(CPU [0-9.]+s\)$`,
		`(?m)^FAIL\texample.com/m/bad\t[0-9.]+s\t\(CPU [0-9.]+s\)$`,
		`the failure's own words`,
		`(?m)^\?   \texample.com/m/none\t\[no test files\]$`,
	} {
		if !regexp.MustCompile(want).MatchString(got) {
			t.Errorf("the output does not match %s:\n%s", want, got)
		}
	}
	for _, dir := range []string{bin, cache} {
		if _, err := os.Stat(filepath.Join(dir, "good.test")); err != nil {
			t.Errorf("the binary is not in %s: %v", dir, err)
		}
	}
	if strings.Contains(got, "TestShortAndFolder") {
		t.Errorf("a passing package's output is printed without -v:\n%s", got)
	}
}

func TestRank(t *testing.T) {
	order := []string{"contract/teeth", "e2e"}
	if r := rank(order, pkg{ImportPath: "x.com/m/e2e"}); r != 1 {
		t.Errorf("rank of e2e %d, want 1", r)
	}
	if r := rank(order, pkg{ImportPath: "x.com/m/e2e/replicas"}); r != 2 {
		t.Errorf("rank of e2e/replicas %d, want 2 (not in the list)", r)
	}
}
