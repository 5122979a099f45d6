package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/contract/runner"
	"github.com/flashback/revoke-contract/internal/modroot"
	"github.com/flashback/revoke-contract/internal/testenv"
	"github.com/flashback/revoke-contract/spec"
)

func TestMain(m *testing.M) { runner.Main(m) }

func root(t *testing.T) string {
	t.Helper()
	r, err := modroot.FromWorkingDir()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func read(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSpecJSONCurrent: the MSW handlers answer from the embedded spec, not
// from a copy that drifted.
func TestSpecJSONCurrent(t *testing.T) {
	want, err := SpecJSON(spec.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, SpecJSONPath); !bytes.Equal(got, want) {
		t.Fatalf("%s is not the embedded spec as JSON: run go run ./tools/jsgen (or make js-types)", SpecJSONPath)
	}
}

// TestSpecJSONKeepsOrder: the first example of a response stays first (it
// is the default answer), and YAML's types survive.
func TestSpecJSONKeepsOrder(t *testing.T) {
	got, err := SpecJSON([]byte("a:\n  z: 1\n  b: [true, \"2\", 3.5, null]\n  c: {x: y}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"a\": {\n    \"z\": 1,\n    \"b\": [\n      true,\n      \"2\",\n      3.5,\n      null\n    ],\n    \"c\": {\n      \"x\": \"y\"\n    }\n  }\n}\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := SpecJSON([]byte("a: [")); err == nil {
		t.Error("broken YAML: no error")
	}
}

// TestTypesCurrent: lib/openapi.d.ts was generated from this spec (its
// first line names the spec's hash; make js-check regenerates the rest with
// openapi-typescript and compares).
func TestTypesCurrent(t *testing.T) {
	first, _, _ := strings.Cut(string(read(t, TypesPath)), "\n")
	if want := TypesHeader(spec.OpenAPI); first != want {
		t.Fatalf("%s was generated from another spec:\n got %s\nwant %s\nrun make js-types", TypesPath, first, want)
	}
}

// TestMSWDeclarationsAgree: the require and import declarations of
// revoke-mock/msw declare the same (they differ in the header comment and
// in the extension ESM needs on a relative import).
func TestMSWDeclarationsAgree(t *testing.T) {
	body := func(rel string) string {
		s := string(read(t, rel))
		s = s[strings.Index(s, "import type"):]
		return strings.ReplaceAll(s, "from './index.js'", "from './index'")
	}
	if a, b := body("npm/revoke-mock/lib/msw.d.ts"), body("npm/revoke-mock/lib/msw.d.mts"); a != b {
		t.Error("npm/revoke-mock/lib/msw.d.ts and msw.d.mts declare different things: change both")
	}
}

// TestJSAPI runs the JS API's own tests (npm/revoke-mock/test, node --test,
// no npm dependency) against the revoke-mock binary the tests use.
func TestJSAPI(t *testing.T) {
	t.Parallel()
	node := testenv.LookPath(t, "the JS API of revoke-mock (node --test)", "install Node.js", "node")
	bins, err := runner.Build()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "--test", "--test-reporter=dot", "test/")
	cmd.Dir = filepath.Join(root(t), "npm", "revoke-mock")
	cmd.Env = append(os.Environ(), "REVOKE_MOCK_BINARY="+bins.Mock)
	cmd.WaitDelay = 5 * time.Second
	done := make(chan struct{})
	timer := time.AfterFunc(2*time.Minute, func() { _ = cmd.Process.Kill(); close(done) })
	out, err := cmd.CombinedOutput()
	if !timer.Stop() {
		<-done
		t.Fatalf("node --test did not finish within 2 minutes:\n%s", out)
	}
	if err != nil {
		t.Fatalf("node --test npm/revoke-mock/test: %v\n%s", err, out)
	}
}

// snippet is a README code block that says which example it comes from.
var snippet = regexp.MustCompile("(?s)<!-- from (examples/[^ ]+) -->\\s*```[a-z]*\\n(.*?)```")

// TestReadmeSnippetsAreTheExamples: every code block of the README's
// frontend section marked `<!-- from examples/... -->` is, line for line, a
// part of that file, which make js-check runs; and the Playwright, Vitest
// and MSW examples each have one.
func TestReadmeSnippetsAreTheExamples(t *testing.T) {
	readme := string(read(t, "README.md"))
	found := map[string]bool{}
	for _, m := range snippet.FindAllStringSubmatch(readme, -1) {
		file, block := m[1], m[2]
		src := string(read(t, file))
		if !strings.Contains(src, block) {
			t.Errorf("README: the block marked <!-- from %s --> is not a part of that file (copy it from there):\n%s", file, block)
		}
		found[file] = true
	}
	for _, want := range []string{"examples/playwright/logout.spec.ts", "examples/vitest/logout.test.ts", "examples/msw/handlers.test.ts"} {
		if !found[want] {
			t.Errorf("README: no snippet <!-- from %s -->", want)
		}
	}
}
