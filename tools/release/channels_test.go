package release

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/internal/testenv"
	"github.com/flashback/revoke-contract/internal/testkit"
)

// TestNpxRevokeMock: make npm's packages, packed with npm pack and
// installed from the tarballs into an empty project with no registry
// (--offline: the other platforms' optional packages are skipped), run the
// mock through npx: --version, a short curl session, and Ctrl-C (SIGINT to
// npx) stops it cleanly, with exit status 0.
func TestNpxRevokeMock(t *testing.T) {
	if testing.Short() {
		t.Skip("packs and installs the npm packages or runs the action: make release-check, in .ci/run")
	}
	t.Parallel()
	npm := testenv.LookPath(t, "npx revoke-mock from packed tarballs", "install Node.js and npm", "npm")
	npx := testenv.LookPath(t, "npx revoke-mock from packed tarballs", "install Node.js and npm", "npx")
	curl := testenv.LookPath(t, "the curl session against npx revoke-mock", "apt-get install curl", "curl")
	dir, root := hostDist(t)
	work := t.TempDir()
	pkgs := filepath.Join(work, "npm")
	cmd := exec.Command("bash", filepath.Join(root, "tools", "npm.sh"))
	cmd.Env = append(os.Environ(), "VERSION="+testVersion, "DIST_DIR="+dir, "NPM_DIR="+pkgs)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tools/npm.sh: %v\n%s", err, out)
	}
	npmEnv := append(os.Environ(), "npm_config_cache="+filepath.Join(work, "npm-cache"), "npm_config_update_notifier=false",
		"npm_config_fund=false", "npm_config_audit=false")
	platform := map[string]string{"linux": "linux", "darwin": "darwin", "windows": "win32"}[runtime.GOOS] + "-" +
		map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
	var tarballs []string
	for _, pkg := range []string{"revoke-mock", "revoke-mock-" + platform} {
		pack := exec.Command(npm, "pack", "--pack-destination", work, filepath.Join(pkgs, pkg))
		pack.Env = npmEnv
		out, err := pack.CombinedOutput()
		if err != nil {
			t.Fatalf("npm pack %s: %v\n%s", pkg, err, out)
		}
		lines := strings.Fields(strings.TrimSpace(string(out)))
		tarballs = append(tarballs, filepath.Join(work, lines[len(lines)-1]))
	}
	project := filepath.Join(work, "project")
	if err := os.MkdirAll(project, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(project, "package.json"), []byte(`{"name":"a-frontend","version":"1.0.0","private":true}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	install := exec.Command(npm, append([]string{"install", "--offline", "--no-audit", "--no-fund"}, tarballs...)...)
	install.Dir, install.Env = project, npmEnv
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm install of the tarballs, offline: %v\n%s", err, out)
	}
	version := exec.Command(npx, "--offline", "revoke-mock", "--version")
	version.Dir, version.Env = project, npmEnv
	out, err := version.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "revoke-mock "+testVersion+" ") {
		t.Fatalf("npx revoke-mock --version: %v %q", err, out)
	}

	base := fmt.Sprintf("http://127.0.0.1:%d", testkit.FreePort(t))
	serve := startServing(t, project, npmEnv, npx, "--offline", "revoke-mock", "--port", strings.TrimPrefix(base, "http://127.0.0.1:"))
	for _, step := range []struct {
		token, want string
	}{{"npx-frontend-token", "200"}, {"npx-frontend-token", "401"}} {
		out, err := exec.Command(curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", base+"/sessions/revoke-all",
			"-H", "Authorization: Bearer "+step.token).Output()
		if err != nil || string(out) != step.want {
			t.Fatalf("curl through npx revoke-mock: %q, %v; want %s", out, err, step.want)
		}
	}
	// Ctrl-C in a terminal: SIGINT to the whole foreground process group
	// (npx, its shell, the launcher and the binary).
	// npm exec itself then dies of the SIGINT, as npm does (a shell shows
	// status 130); what matters is that the mock shut down gracefully and
	// nothing of the group is left.
	stopWith(t, serve, func() error { return syscall.Kill(-serve.Cmd.Process.Pid, syscall.SIGINT) }, "Ctrl-C (SIGINT to the process group)", syscall.SIGINT)
	if _, err := exec.Command(curl, "-s", "-m", "5", base+"/__mock/health").Output(); err == nil {
		t.Error("the mock still answers after npx stopped")
	}

	// A process manager stopping the launcher alone (SIGTERM to node): the
	// launcher forwards it, the binary shuts down, the exit status is 0.
	launcher := filepath.Join(project, "node_modules", ".bin", "revoke-mock")
	direct := startServing(t, project, npmEnv, launcher, "--port", fmt.Sprint(testkit.FreePort(t)))
	stopWith(t, direct, func() error { return direct.Cmd.Process.Signal(syscall.SIGTERM) }, "SIGTERM to the launcher only", 0)
}

// startServing starts argv in dir (a process group of its own) and waits
// for the mock's ready line.
func startServing(t *testing.T, dir string, env []string, argv ...string) *testkit.Process {
	t.Helper()
	return testkit.Start(t, testkit.Options{Argv: argv, Dir: dir, Env: env, Ready: regexp.MustCompile(`revoke-mock ready`)})
}

// stopWith signals a serving process and checks it stops cleanly: after
// the mock's graceful shutdown, with exit status 0 (or, when diedOf is a
// signal, dying of that signal), leaving no process of its group.
func stopWith(t *testing.T, p *testkit.Process, signal func() error, how string, diedOf syscall.Signal) {
	t.Helper()
	if err := signal(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Exited():
		err := p.Err()
		var exit *exec.ExitError
		switch {
		case err == nil:
		case diedOf != 0 && errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signaled() && exit.Sys().(syscall.WaitStatus).Signal() == diedOf:
		default:
			t.Errorf("after %s: %v (want exit status 0)\n%s", how, err, p.Output())
		}
		// The group's last processes may still be exiting (the mock under
		// npx writes its last lines after npx is gone): wait for it to be
		// empty, generously, then read the log.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if err := syscall.Kill(-p.Cmd.Process.Pid, 0); errors.Is(err, syscall.ESRCH) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("30 s after %s a process of the group is still running", how)
				break
			}
		}
		if log := p.Output(); !strings.Contains(log, "shutting down") {
			t.Errorf("after %s the mock did not shut down gracefully:\n%s", how, log)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after %s", how)
	}
}

// TestGoInstallFromAModuleProxy: go install of both commands at a version
// works from a module proxy (a file:// GOPROXY holding this working tree as
// a module zip; the dependencies from the local module cache), with no
// replace directive, and the installed binaries run from an empty folder,
// printing the version go install recorded.
func TestGoInstallFromAModuleProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles both commands from a module zip")
	}
	t.Parallel()
	_, root := hostDist(t)
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(?m)^\s*replace\b`).Match(gomod) {
		t.Fatal("go.mod has a replace directive: go install pkg@version refuses a module with one")
	}
	// A version of its own per run: the module cache keeps what it
	// extracts, and a reused version would be served stale.
	version := fmt.Sprintf("v0.0.0-%s-000000000000", time.Now().UTC().Format("20060102150405"))
	const module = "github.com/flashback/revoke-contract"
	proxy := t.TempDir()
	at := filepath.Join(proxy, module, "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		t.Fatal(err)
	}
	writeModuleZip(t, root, module, version, filepath.Join(at, version+".zip"))
	for name, body := range map[string]string{
		"list":            version + "\n",
		version + ".info": fmt.Sprintf(`{"Version":%q,"Time":%q}`, version, time.Now().UTC().Format(time.RFC3339)),
		version + ".mod":  string(gomod),
	} {
		if err := os.WriteFile(filepath.Join(at, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	modcache := strings.TrimSpace(goEnv(t, "GOMODCACHE"))
	t.Cleanup(func() { removeFromModCache(modcache, module, version) })
	bin := t.TempDir()
	install := exec.Command("go", "install", module+"/mockserver/cmd/revoke-mock@"+version, module+"/contract/cmd/revoke-contract@"+version)
	install.Dir = t.TempDir() // outside any module
	install.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=-mod=mod", "GOSUMDB=off", "GOWORK=off",
		"GOPROXY=file://"+proxy+",file://"+filepath.Join(modcache, "cache", "download"))
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install from the file:// proxy: %v\n%s", err, out)
	}
	for _, name := range []string{"revoke-mock", "revoke-contract"} {
		out, err := exec.Command(filepath.Join(bin, name), "--version").Output()
		if err != nil || !strings.HasPrefix(string(out), name+" "+version+" ") {
			t.Errorf("%s --version after go install: %q, %v; want the version %s", name, out, err, version)
		}
	}
	base := startMock(t, filepath.Join(bin, "revoke-mock"), "--sessions", "issued")
	run := exec.Command(filepath.Join(bin, "revoke-contract"), "--base-url", base, "--token-url", base+"/__mock/sessions", "--label-filter", "auth && must")
	run.Dir = t.TempDir()
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("the installed suite against the installed mock: %v\n%s", err, tail(out))
	}
}

func goEnv(t *testing.T, key string) string {
	t.Helper()
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// writeModuleZip writes the module zip of the working tree (the files git
// would commit: tracked, or untracked and not ignored) as go mod download
// would fetch it.
func writeModuleZip(t *testing.T, root, module, version, path string) {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	prefix := module + "@" + version + "/"
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		info, err := os.Lstat(filepath.Join(root, name))
		if err != nil || !info.Mode().IsRegular() {
			continue // deleted in the working tree, or a symlink (not allowed in module zips)
		}
		w, err := zw.Create(prefix + filepath.ToSlash(name))
		if err != nil {
			t.Fatal(err)
		}
		src, err := os.Open(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(w, src)
		src.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// removeFromModCache deletes what go install put in the module cache for
// this version (read-only files, so the folders are made writable first).
func removeFromModCache(modcache, module, version string) {
	for _, p := range []string{filepath.Join(modcache, module+"@"+version), filepath.Join(modcache, "cache", "download", module, "@v")} {
		_ = filepath.Walk(p, func(path string, info os.FileInfo, err error) error {
			if err == nil && info.IsDir() {
				_ = os.Chmod(path, 0o755)
			}
			return nil
		})
	}
	_ = os.RemoveAll(filepath.Join(modcache, module+"@"+version))
	matches, _ := filepath.Glob(filepath.Join(modcache, "cache", "download", module, "@v", version+".*"))
	for _, m := range matches {
		_ = os.Remove(m)
	}
}

// TestContainerImage: make image's Containerfile, built with buildah from
// the host's dist binary (FROM scratch, offline), has a non-root user,
// exposes 4010, listens on every interface by default, and its entrypoint,
// run with buildah run on the host's network, answers a revoke-all.
func TestContainerImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the image with buildah: make release-check, in .ci/run")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the image is built for linux/amd64")
	}
	t.Parallel()
	buildah := testenv.LookPath(t, "the container image", "apt-get install buildah", "buildah")
	dir, root := hostDist(t)
	store := t.TempDir()
	global := []string{"--root", filepath.Join(store, "root"), "--runroot", filepath.Join(store, "runroot"), "--storage-driver", "vfs"}
	t.Cleanup(func() {
		// vfs layers are plain folders, some read-only: make them removable.
		_ = exec.Command(buildah, append(global, "rm", "--all")...).Run()
		_ = exec.Command(buildah, append(global, "rmi", "--all", "--force")...).Run()
		_ = exec.Command("chmod", "-R", "u+w", store).Run()
	})
	build := exec.Command("bash", filepath.Join(root, "tools", "image.sh"))
	build.Env = append(os.Environ(), "VERSION="+testVersion, "DIST_DIR="+dir, "BUILDAH_FLAGS="+strings.Join(global[:4], " "))
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("tools/image.sh: %v\n%s", err, out)
	}
	image := "revoke-mock:" + testVersion
	out, err := exec.Command(buildah, append(global, "inspect", "--type", "image", image)...).Output()
	if err != nil {
		t.Fatalf("buildah inspect: %v", err)
	}
	var inspected struct {
		OCIv1 struct {
			Config struct {
				User         string
				ExposedPorts map[string]struct{}
				Entrypoint   []string
				Cmd          []string
			} `json:"config"`
		}
	}
	if err := json.Unmarshal(out, &inspected); err != nil {
		t.Fatal(err)
	}
	cfg := inspected.OCIv1.Config
	if cfg.User != "65532:65532" || strings.HasPrefix(cfg.User, "0") || cfg.User == "" {
		t.Errorf("the image runs as user %q, want the non-root 65532:65532", cfg.User)
	}
	if _, ok := cfg.ExposedPorts["4010/tcp"]; !ok {
		t.Errorf("the image exposes %v, want 4010/tcp", cfg.ExposedPorts)
	}
	if strings.Join(cfg.Entrypoint, " ") != "/revoke-mock" || strings.Join(cfg.Cmd, " ") != "--host 0.0.0.0" {
		t.Errorf("entrypoint %v, cmd %v; want /revoke-mock --host 0.0.0.0", cfg.Entrypoint, cfg.Cmd)
	}
	ctr, err := exec.Command(buildah, append(global, "from", image)...).Output()
	if err != nil {
		t.Fatalf("buildah from: %v", err)
	}
	// The entrypoint with the image's default arguments, and a port of the
	// test's: buildah run does not apply ENTRYPOINT and CMD itself.
	port := testkit.FreePort(t)
	argv := append([]string{buildah}, global...)
	argv = append(argv, "run", "--isolation", "chroot", "--network", "host", strings.TrimSpace(string(ctr)), "--")
	argv = append(argv, cfg.Entrypoint...)
	argv = append(argv, cfg.Cmd...)
	argv = append(argv, "--port", fmt.Sprint(port))
	base := testkit.Start(t, testkit.Options{Argv: argv}).URL
	base = strings.Replace(base, "0.0.0.0", "127.0.0.1", 1)
	if got := revokeAll(t, base, "a-token-from-the-container-test"); got != 200 {
		t.Errorf("revoke-all through the container's entrypoint: %d, want 200", got)
	}
}

// TestActionSteps runs the GitHub Action's shell steps (action.yml) as the
// runner would, against the mock: once building revoke-contract from source
// (setup-go's step is the Go already here), once downloading a "release"
// (the host's dist binaries and SHA256SUMS, served from a file:// URL),
// with inputs set as a workflow would set them; the reports are written.
func TestActionSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("packs and installs the npm packages or runs the action: make release-check, in .ci/run")
	}
	t.Parallel()
	testenv.LookPath(t, "the action's download step", "apt-get install curl", "curl")
	dir, root := hostDist(t)
	steps := actionSteps(t, filepath.Join(root, "action.yml"))
	if len(steps) < 2 {
		t.Fatalf("action.yml has %d shell steps", len(steps))
	}
	base := startMock(t, hostBinary(dir, "revoke-mock"), "--sessions", "issued")
	releases := t.TempDir()
	if err := os.MkdirAll(filepath.Join(releases, testVersion), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"SHA256SUMS", filepath.Base(hostBinary(dir, "revoke-contract"))} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(releases, testVersion, f), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, version := range []string{"source", testVersion} {
		t.Run(version, func(t *testing.T) {
			workspace, temp := t.TempDir(), t.TempDir()
			inputs := map[string]string{
				"base-url": base, "token-url": base + "/__mock/sessions", "token-cmd": "", "strict": "true",
				"junit": "contract-junit.xml", "json": "contract.json", "wait-for": "10s",
				"version": version, "release-url": "file://" + releases, "upload": "true",
			}
			for _, s := range steps {
				if s.If != "" && !evalCondition(t, s.If, inputs) {
					continue
				}
				cmd := exec.Command("bash", "-e", "-c", s.Run)
				cmd.Dir = workspace
				cmd.Env = append(os.Environ(), "RUNNER_TEMP="+temp, "GITHUB_WORKSPACE="+workspace)
				for k, v := range s.Env {
					cmd.Env = append(cmd.Env, k+"="+evalExpr(t, v, inputs, root))
				}
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("step %q: %v\n%s", s.Name, err, tail(out))
				}
			}
			for _, f := range []string{"contract-junit.xml", "contract.json"} {
				if _, err := os.Stat(filepath.Join(workspace, f)); err != nil {
					t.Errorf("the action wrote no %s: %v", f, err)
				}
			}
		})
	}
}
