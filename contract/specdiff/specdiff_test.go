package specdiff_test

import (
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/contract/specdiff"
	"github.com/flashback/revoke-contract/spec"
)

// edit applies replacements to the embedded spec, failing when one does
// not apply (the spec moved on and the edit tests nothing).
func edit(t *testing.T, pairs ...string) specdiff.Document {
	t.Helper()
	s := string(spec.OpenAPI)
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("the edit does not apply: %q is not in spec/openapi.yaml", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return specdiff.Document{Name: "edited.yaml", Data: []byte(s)}
}

const (
	response500 = `        "500":
          description: Server error
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/ErrorResponse"
              examples:
                server_error:
                  summary: Revocation failed (documented upstream)
                  value:
                    success: false
                    error: Failed to revoke all sessions
`
	messageField = `        message:
          type: string
          description: Success message
`
	successBoolean = `    RevokeAllSuccess:
      type: object
      properties:
        success:
          type: boolean`
	security = `      security:
        - BearerAuth: []
`
)

func TestCraftedEdits(t *testing.T) {
	t.Parallel()
	old := specdiff.Document{Name: "spec/openapi.yaml", Data: spec.OpenAPI}
	for _, c := range []struct {
		name                     string
		new                      specdiff.Document
		id                       string // the change expected
		breaksClients, backends  bool
		overallBreaksClientsWant bool
	}{
		{"removing the 500", edit(t, response500, ""), "response-non-success-status-removed", true, true, true},
		{"removing message", edit(t, messageField, ""), "response-optional-property-removed", true, false, true},
		{"success becomes a string", edit(t, successBoolean, strings.Replace(successBoolean, "boolean", "string", 1),
			"                    success: true\n", "                    success: \"true\"\n"), "response-property-type-changed", true, true, true},
		{"a required request header", edit(t, security, security+"      parameters:\n        - name: X-Device-Id\n          in: header\n          required: true\n          schema:\n            type: string\n"),
			"new-required-request-parameter", true, false, true},
		{"a response field made required", edit(t, successBoolean, strings.Replace(successBoolean, "type: object\n", "type: object\n      required: [success]\n", 1)),
			"response-property-became-required", false, true, false},
		{"an optional field added", edit(t, messageField, messageField+"        revoked:\n          type: integer\n          description: Sessions revoked\n"),
			"response-optional-property-added", false, false, false},
		{"an optional request header", edit(t, security, security+"      parameters:\n        - name: X-Device-Id\n          in: header\n          schema:\n            type: string\n"),
			"new-optional-request-parameter", false, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res, err := specdiff.Compare(old, c.new)
			if err != nil {
				t.Fatal(err)
			}
			var found *specdiff.Change
			for i := range res.Changes {
				if res.Changes[i].ID == c.id {
					found = &res.Changes[i]
				}
			}
			if found == nil {
				t.Fatalf("no %s among %+v", c.id, res.Changes)
			}
			if found.BreaksClients != c.breaksClients || found.BreaksBackends != c.backends {
				t.Errorf("%s: breaks clients %v, backends %v; want %v, %v", c.id, found.BreaksClients, found.BreaksBackends, c.breaksClients, c.backends)
			}
			if res.BreaksClients() != c.overallBreaksClientsWant {
				t.Errorf("BreaksClients() = %v: %+v", res.BreaksClients(), res.Changes)
			}
			if found.Operation != "POST" || found.Path != "/sessions/revoke-all" {
				t.Errorf("the change does not name its operation: %+v", found)
			}
		})
	}
}

func TestNoChangeAndBrokenDocuments(t *testing.T) {
	t.Parallel()
	old := specdiff.Document{Name: "spec/openapi.yaml", Data: spec.OpenAPI}
	res, err := specdiff.Compare(old, old)
	if err != nil || len(res.Changes) != 0 || res.BreaksClients() {
		t.Errorf("the same spec twice: %+v, %v", res, err)
	}
	broken := edit(t, "openapi: 3.0.3", "openapi: [3.0.3")
	if _, err := specdiff.Compare(old, broken); err == nil || !strings.Contains(err.Error(), "edited.yaml") || !strings.Contains(err.Error(), "line") {
		t.Errorf("a broken NEW: want an error naming the file and line; got %v", err)
	}
	if _, err := specdiff.Read("no/such/file.yaml"); err == nil || !strings.Contains(err.Error(), "no/such/file.yaml") {
		t.Errorf("a missing file: %v", err)
	}
	for _, ref := range []string{"git:", "git:HEAD", "git::spec/openapi.yaml", "git:--output=x:spec/openapi.yaml"} {
		if _, err := specdiff.Read(ref); err == nil || !strings.Contains(err.Error(), "git:REV:PATH") {
			t.Errorf("%q: want the git:REV:PATH usage; got %v", ref, err)
		}
	}
}
