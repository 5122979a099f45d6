package lintcheck

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/spec"
)

// The facts of the upstream page (../shared/seed/revoke-all.md) that the
// spec must keep whatever a lint fix changes.
const (
	seedPath        = "/sessions/revoke-all"
	seedOperationID = "post__sessions_revoke-all"
	seedSummary     = "Revoke All Sessions"
	seedDescription = "Revoke all active sessions for the authenticated user across all devices. This is equivalent to logging out from all devices simultaneously."
	seedServer      = "https://backend.flashback.tech"
)

// TestSpecKeepsSeedFacts guards the lint fixes: every documented fact of the
// upstream page is still in spec/openapi.yaml, and everything the page does
// not document is marked x-added with a reason.
func TestSpecKeepsSeedFacts(t *testing.T) {
	sp, err := spec.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	doc := sp.Kin

	// Cross-check the constants against the seed itself when it is beside
	// the repository (it is in CI: ../shared).
	if seed, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "seed", "revoke-all.md")); err == nil {
		for _, fact := range []string{"`POST " + seedPath + "`", "*" + seedSummary + "*", "\n" + seedDescription + "\n", seedServer + seedPath} {
			if !strings.Contains(string(seed), fact) {
				t.Errorf("the seed no longer says %q: update this test", fact)
			}
		}
	} else {
		t.Logf("../shared/seed/revoke-all.md not found (%v); checking against the facts copied here", err)
	}

	if len(doc.Servers) == 0 || doc.Servers[0].URL != seedServer {
		t.Errorf("first server: want %s", seedServer)
	}
	item := doc.Paths.Find(seedPath)
	if item == nil || item.Post == nil {
		t.Fatalf("POST %s is gone", seedPath)
	}
	if ops := item.Operations(); len(ops) != 1 {
		t.Errorf("%s has %d operations, want POST only", seedPath, len(ops))
	}
	op := item.Post
	for _, f := range [][3]string{
		{"operationId", op.OperationID, seedOperationID},
		{"summary", op.Summary, seedSummary},
		{"description", op.Description, seedDescription},
	} {
		if f[1] != f[2] {
			t.Errorf("%s = %q, want %q (upstream, verbatim)", f[0], f[1], f[2])
		}
	}

	if op.Security == nil || len(*op.Security) != 1 || len((*op.Security)[0]) != 1 {
		t.Errorf("security: want exactly BearerAuth")
	} else if _, ok := (*op.Security)[0]["BearerAuth"]; !ok {
		t.Errorf("security: want BearerAuth, got %v", *op.Security)
	}
	if s := doc.Components.SecuritySchemes["BearerAuth"]; s == nil || s.Value.Type != "http" || s.Value.Scheme != "bearer" {
		t.Errorf("components.securitySchemes.BearerAuth: want type http, scheme bearer")
	}

	type field struct{ name, typ, description string }
	documented := []struct {
		status, description, example string
		fields                       []field
		value                        map[string]any
	}{
		{"200", "All sessions revoked successfully", "success",
			[]field{{"success", "boolean", "Operation success status"}, {"message", "string", "Success message"}},
			map[string]any{"success": true, "message": "All sessions revoked successfully"}},
		{"500", "Server error", "server_error",
			[]field{{"success", "boolean", "Operation success status"}, {"error", "string", "Error message"}},
			map[string]any{"success": false, "error": "Failed to revoke all sessions"}},
	}
	for _, d := range documented {
		r := op.Responses.Value(d.status)
		if r == nil || r.Value == nil {
			t.Errorf("response %s is gone", d.status)
			continue
		}
		if r.Value.Description == nil || *r.Value.Description != d.description {
			t.Errorf("response %s: description, want %q", d.status, d.description)
		}
		if _, added := r.Value.Extensions["x-added"]; added {
			t.Errorf("response %s is documented upstream but marked x-added", d.status)
		}
		mt := r.Value.Content.Get("application/json")
		if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
			t.Errorf("response %s: no application/json schema", d.status)
			continue
		}
		s := mt.Schema.Value
		if len(s.Required) != 0 {
			t.Errorf("response %s: required %v, want none (upstream: every field optional)", d.status, s.Required)
		}
		if len(s.Properties) != len(d.fields) {
			t.Errorf("response %s: %d properties, want %d", d.status, len(s.Properties), len(d.fields))
		}
		for _, f := range d.fields {
			p := s.Properties[f.name]
			if p == nil || p.Value == nil || !p.Value.Type.Is(f.typ) || p.Value.Description != f.description {
				t.Errorf("response %s: field %s, want %s %q", d.status, f.name, f.typ, f.description)
			}
		}
		ex := mt.Examples[d.example]
		if ex == nil || ex.Value == nil {
			t.Errorf("response %s: example %q is gone (the mock and the suite read it by name)", d.status, d.example)
			continue
		}
		got, _ := json.Marshal(ex.Value.Value)
		want, _ := json.Marshal(d.value)
		if string(got) != string(want) {
			t.Errorf("response %s: example %s = %s, want %s (upstream)", d.status, d.example, got, want)
		}
	}

	// Everything else is an addition and says so.
	marked := func(what string, ext map[string]any) {
		t.Helper()
		if ext["x-added"] != true {
			t.Errorf("%s is not in the upstream page but lacks x-added: true", what)
		}
		if r, _ := ext["x-added-reason"].(string); strings.TrimSpace(r) == "" {
			t.Errorf("%s lacks an x-added-reason", what)
		}
	}
	var statuses []string
	for status, r := range op.Responses.Map() {
		statuses = append(statuses, status)
		if status != "200" && status != "500" {
			marked("response "+status, r.Value.Extensions)
		}
	}
	if !slices.Contains(statuses, "401") {
		t.Errorf("responses %v: the 401 addition is gone", statuses)
	}
	for name, h := range doc.Components.Headers {
		marked("header "+name, h.Value.Extensions)
	}
	if doc.Info.Contact != nil {
		marked("info.contact", doc.Info.Contact.Extensions)
	}
	if doc.Info.License != nil {
		marked("info.license", doc.Info.License.Extensions)
	}
	for _, tag := range doc.Tags {
		marked("tag "+tag.Name, tag.Extensions)
	}
	if len(doc.Servers) != 1 {
		t.Errorf("%d servers, want the one documented upstream", len(doc.Servers))
	} else if doc.Servers[0].Description != "" {
		marked("the server's description", doc.Servers[0].Extensions)
	}
}
