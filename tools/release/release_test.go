package release

import (
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/internal/modroot"
	"github.com/flashback/revoke-contract/internal/testkit"
	"github.com/flashback/revoke-contract/spec"
)

// testVersion is what the tests stamp: a prerelease no real tag will use.
const testVersion = "v0.0.1-test"

var (
	distOnce sync.Once
	distDir  string
	distErr  error
	distRoot string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if distDir != "" {
		os.RemoveAll(filepath.Dir(distDir))
	}
	os.Exit(code)
}

// hostDist builds the host's binaries the way make dist does (tools/dist.sh,
// PLATFORMS set to the host) once per test binary, and returns the folder.
func hostDist(t *testing.T) (dir, root string) {
	t.Helper()
	distOnce.Do(func() {
		distRoot, distErr = modroot.FromWorkingDir()
		if distErr != nil {
			return
		}
		tmp, err := os.MkdirTemp("", "release-dist-")
		if err != nil {
			distErr = err
			return
		}
		distDir = filepath.Join(tmp, "dist")
		cmd := exec.Command("bash", filepath.Join(distRoot, "tools", "dist.sh"))
		cmd.Env = append(os.Environ(), "VERSION="+testVersion, "DIST_DIR="+distDir, "PLATFORMS="+runtime.GOOS+"/"+runtime.GOARCH)
		if out, err := cmd.CombinedOutput(); err != nil {
			distErr = fmt.Errorf("tools/dist.sh: %v\n%s", err, out)
		}
	})
	if distErr != nil {
		t.Fatal(distErr)
	}
	return distDir, distRoot
}

func hostBinary(dir, name string) string {
	return filepath.Join(dir, fmt.Sprintf("%s-%s-%s", name, runtime.GOOS, runtime.GOARCH))
}

// TestDistHostBinaries: make dist's host binaries are static, listed in
// SHA256SUMS with their hash, print the stamped version, the commit and
// the embedded spec's hash, and work: the suite binary passes strict
// against the mock binary, both run from an empty folder.
func TestDistHostBinaries(t *testing.T) {
	if testing.Short() {
		// make dist's configuration (CGO_ENABLED=0, -trimpath) is a second
		// compile of every package on a new machine (~200 s).
		t.Skip("builds the release binaries: make release-check, in .ci/run")
	}
	t.Parallel()
	dir, _ := hostDist(t)
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	specSum := sha256.Sum256(spec.OpenAPI)
	wantVersion := regexp.MustCompile(`^(revoke-mock|revoke-contract) ` + regexp.QuoteMeta(testVersion) +
		` \(commit [0-9a-f]{12}(-dirty)?, spec sha256 ` + hex.EncodeToString(specSum[:]) + `\)\n$`)
	for _, name := range []string{"revoke-mock", "revoke-contract"} {
		bin := hostBinary(dir, name)
		data, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if line := hex.EncodeToString(sum[:]) + "  " + filepath.Base(bin); !strings.Contains(string(sums), line+"\n") {
			t.Errorf("SHA256SUMS lacks %q:\n%s", line, sums)
		}
		if runtime.GOOS == "linux" {
			f, err := elf.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Errorf("%s is dynamically linked (it has an interpreter): not a static binary", name)
				}
			}
			f.Close()
		}
		out, err := exec.Command(bin, "--version").Output()
		if err != nil || !wantVersion.Match(out) {
			t.Errorf("%s --version: %q, %v; want %s", name, out, err, wantVersion)
		}
		// revoke-mock is built with its PGO profile (what make bench
		// measures), revoke-contract without one.
		info, err := buildinfo.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		var pgo string
		for _, st := range info.Settings {
			if st.Key == "-pgo" {
				pgo = st.Value
			}
		}
		if want := name == "revoke-mock"; want != strings.HasSuffix(pgo, "revoke-mock.pgo") {
			t.Errorf("%s was built with -pgo=%q; want the profile mockserver/cmd/revoke-mock/revoke-mock.pgo: %v", name, pgo, want)
		}
	}
	base := startMock(t, hostBinary(dir, "revoke-mock"), "--sessions", "issued")
	run := exec.Command(hostBinary(dir, "revoke-contract"), "--base-url", base, "--token-url", base+"/__mock/sessions", "--strict")
	run.Dir = t.TempDir()
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("the dist suite against the dist mock: %v\n%s", err, tail(out))
	}
}

// TestDistOtherPlatform: the cross-compiled binaries are named and
// checksummed like the host's (one other platform is built here: each costs
// a compilation of every package; make dist builds all six).
func TestDistOtherPlatform(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles every package")
	}
	t.Parallel()
	_, root := hostDist(t)
	dir := filepath.Join(t.TempDir(), "dist")
	cmd := exec.Command("bash", filepath.Join(root, "tools", "dist.sh"))
	cmd.Env = append(os.Environ(), "VERSION="+testVersion, "DIST_DIR="+dir, "PLATFORMS=windows/arm64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tools/dist.sh: %v\n%s", err, out)
	}
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"revoke-mock-windows-arm64.exe", "revoke-contract-windows-arm64.exe"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(data[:2]) != "MZ" {
			t.Errorf("%s is not a Windows executable", name)
		}
		sum := sha256.Sum256(data)
		if !strings.Contains(string(sums), hex.EncodeToString(sum[:])+"  "+name+"\n") {
			t.Errorf("SHA256SUMS lacks %s", name)
		}
	}
}

// TestDistRefusesABadVersion: make dist needs a semantic version.
func TestDistRefusesABadVersion(t *testing.T) {
	t.Parallel()
	root, err := modroot.FromWorkingDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"", "1.2.3", "v1.2", "latest"} {
		cmd := exec.Command("bash", filepath.Join(root, "tools", "dist.sh"))
		cmd.Env = append(os.Environ(), "VERSION="+v, "DIST_DIR="+t.TempDir())
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errorsAs(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "want a semantic version") {
			t.Errorf("VERSION=%q: %v %s", v, err, out)
		}
	}
}

func errorsAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}

// startMock runs a revoke-mock binary on a free loopback port and returns
// its base URL once it says it is ready; it is stopped at the end of the
// test.
func startMock(t *testing.T, bin string, args ...string) string {
	t.Helper()
	return testkit.StartMock(t, bin, args...).URL
}

func tail(b []byte) string {
	if len(b) > 3000 {
		return "…" + string(b[len(b)-3000:])
	}
	return string(b)
}

// revokeAll posts to base with token and returns the status.
func revokeAll(t *testing.T, base, token string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/sessions/revoke-all", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
