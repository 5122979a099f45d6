package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/internal/testenv"
	"github.com/flashback/revoke-contract/spec"
)

func writeSpec(t *testing.T, dir, name, from, to string) string {
	t.Helper()
	s := string(spec.OpenAPI)
	if from != "" {
		if !strings.Contains(s, from) {
			t.Fatalf("%q is not in the spec", from)
		}
		s = strings.Replace(s, from, to, 1)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDiffExitStatus(t *testing.T) {
	dir := t.TempDir()
	old := writeSpec(t, dir, "old.yaml", "", "")
	// success becomes a string, and so does the example's (else the document is refused)
	typeChanged := filepath.Join(dir, "type.yaml")
	s := strings.Replace(string(spec.OpenAPI), "    RevokeAllSuccess:\n      type: object\n      properties:\n        success:\n          type: boolean",
		"    RevokeAllSuccess:\n      type: object\n      properties:\n        success:\n          type: string", 1)
	s = strings.Replace(s, "                    success: true\n", "                    success: \"true\"\n", 1)
	_ = os.WriteFile(typeChanged, []byte(s), 0o600)
	required := writeSpec(t, dir, "required.yaml", "    RevokeAllSuccess:\n      type: object\n", "    RevokeAllSuccess:\n      type: object\n      required: [success]\n")

	var out, errOut bytes.Buffer
	if code := run([]string{"diff", old, typeChanged}, &out, &errOut); code != 1 ||
		!regexp.MustCompile(`\nBREAKING +BREAKING +POST /sessions/revoke-all`).MatchString(out.String()) || !strings.Contains(out.String(), "response-property-type-changed") {
		t.Errorf("a type change: exit %d, want 1 with the change listed:\n%s%s", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run([]string{"diff", old, required}, &out, &errOut); code != 0 ||
		!regexp.MustCompile(`\n- +BREAKING +POST /sessions/revoke-all`).MatchString(out.String()) {
		t.Errorf("a field made required (breaks backends only): exit %d, want 0 with it listed:\n%s", code, out.String())
	}
	out.Reset()
	if code := run([]string{"diff", "--json", old, typeChanged}, &out, &errOut); code != 1 {
		t.Errorf("--json: exit %d", code)
	}
	var res struct {
		Changes []struct {
			ID            string
			BreaksClients bool
		}
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || len(res.Changes) == 0 || !res.Changes[0].BreaksClients {
		t.Errorf("--json: %v\n%s", err, out.String())
	}
	for _, args := range [][]string{{"diff"}, {"diff", old}, {"diff", old, filepath.Join(dir, "missing.yaml")}, {"diff", "--nope", old, old}} {
		errOut.Reset()
		if code := run(args, &out, &errOut); code != 2 || errOut.Len() == 0 {
			t.Errorf("%q: exit %d, %q; want 2 with a message", args, code, errOut.String())
		}
	}
}

func TestDiffReadsGitRevisions(t *testing.T) {
	git := testenv.LookPath(t, "git, for revoke-contract diff git:REV:PATH", "apt-get install git", "git")
	dir := t.TempDir()
	gitIn := func(args ...string) {
		t.Helper()
		cmd := exec.Command(git, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitIn("init", "-q")
	writeSpec(t, dir, "openapi.yaml", "", "")
	gitIn("add", "openapi.yaml")
	gitIn("commit", "-qm", "v1")
	writeSpec(t, dir, "openapi.yaml", "        message:\n          type: string\n          description: Success message\n", "")
	t.Chdir(dir)
	var out, errOut bytes.Buffer
	if code := run([]string{"diff", "git:HEAD:openapi.yaml", "openapi.yaml"}, &out, &errOut); code != 1 || !strings.Contains(out.String(), "response-optional-property-removed") {
		t.Errorf("git:HEAD:openapi.yaml against the edited file: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"diff", "git:HEAD:missing.yaml", "openapi.yaml"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "git show") {
		t.Errorf("a path git does not have: exit %d, %q", code, errOut.String())
	}
}
