package model

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/internal/testenv"
)

func TestParseProbe(t *testing.T) {
	for _, c := range []struct {
		in, err string
	}{
		{"GET /v1/me", ""},
		{"  HEAD /me?x=1 ", ""},
		{"POST /v1/me", "read-only"},
		{"GET", "method and a path"},
		{"GET v1/me", "start with /"},
		{"GET /sessions/revoke-all", "not be the endpoint"},
	} {
		p, err := ParseProbe(c.in)
		switch {
		case c.err == "" && (err != nil || p == nil):
			t.Errorf("%q: %v", c.in, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: error %v, want one saying %q", c.in, err, c.err)
		}
	}
}

// TestRenumber: dropping a login drops the steps that used its sessions
// and numbers the rest afresh.
func TestRenumber(t *testing.T) {
	h := []Step{
		{Kind: Login, User: Primary, Count: 2},              // 1, 2
		{Kind: Login, User: Secondary, Count: 1},            // 3
		{Kind: Call, Sess: 3, Form: &CanonicalForm},         // uses 3
		{Kind: Call, Sess: 2, Form: &CanonicalForm},         // uses 2
		{Kind: Call, Sess: 2, Aux: 3, Form: &Vocabulary[0]}, // uses 2 and 3
	}
	got, m := renumber(h, []bool{true, false, true, true, true})
	if len(got) != 2 || got[1].Sess != 2 || m[1] != 1 || m[2] != 2 || m[3] != 0 {
		t.Fatalf("renumber: %+v, %v", got, m)
	}
	got, _ = renumber(h, []bool{false, true, true, true, true})
	if len(got) != 2 || got[1].Sess != 1 {
		t.Fatalf("renumber without the first login: %+v", got)
	}
}

// TestWithLoginCount keeps the first n sessions of a login and the steps
// that need only those.
func TestWithLoginCount(t *testing.T) {
	h := []Step{
		{Kind: Login, User: Primary, Count: 3},      // 1, 2, 3
		{Kind: Login, User: Secondary, Count: 1},    // 4
		{Kind: Call, Sess: 1, Form: &CanonicalForm}, // stays
		{Kind: Call, Sess: 3, Form: &CanonicalForm}, // goes
		{Kind: Call, Sess: 4, Form: &CanonicalForm}, // becomes 2
	}
	got, ok := withLoginCount(h, 0, 1)
	if !ok || len(got) != 4 || got[0].Count != 1 || got[2].Sess != 1 || got[3].Sess != 2 {
		t.Fatalf("withLoginCount: %v %+v", ok, got)
	}
	if _, ok := withLoginCount(h[:4], 0, 1); ok {
		t.Fatal("a history whose last step needs a removed session was kept")
	}
}

// TestShellExpand: the markers become bash expansions that give the same
// values as the request, checked by bash itself.
func TestShellExpand(t *testing.T) {
	bash := testenv.LookPath(t, "the history's shell expansions checked by bash", "apt-get install bash", "bash")
	const tok, aux = "abcDEF123-_xyz", "ZZZ999"
	for _, s := range []string{"Bearer {{T}}", "{{T+}}", "{{T-}}", "{{T/}}", "{{T~}}", "x={{T}}&y={{A}}", `{"u":"{{OTHER}}"}`, "it's {{T}}"} {
		var creds []string
		want := expand(s, tok, aux, Secondary, &creds)
		script := "TOKEN_1='" + tok + "'; TOKEN_2='" + aux + "'; printf %s " + shellExpand(s, 1, 2, Secondary)
		out, err := exec.Command(bash, "-c", script).Output()
		if err != nil || string(out) != want {
			t.Errorf("%q: bash gives %q (%v), the request %q", s, out, err, want)
		}
		if strings.Contains(s, "{{T") && !strings.Contains(strings.Join(creds, " "), tok) {
			t.Errorf("%q: the token is not among the request's credentials", s)
		}
	}
}

// TestVocabularyFamilies: every family has forms, a name, and a class;
// the combined forms carry more than one variant.
func TestVocabularyFamilies(t *testing.T) {
	fams := Families()
	if len(fams) != 8 {
		t.Errorf("families %v, want the 8 of THREATS.md", fams)
	}
	seen := map[string]bool{}
	for _, f := range Vocabulary {
		if f.Name == "" || f.Tpl.Method == "" || !strings.HasPrefix(f.Tpl.Path, "/") {
			t.Errorf("incomplete form %+v", f)
		}
		if seen[f.Name] {
			t.Errorf("two forms named %q", f.Name)
		}
		seen[f.Name] = true
	}
}
