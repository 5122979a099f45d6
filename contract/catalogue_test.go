package contract

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	idRE := regexp.MustCompile(`^(AUTH|SCHEMA|HTTP|REV|MODEL)-\d{3}$`)
	groups := map[string]string{"AUTH": "auth", "SCHEMA": "schema", "HTTP": "http", "REV": "revocation", "MODEL": "model"}
	for _, r := range Catalogue {
		if !idRE.MatchString(r.ID) || seen[r.ID] {
			t.Errorf("bad or duplicate rule ID %q", r.ID)
		}
		seen[r.ID] = true
		if prefix, _, _ := strings.Cut(r.ID, "-"); groups[prefix] != r.Group {
			t.Errorf("%s: group %q, want %q", r.ID, r.Group, groups[prefix])
		}
		if r.Level != Must && r.Level != Should {
			t.Errorf("%s: level %q", r.ID, r.Level)
		}
		if r.Requirement == "" || r.Source == "" {
			t.Errorf("%s: requirement and source are required", r.ID)
		}
	}
	if len(Catalogue) != 39 {
		t.Errorf("catalogue has %d rules, RULES.md has 39", len(Catalogue))
	}
}

// rulesDoc reads RULES.md from the package's folder: go test runs a
// package's tests there. The compiled suite may be run from anywhere (and
// built with -trimpath, as make test builds it, the source's own path is
// not absolute), so it skips where RULES.md is not beside it.
func rulesDoc(t *testing.T) []byte {
	t.Helper()
	name := "RULES.md"
	if _, self, _, ok := runtime.Caller(0); ok && filepath.IsAbs(self) {
		name = filepath.Join(filepath.Dir(self), name)
	}
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("RULES.md is not in the working directory or next to this test's source (%v)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestRulesDoc keeps RULES.md in step with the catalogue: every rule has a
// row with its level and labels, and no row names an unknown rule.
func TestRulesDoc(t *testing.T) {
	data := rulesDoc(t)
	rows := map[string]string{}
	rowRE := regexp.MustCompile(`(?m)^\| *([A-Z]+-\d{3}) *\|(.*)$`)
	for _, m := range rowRE.FindAllStringSubmatch(string(data), -1) {
		rows[m[1]] = m[2]
	}
	for _, r := range Catalogue {
		row, ok := rows[r.ID]
		if !ok {
			t.Errorf("RULES.md has no row for %s", r.ID)
			continue
		}
		cells := strings.Split(row, "|")
		if len(cells) < 2 || strings.TrimSpace(cells[0]) != string(r.Level) {
			t.Errorf("RULES.md row %s: level cell %q, want %s", r.ID, cells[0], r.Level)
		}
		if len(cells) >= 2 && strings.TrimSpace(strings.ReplaceAll(cells[1], "`", "")) != strings.Join(r.Labels(), ", ") {
			t.Errorf("RULES.md row %s: labels cell %q, want %q", r.ID, cells[1], strings.Join(r.Labels(), ", "))
		}
		delete(rows, r.ID)
	}
	for id := range rows {
		t.Errorf("RULES.md has a row for %s, which is not in the catalogue", id)
	}
}

// TestSessionsTable keeps RULES.md's table of sessions per rule equal to
// the catalogue's Sessions, its total row included.
func TestSessionsTable(t *testing.T) {
	data := rulesDoc(t)
	rowRE := regexp.MustCompile(`(?m)^\| (\*\*whole run\*\*|[A-Z]+-\d{3}) \| (?:\*\*)?(\d+)(?:\*\*)? \| (?:\*\*)?(\d+)(?:\*\*)? \|$`)
	doc := map[string]Needs{}
	for _, m := range rowRE.FindAllStringSubmatch(string(data), -1) {
		var n Needs
		fmt.Sscan(m[2], &n.Primary)
		fmt.Sscan(m[3], &n.Secondary)
		doc[m[1]] = n
	}
	if len(doc) == 0 {
		t.Fatal("RULES.md has no table of sessions per rule")
	}
	var total Needs
	for _, r := range Catalogue {
		total.Primary += r.Sessions.Primary
		total.Secondary += r.Sessions.Secondary
		got, ok := doc[r.ID]
		if r.Sessions == (Needs{}) {
			if ok {
				t.Errorf("RULES.md lists sessions for %s, which creates none", r.ID)
			}
			continue
		}
		if got != r.Sessions {
			t.Errorf("RULES.md: %s creates %+v sessions, the catalogue says %+v", r.ID, got, r.Sessions)
		}
	}
	if got := doc["**whole run**"]; got != total {
		t.Errorf("RULES.md: whole run %+v, the catalogue adds up to %+v", got, total)
	}
	if total.Primary > DefaultSessionsPerUser || total.Secondary > DefaultSessionsPerUser {
		t.Errorf("the rules need %+v sessions, more than the default budget of %d per user", total, DefaultSessionsPerUser)
	}
}
