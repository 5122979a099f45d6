package contract

import (
	"errors"
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
	idRE := regexp.MustCompile(`^(AUTH|SCHEMA|HTTP|REV)-\d{3}$`)
	groups := map[string]string{"AUTH": "auth", "SCHEMA": "schema", "HTTP": "http", "REV": "revocation"}
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
	if len(Catalogue) != 32 {
		t.Errorf("catalogue has %d rules, rules.md has 32", len(Catalogue))
	}
}

// TestRulesDoc keeps RULES.md in step with the catalogue: every rule has a
// row with its level and labels, and no row names an unknown rule.
func TestRulesDoc(t *testing.T) {
	// Next to this file, not the working directory: the compiled suite may
	// be run from anywhere.
	_, self, _, _ := runtime.Caller(0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(self), "RULES.md"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("RULES.md is not next to the source of this test binary (%v)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
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
