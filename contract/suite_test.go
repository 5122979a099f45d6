package contract

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The in-repo entry point: go test ./contract runs the rules against the
// in-process mock (or CONTRACT_BASE_URL). The package's plain TestXxx unit
// tests run beside it and do not read CONTRACT_*.
var suite = Register(nil)

func TestContract(t *testing.T) {
	// The in-repo path writes the HTML report too (CONTRACT_HTML), into a
	// temporary folder unless the caller asked for one.
	htmlReport := os.Getenv("CONTRACT_HTML")
	if htmlReport == "" {
		htmlReport = filepath.Join(t.TempDir(), "contract.html")
		t.Setenv("CONTRACT_HTML", htmlReport)
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "revoke-all contract")
	if os.Getenv("CONTRACT_BASE_URL") != "" || os.Getenv("CONTRACT_TOKEN") != "" || t.Failed() {
		return
	}
	page, err := os.ReadFile(htmlReport)
	if err != nil || !strings.Contains(string(page), `<span id="verdict">conforms</span>`) {
		t.Errorf("go test ./contract wrote no HTML report saying conforms to CONTRACT_HTML (%v)", err)
	}
	// Against the in-process mock every rule passes: each must have created
	// exactly the sessions the catalogue says it needs (the budget of
	// --sessions-per-user is checked against those figures).
	for _, r := range Catalogue {
		if r.Group == "model" {
			continue // the model takes what the budget leaves (RULES.md)
		}
		rec := suite.record(r.ID)
		for _, user := range users {
			if got, want := rec.minted[user], r.Sessions.Of(user); got != want {
				t.Errorf("%s created %d sessions of %s; the catalogue says %d", r.ID, got, user, want)
			}
		}
	}
}
