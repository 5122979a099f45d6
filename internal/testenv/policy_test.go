package testenv

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/module"
)

// The test policies of docs/testing.md, checked over the module's source.

// moduleFiles parses every Go file of the module (not tools/node_modules,
// not testdata) and returns them by path relative to the root.
func moduleFiles(t *testing.T) (map[string]*ast.File, *token.FileSet, string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", root, err)
	}
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "testdata", ".git", ".bin":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		files[filepath.ToSlash(rel)] = f
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("only %d Go files found under %s", len(files), root)
	}
	return files, fset, root
}

// TestNoTestFailsOnWallClockTime: a test compares no duration it measured
// (time.Since, a .Elapsed field, or a variable holding either) against a
// bound. Speed belongs to benchmarks; a test waits for a condition with a
// generous deadline instead. Benchmarks may measure.
func TestNoTestFailsOnWallClockTime(t *testing.T) {
	files, fset, _ := moduleFiles(t)
	for path, f := range files {
		if !strings.HasSuffix(path, "_test.go") {
			continue
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil || strings.HasPrefix(fn.Name.Name, "Benchmark") {
				continue
			}
			for _, pos := range elapsedComparisons(fn.Body) {
				t.Errorf("%s: compares a measured duration against a bound; wait for a condition instead, or measure in a benchmark (docs/testing.md)", fset.Position(pos))
			}
		}
	}
}

// elapsedComparisons returns where body compares a measured duration.
func elapsedComparisons(body *ast.BlockStmt) []token.Pos {
	measured := map[string]bool{} // variables assigned a measured duration
	isMeasured := func(e ast.Expr) bool {
		switch e := ast.Unparen(e).(type) {
		case *ast.CallExpr:
			if sel, ok := e.Fun.(*ast.SelectorExpr); ok {
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "time" && sel.Sel.Name == "Since" {
					return true
				}
				if sel.Sel.Name == "Sub" {
					if call, ok := sel.X.(*ast.CallExpr); ok {
						if s, ok := call.Fun.(*ast.SelectorExpr); ok && s.Sel.Name == "Now" {
							return true
						}
					}
				}
			}
		case *ast.SelectorExpr:
			return e.Sel.Name == "Elapsed"
		case *ast.Ident:
			return measured[e.Name]
		}
		return false
	}
	var found []token.Pos
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, rhs := range n.Rhs {
				if i < len(n.Lhs) && isMeasured(rhs) {
					if id, ok := n.Lhs[i].(*ast.Ident); ok {
						measured[id.Name] = true
					}
				}
			}
		case *ast.BinaryExpr:
			switch n.Op {
			case token.LSS, token.LEQ, token.GTR, token.GEQ:
				if isMeasured(n.X) || isMeasured(n.Y) {
					found = append(found, n.Pos())
				}
			}
		}
		return true
	})
	return found
}

// TestOneRuleForTools: only this package decides what a missing tool does.
// Elsewhere no Go file reads REVOKE_REQUIRE_TOOLS or REQUIRE_CHROMIUM, and
// no test looks a program up itself (exec.LookPath): it calls LookPath or
// File here.
func TestOneRuleForTools(t *testing.T) {
	files, fset, _ := moduleFiles(t)
	for path, f := range files {
		if strings.HasPrefix(path, "internal/testenv/") {
			continue
		}
		testCode := strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, "prismrun.go")
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if n.Kind == token.STRING {
					if s, err := strconv.Unquote(n.Value); err == nil && (s == RequireVar || s == "REQUIRE_CHROMIUM") {
						t.Errorf("%s: reads %s; use testenv.Required, LookPath or File", fset.Position(n.Pos()), s)
					}
				}
			case *ast.SelectorExpr:
				if pkg, ok := n.X.(*ast.Ident); ok && pkg.Name == "exec" && n.Sel.Name == "LookPath" && testCode {
					t.Errorf("%s: a test looks a tool up itself; use testenv.LookPath so a missing tool skips loudly or fails in CI", fset.Position(n.Pos()))
				}
			}
			return true
		})
	}
}

// TestFuzzTargetsHaveSeeds: make test runs each fuzz target on its
// committed seeds only (f.Add, or files under testdata/fuzz/<Target>), so
// every target needs some, or it tests nothing there.
func TestFuzzTargetsHaveSeeds(t *testing.T) {
	files, fset, root := moduleFiles(t)
	for path, f := range files {
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil || !strings.HasPrefix(fn.Name.Name, "Fuzz") || !strings.HasSuffix(path, "_test.go") {
				continue
			}
			seeded := false
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Add" {
						seeded = true
					}
				}
				return !seeded
			})
			corpus := filepath.Join(root, filepath.Dir(path), "testdata", "fuzz", fn.Name.Name)
			if entries, err := os.ReadDir(corpus); err == nil && len(entries) > 0 {
				seeded = true
			}
			if !seeded {
				t.Errorf("%s: %s has no seed (f.Add or %s): make test would not exercise it", fset.Position(fn.Pos()), fn.Name.Name, corpus)
			}
		}
	}
}

// TestElapsedComparisonsFinds proves the wall-clock check can fail.
func TestElapsedComparisonsFinds(t *testing.T) {
	src := `package p
func f() {
	if time.Since(start) > time.Second {}
	d := time.Since(start)
	if d >= limit {}
	if res.Elapsed > time.Minute {}
	if time.Now().Sub(start) < 0 {}
	t.Logf("took %v", time.Since(start).Round(time.Millisecond))
	if n > 3 {}
}`
	f, err := parser.ParseFile(token.NewFileSet(), "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	fn := f.Decls[0].(*ast.FuncDecl)
	if got := len(elapsedComparisons(fn.Body)); got != 4 {
		t.Errorf("found %d comparisons of measured durations, want 4", got)
	}
}

// notRaceTested are the packages with concurrency of their own that make
// test runs without the race detector, and why. Anything else with a go
// statement or a mutex belongs in RACE_PKGS (Makefile), which means in a
// package that depends on the standard library alone (docs/testing.md).
var notRaceTested = map[string]string{
	"spec":                       "the mutex guards a log collector for one Load call; moving it would split it from its only user",
	"mockserver/cmd/revoke-mock": "one goroutine runs the server and reports on a channel, one runs --watch's polling loop; their shared state is in mockserver/store, mockserver/reqlog, mockserver/scenario, mockserver/journal and mockserver/reload (all race-tested)",
	"contract/teeth":             "a test fixture (the reference backend), not product code",
	"bench/cmd/bare":             "a benchmark baseline program",
	"bench/cmd/loadcompare":      "a benchmark program",
	"bench/cmd/soak":             "a benchmark program (make soak)",
	"bench/cmd/pgo":              "a benchmark program (make pgo): one goroutine waits for the mock it profiles",
	"contract":                   "rules run one at a time on Ginkgo's goroutines; the one rule that sends concurrently does it through contract/internal/wire, which is race-tested; the mutex only orders rule records against the report; the in-process mock's server goroutine serves mockserver, tested on its own; race-compiling libopenapi here would cost the budget ~40 s",
}

// TestConcurrencyIsRaceTested: every package whose non-test code starts a
// goroutine or holds a sync.Mutex, sync.RWMutex or atomic value is in
// RACE_PKGS, or listed above with its reason.
func TestConcurrencyIsRaceTested(t *testing.T) {
	files, fset, root := moduleFiles(t)
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(makefile), "\n") {
		if rest, ok := strings.CutPrefix(line, "RACE_PKGS :="); ok {
			patterns = strings.Fields(rest)
		}
	}
	if len(patterns) == 0 {
		t.Fatal("no RACE_PKGS := line in the Makefile")
	}
	raceTested := func(dir string) bool {
		for _, p := range patterns {
			p = strings.TrimPrefix(p, "./")
			if base, ok := strings.CutSuffix(p, "/..."); ok && (dir == base || strings.HasPrefix(dir, base+"/")) || dir == p {
				return true
			}
		}
		return false
	}
	seen := map[string]bool{}
	for path, f := range files {
		dir := filepath.ToSlash(filepath.Dir(path))
		if strings.HasSuffix(path, "_test.go") || raceTested(dir) || seen[dir] {
			continue
		}
		var where token.Pos
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				where = n.Pos()
			case *ast.SelectorExpr:
				if pkg, ok := n.X.(*ast.Ident); ok && (pkg.Name == "sync" && (n.Sel.Name == "Mutex" || n.Sel.Name == "RWMutex") || pkg.Name == "atomic") {
					where = n.Pos()
				}
			}
			return where == token.NoPos
		})
		if where == token.NoPos {
			continue
		}
		seen[dir] = true
		if _, ok := notRaceTested[dir]; !ok {
			t.Errorf("%s: concurrency in package %s, which make test runs without -race: move the concurrent part into a package of RACE_PKGS (standard library only), or list it in notRaceTested with the reason", fset.Position(where), dir)
		}
	}
	for dir := range notRaceTested {
		if !seen[dir] {
			t.Errorf("notRaceTested lists %s, which has no concurrency of its own (any more): remove it", dir)
		}
	}
}

// TestLibOpenAPIStaysInSpec: only package spec imports libopenapi or
// libopenapi-validator. Every package that names one of their generic model
// types compiles the instantiations again (~8 s of CPU each, and again for
// its test variant); spec wraps what the others need (Responses,
// Validator), so the build pays once.
func TestLibOpenAPIStaysInSpec(t *testing.T) {
	files, fset, _ := moduleFiles(t)
	for path, f := range files {
		if strings.HasPrefix(path, "spec/") && !strings.Contains(strings.TrimPrefix(path, "spec/"), "/") {
			continue
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); strings.HasPrefix(p, "github.com/pb33f/libopenapi") {
				t.Errorf("%s: imports %s; use what package spec offers (Spec.Responses, Spec.Validator), or add it there", fset.Position(imp.Pos()), p)
			}
		}
	}
}

// TestDependenciesListed: docs/reliability.md lists every module of go.mod,
// at its version, with why it is needed, and no module go.mod lacks.
func TestDependenciesListed(t *testing.T) {
	_, _, root := moduleFiles(t)
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "reliability.md"))
	if err != nil {
		t.Fatal(err)
	}
	required := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\t(\S+) (v\S+)`).FindAllStringSubmatch(string(gomod), -1) {
		required[m[1]] = m[2]
	}
	listed := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([^`]+)` \\| `(v[^`]+)` \\| (.*) \\|$").FindAllStringSubmatch(string(doc), -1) {
		listed[m[1]] = m[2]
		if strings.TrimSpace(m[3]) == "" || strings.TrimSpace(m[3]) == "?" {
			t.Errorf("docs/reliability.md: %s has no reason", m[1])
		}
	}
	if len(required) == 0 {
		t.Fatal("no requirement found in go.mod")
	}
	for mod, v := range required {
		if listed[mod] != v {
			t.Errorf("docs/reliability.md lists %s at %q; go.mod requires %s", mod, listed[mod], v)
		}
	}
	for mod := range listed {
		if _, ok := required[mod]; !ok {
			t.Errorf("docs/reliability.md lists %s, which go.mod does not require", mod)
		}
	}
}

// TestModuleFilePaths: every file of the module has a path a module zip
// may hold (module.CheckFilePath: no Windows-reserved name such as "nul",
// no character Windows or macOS refuses), or go install pkg@version fails
// for everyone as soon as the module is published.
func TestModuleFilePaths(t *testing.T) {
	_, _, root := moduleFiles(t)
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if strings.HasPrefix(name, "tools/node_modules/") {
			continue
		}
		if err := module.CheckFilePath(name); err != nil {
			t.Errorf("%v", err)
		}
	}
}

// TestShortTestsRunInFull: make test runs with -short; a test that
// shortens or skips itself then must run in full in .ci/run: named in the
// Makefile's LONG_TESTS (make long), or in a package that make
// release-check runs, or named in a target that runs without -short.
func TestShortTestsRunInFull(t *testing.T) {
	files, fset, root := moduleFiles(t)
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	mk := string(makefile)
	var long []string
	for _, line := range strings.Split(mk, "\n") {
		if rest, ok := strings.CutPrefix(line, "LONG_TESTS :="); ok {
			long = strings.Split(strings.TrimSpace(rest), "|")
		}
	}
	if len(long) == 0 {
		t.Fatal("no LONG_TESTS := line in the Makefile")
	}
	found := 0
	for path, f := range files {
		if !strings.HasSuffix(path, "_test.go") {
			continue
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || !strings.HasPrefix(fn.Name.Name, "Test") || fn.Body == nil {
				continue
			}
			short := false
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Short" {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == "testing" {
						short = true
					}
				}
				return !short
			})
			if !short || dir == "internal/testenv" {
				continue
			}
			found++
			name := fn.Name.Name
			switch {
			case slices.Contains(long, name):
			case dir == "tools/release" && strings.Contains(mk, "./tools/release"):
			case strings.Contains(mk, "'^"+name+"$$'"):
			default:
				t.Errorf("%s: %s shortens itself under -short (make test) but runs in full nowhere: add it to LONG_TESTS in the Makefile", fset.Position(fn.Pos()), name)
			}
		}
	}
	if found == 0 {
		t.Error("found no test that calls testing.Short(): the scan is broken")
	}
}
