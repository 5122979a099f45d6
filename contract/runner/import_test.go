package runner

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/internal/modroot"
)

// TestImportedByAnotherModule: a Go module of a backend team, outside this
// repository, registers the rules in its own Ginkgo suite with
// contract.Register and runs them (against the in-process mock), reading
// the verdict from Suite.Summary. The module requires this one through a
// replace directive to the working tree, offline (GOPROXY=off): what a
// team gets from the module proxy once the module is published.
func TestImportedByAnotherModule(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a test binary in another module")
	}
	root, err := modroot.FromWorkingDir()
	if err != nil {
		t.Fatal(err)
	}
	ourMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	// The other module needs our requirements (ginkgo, gomega and what the
	// rules import): everything of our go.mod but its module line.
	_, rest, _ := strings.Cut(string(ourMod), "\n")
	dir := t.TempDir()
	gomod := "module example.com/backend\n" + rest +
		"\nrequire github.com/flashback/revoke-contract v0.0.0\n\nreplace github.com/flashback/revoke-contract => " + root + "\n"
	files := map[string]string{
		"go.mod": gomod,
		"go.sum": string(sum),
		"contract_test.go": `package backend_test

import (
	"testing"

	"github.com/flashback/revoke-contract/contract"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var suite = contract.Register(&contract.Config{Strict: true, Timeout: 10e9, SessionsPerUser: contract.DefaultSessionsPerUser})

func TestOurBackendConforms(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "our backend against the revoke-all contract")
	sum := suite.Summary()
	if sum.ExitStatus != contract.ExitConforms {
		t.Fatalf("exit status %d:\n%s", sum.ExitStatus, sum)
	}
	t.Logf("IMPORTED-SUITE-OK %d rules", len(sum.Results))
}
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-v", "-run", "TestOurBackendConforms", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	for _, k := range []string{"CONTRACT_BASE_URL", "CONTRACT_TOKEN", "CONTRACT_TOKEN_CMD", "CONTRACT_TOKEN_URL", "CONTRACT_JUNIT", "CONTRACT_JSON"} {
		cmd.Env = append(cmd.Env, k+"=")
	}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "IMPORTED-SUITE-OK") {
		t.Fatalf("go test in another module: %v\n%s", err, out)
	}
}
