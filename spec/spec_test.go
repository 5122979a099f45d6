package spec_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/spec"
	"github.com/flashback/revoke-contract/spec/endpoint"
)

// TestEndpointIsTheSpecs: the constants code uses without the OpenAPI
// libraries name the spec's operation.
func TestEndpointIsTheSpecs(t *testing.T) {
	sp, err := spec.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	item := sp.Kin.Paths.Value(endpoint.Path)
	if item == nil || item.GetOperation(endpoint.Method) == nil {
		t.Fatalf("the spec has no %s %s", endpoint.Method, endpoint.Path)
	}
	if endpoint.Method != http.MethodPost || strings.Count(endpoint.Path, "/") != 2 {
		t.Errorf("unexpected %s %s", endpoint.Method, endpoint.Path)
	}
}

// TestResponsesKeepDocumentOrder: the responses the mock answers with come
// in the document's order, default last, with their examples as JSON in
// the document's key order.
func TestResponsesKeepDocumentOrder(t *testing.T) {
	sp, err := spec.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := sp.Responses(endpoint.Path, endpoint.Method)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, r := range rs {
		codes = append(codes, r.Code)
	}
	if got := strings.Join(codes, ","); got != "200,401,500" {
		t.Fatalf("codes %s, want 200,401,500 (the document's order)", got)
	}
	if ex := rs[0].Examples; len(ex) == 0 || ex[0].Name != "success" || string(ex[0].Value) != `{"success":true,"message":"All sessions revoked successfully"}` {
		t.Errorf("200 examples: %+v", ex)
	}
	if rs[0].ContentType != "application/json" {
		t.Errorf("200 content type %q", rs[0].ContentType)
	}
	if none, err := sp.Responses("/no/such/path", "GET"); none != nil || err != nil {
		t.Errorf("unknown operation: %v, %v", none, err)
	}
}
