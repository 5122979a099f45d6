package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/internal/testenv"
)

// TestMain lets the test binary stand in for revoke-mock in the README's
// commands (REVOKE_MOCK_TEST_AS_MAIN=1), so no second build is needed.
func TestMain(m *testing.M) {
	if os.Getenv("REVOKE_MOCK_TEST_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// readmeStep is one "$ command" of the README's console block and the
// output printed under it.
type readmeStep struct {
	command string
	want    []string
}

// readmeSession reads the n-th (from 1) ```console block of the README:
// lines starting with "$ " are commands, "# " lines are comments, the rest
// is the expected output of the command above, where "..." stands for any
// text.
func readmeSession(t *testing.T, n int) []readmeStep {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	block := string(data)
	for i := 0; i < n; i++ {
		var ok bool
		if _, block, ok = strings.Cut(block, "```console\n"); !ok {
			t.Fatalf("the README has no ```console block number %d", n)
		}
	}
	block, _, _ = strings.Cut(block, "```")
	var steps []readmeStep
	for _, line := range strings.Split(strings.TrimRight(block, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "$ "):
			steps = append(steps, readmeStep{command: strings.TrimPrefix(line, "$ ")})
		case strings.HasPrefix(line, "# "):
		case len(steps) > 0:
			steps[len(steps)-1].want = append(steps[len(steps)-1].want, line)
		}
	}
	for i := range steps {
		for n := len(steps[i].want); n > 0 && steps[i].want[n-1] == ""; n-- {
			steps[i].want = steps[i].want[:n-1] // the blank line between steps
		}
	}
	return steps
}

// TestReadmeFirstScreen runs the README's curl session, command by command,
// against the mock as `make mock` starts it, and compares the output line by
// line (a "Date: ..." line stands for any date). Only the address changes
// (a free port instead of 4010) and revoke-mock is this test binary.
func TestReadmeFirstScreen(t *testing.T) {
	testenv.LookPath(t, "the README's curl session", "apt-get install curl", "curl")
	steps := readmeSession(t, 1)
	if len(steps) < 6 {
		t.Fatalf("the README's session has %d commands; want the 200, the 500, the 401 and the log-out-everywhere flow", len(steps))
	}
	runReadmeSession(t, steps)
}

// TestReadmeScenarioSession runs the README's second console session: a
// scenario decides an answer, the journal shows it, revoke-mock scenario
// add arranges a reset that curl reports.
func TestReadmeScenarioSession(t *testing.T) {
	testenv.LookPath(t, "the README's scenario session", "apt-get install curl", "curl")
	steps := readmeSession(t, 2)
	var sawScenario, sawJournal bool
	for _, st := range steps {
		sawScenario = sawScenario || strings.Contains(st.command, "/__mock/scenarios")
		sawJournal = sawJournal || strings.Contains(st.command, "/__mock/requests")
	}
	if !sawScenario || !sawJournal {
		t.Fatalf("the README's second session must show a scenario and the journal: %+v", steps)
	}
	runReadmeSession(t, steps)
}

func runReadmeSession(t *testing.T, steps []readmeStep) {
	t.Helper()
	base, _, _, _ := serve(t) // the defaults of make mock: sessions lazy, every origin
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	mockCmd := regexp.MustCompile(`go run \./mockserver/cmd/revoke-mock (token|scenario [a-z]+)`)
	// One shell for the whole session, so that variables carry over; a
	// marker line before each command splits the output.
	const marker = "@@readme-step@@"
	var script strings.Builder
	script.WriteString("set -e\n")
	for _, st := range steps {
		cmd := strings.ReplaceAll(st.command, "http://127.0.0.1:4010", base)
		cmd = mockCmd.ReplaceAllString(cmd, fmt.Sprintf("%q $1 --url %s", self, base))
		fmt.Fprintf(&script, "echo %s\n%s\n", marker, cmd)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sh := exec.CommandContext(ctx, "bash", "-c", script.String())
	sh.Env = append(os.Environ(), "REVOKE_MOCK_TEST_AS_MAIN=1")
	var stderr strings.Builder
	sh.Stderr = &stderr
	out, err := sh.Output()
	if err != nil {
		t.Fatalf("the session failed: %v\n%s\n%s", err, out, stderr.String())
	}
	outputs := strings.Split(strings.ReplaceAll(string(out), "\r", ""), marker+"\n")[1:]
	if len(outputs) != len(steps) {
		t.Fatalf("%d outputs for %d commands:\n%s", len(outputs), len(steps), out)
	}
	for i, st := range steps {
		text := strings.TrimRight(outputs[i], "\n")
		var got []string
		if text != "" {
			got = strings.Split(text, "\n")
		}
		if len(got) != len(st.want) {
			t.Errorf("step %d, %q:\ngot\n%s\nthe README shows\n%s", i+1, st.command, strings.Join(got, "\n"), strings.Join(st.want, "\n"))
			continue
		}
		for j := range got {
			if !lineMatches(st.want[j], got[j]) {
				t.Errorf("step %d, %q, line %d: got %q, the README shows %q", i+1, st.command, j+1, got[j], st.want[j])
			}
		}
	}
}

// lineMatches: want is got, where each "..." in want stands for any text
// ("Date: ..." for any date).
func lineMatches(want, got string) bool {
	if !strings.Contains(want, "...") {
		return want == got
	}
	parts := strings.Split(want, "...")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$").MatchString(got)
}

// TestEveryFlagInReadme: each flag revoke-mock's help lists has a row in
// the README's table of flags, with its REVOKE_MOCK_ variable, and the
// table names no flag the command lacks.
func TestEveryFlagInReadme(t *testing.T) {
	var help, proxyHelp bytes.Buffer
	run(context.Background(), []string{"--help"}, io.Discard, &help)
	run(context.Background(), []string{"proxy", "--help"}, io.Discard, &proxyHelp)
	flagRE := regexp.MustCompile(`(?m)^  -([a-z-]+)`)
	flags := flagRE.FindAllStringSubmatch(help.String(), -1)
	proxyOnly := map[string]bool{} // revoke-mock proxy's own flags have rows too
	for _, f := range flagRE.FindAllStringSubmatch(proxyHelp.String(), -1) {
		proxyOnly[f[1]] = true
	}
	if len(flags) < 10 {
		t.Fatalf("the help lists %d flags:\n%s", len(flags), help.String())
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| `--([a-z-]+)` \\| `(REVOKE_MOCK_[A-Z_]+)` \\|").FindAllStringSubmatch(string(data), -1)
	inReadme := map[string]string{}
	for _, r := range rows {
		inReadme[r[1]] = r[2]
	}
	for _, f := range flags {
		want := "REVOKE_MOCK_" + strings.ToUpper(strings.ReplaceAll(f[1], "-", "_"))
		if got, ok := inReadme[f[1]]; !ok || got != want {
			t.Errorf("the README's table of flags has no row for --%s with %s", f[1], want)
		}
		delete(inReadme, f[1])
	}
	for f := range inReadme {
		if !proxyOnly[f] {
			t.Errorf("the README's table lists --%s, which revoke-mock does not have", f)
		}
	}
}
