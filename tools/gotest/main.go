// Command gotest is make test's go test: it builds the test binaries of
// the packages named with `go test -c` and runs them, N at a time, each in
// its package's folder, printing go test's lines (ok, FAIL, the failing
// package's output).
//
// Why not go test itself: go test links every test binary again on every
// run (some 60 s of CPU for this module's ~35 binaries, a quarter of make
// test on two cores: go's build cache keeps compiled packages, not linked
// binaries). `go test -c -o DIR/` links again only a binary whose build ID
// no longer matches; with -cache, DIR is a folder outside the clone, kept
// between runs and shared by every clone (make test builds with -trimpath,
// so the binaries of two clones of one commit are the same). What it does not do that go test does:
// the vet subset go test runs first (make test runs go vet ./..., all of
// its checks), and caching test results (make test runs with -count=1).
//
//	go run ./tools/gotest [-race] [-p 4] [-timeout 15m] [-first PKG,...] [-bin DIR] [-cache DIR] PKG... [-- TESTFLAGS]
//
// TESTFLAGS go to every test binary, without their test. prefix as go test
// takes them (-short, -run X, -v). Exit status 1 when a package fails, 2
// when a binary cannot be built.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	race := flag.Bool("race", false, "build with the race detector")
	par := flag.Int("p", 4, "test binaries run at once")
	timeout := flag.Duration("timeout", 15*time.Minute, "each binary's -test.timeout; killed a minute after it")
	first := flag.String("first", "", "comma-separated packages to start first (the longest)")
	bin := flag.String("bin", "", "folder the test binaries run from, emptied first: one per gotest running at once (default: a temporary one)")
	cache := flag.String("cache", "", "folder the test binaries are linked in and kept, shared by every clone (go links again only what changed); default: none, linked in -bin")
	flag.Parse()
	args, testFlags := flag.Args(), []string(nil)
	if i := slices.Index(args, "--"); i >= 0 {
		args, testFlags = args[:i], args[i+1:]
	}
	if len(args) == 0 || *par < 1 {
		fmt.Fprintln(os.Stderr, "usage: gotest [-race] [-p N] [-timeout D] [-first PKG,...] [-bin DIR] PKG... [-- TESTFLAGS]")
		os.Exit(2)
	}
	os.Exit(run(os.Stdout, *race, *par, *timeout, *first, *bin, *cache, args, testFlags))
}

type pkg struct {
	ImportPath, Dir string
	TestGoFiles     []string
	XTestGoFiles    []string
}

func run(w io.Writer, race bool, par int, timeout time.Duration, first, bin, cache string, patterns, testFlags []string) int {
	pkgs, err := list(patterns)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gotest:", err)
		return 2
	}
	bin, out, cleanup, err := folders(bin, cache)
	defer cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gotest:", err)
		return 2
	}
	build := []string{"test", "-c", "-o", out + string(filepath.Separator)}
	if race {
		build = append(build, "-race")
	}
	var withTests []pkg
	for _, p := range pkgs {
		if len(p.TestGoFiles)+len(p.XTestGoFiles) > 0 {
			withTests = append(withTests, p)
			build = append(build, p.ImportPath)
		} else {
			fmt.Fprintf(w, "?   \t%s\t[no test files]\n", p.ImportPath)
		}
	}
	if len(withTests) == 0 {
		return 0
	}
	if err := buildInto(w, build, out, bin, withTests); err != nil {
		fmt.Fprintln(os.Stderr, "gotest:", err)
		return 2
	}
	order := strings.Split(first, ",")
	slices.SortStableFunc(withTests, func(a, b pkg) int { return rank(order, a) - rank(order, b) })

	flags := []string{"-test.timeout=" + timeout.String(), "-test.paniconexit0"}
	for _, f := range testFlags {
		if strings.HasPrefix(f, "-") && !strings.HasPrefix(f, "-test.") {
			f = "-test." + strings.TrimLeft(f, "-")
		}
		flags = append(flags, f)
	}
	verbose := slices.Contains(flags, "-test.v") || slices.Contains(flags, "-test.v=true")
	var mu sync.Mutex // one package's lines at a time
	failed := false
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for _, p := range withTests {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out, elapsed, cpu, err := runOne(filepath.Join(bin, path.Base(p.ImportPath)+".test"), p.Dir, flags, timeout+time.Minute)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = true
				w.Write(out)
				fmt.Fprintf(w, "FAIL\t%s\t%.3fs\t(CPU %.1fs)\n", p.ImportPath, elapsed.Seconds(), cpu.Seconds())
				return
			}
			if verbose {
				w.Write(out)
			}
			fmt.Fprintf(w, "ok  \t%s\t%.3fs\t(CPU %.1fs)\n", p.ImportPath, elapsed.Seconds(), cpu.Seconds())
		}()
	}
	wg.Wait()
	if failed {
		return 1
	}
	return 0
}

// folders returns the absolute folder the binaries run from (a temporary
// one when bin is empty, removed by cleanup), emptied, so that what an
// earlier run built there (another configuration, a package since
// removed) is never run; and the folder they are linked in: cache when
// set, else bin itself.
func folders(bin, cache string) (runDir, linkDir string, cleanup func(), err error) {
	cleanup = func() {}
	if bin == "" {
		if bin, err = os.MkdirTemp("", "gotest-"); err != nil {
			return "", "", cleanup, err
		}
		tmp := bin
		cleanup = func() { os.RemoveAll(tmp) }
	}
	if bin, err = filepath.Abs(bin); err == nil {
		if err = os.RemoveAll(bin); err == nil {
			err = os.MkdirAll(bin, 0o755)
		}
	}
	if err != nil || cache == "" {
		return bin, bin, cleanup, err
	}
	// Linked there, where go finds them up to date next time.
	if cache, err = filepath.Abs(cache); err == nil {
		err = os.MkdirAll(cache, 0o755)
	}
	return bin, cache, cleanup, err
}

// buildInto runs go with build (go test -c -o out/ ...) and, when out is a
// cache folder, not bin, links (or copies) each package's binary from out
// into bin, all under out's lock: another gotest sharing the cache waits
// instead of replacing a binary in the middle of being linked, and runs
// its own links, which a later build in out never overwrites in place (go
// replaces a file it writes).
func buildInto(w io.Writer, build []string, out, bin string, pkgs []pkg) error {
	if out != bin {
		unlock, err := lock(filepath.Join(out, ".lock"))
		if err != nil {
			return err
		}
		defer unlock()
	}
	cmd := exec.Command("go", build...)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %v", strings.Join(build, " "), err)
	}
	if out == bin {
		return nil
	}
	for _, p := range pkgs {
		name := path.Base(p.ImportPath) + ".test"
		if err := linkOrCopy(filepath.Join(out, name), filepath.Join(bin, name)); err != nil {
			return err
		}
	}
	return nil
}

func linkOrCopy(from, to string) error {
	if err := os.Link(from, to); err == nil {
		return nil
	}
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// rank is a package's place in the -first list; the others after it.
func rank(order []string, p pkg) int {
	for i, o := range order {
		if o != "" && (o == p.ImportPath || strings.HasSuffix(p.ImportPath, "/"+strings.TrimPrefix(o, "./"))) {
			return i
		}
	}
	return len(order)
}

// list is go list's view of the patterns.
func list(patterns []string) ([]pkg, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("go", append([]string{"list", "-json=ImportPath,Dir,TestGoFiles,XTestGoFiles"}, patterns...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []pkg
	for dec := json.NewDecoder(&stdout); dec.More(); {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("go list: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// runOne runs a test binary in dir, killed after limit (its own timeout
// panics before that, with every goroutine's stack). cpu is the user and
// system time of the binary and of the processes it waited for.
func runOne(exe, dir string, flags []string, limit time.Duration) (out []byte, elapsed, cpu time.Duration, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, flags...)
	cmd.Dir = dir
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.WaitDelay = 10 * time.Second // a child holding the output open
	start := time.Now()
	err = cmd.Run()
	elapsed = time.Since(start)
	if ctx.Err() != nil {
		err = fmt.Errorf("killed after %s", limit)
		fmt.Fprintf(&buf, "gotest: %s %v\n", filepath.Base(exe), err)
	}
	if ps := cmd.ProcessState; ps != nil {
		cpu = ps.UserTime() + ps.SystemTime()
	}
	return buf.Bytes(), elapsed, cpu, err
}
