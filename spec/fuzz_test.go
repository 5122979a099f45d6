package spec_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/mockserver"
	"github.com/flashback/revoke-contract/spec"
)

// FuzzLoad: --spec loading, fed mutated YAML (the embedded contract and
// broken documents are the seeds; testdata/fuzz/FuzzLoad holds more).
// Properties: Load never panics; it returns a Spec or an error, never both
// nor neither; an error is a *LoadError naming the source and at least one
// problem, each with a message and the checker that found it; a Spec it
// returns keeps the bytes, lists its responses without panicking, and the
// mock either starts from it or says why not.
func FuzzLoad(f *testing.F) {
	f.Add(spec.OpenAPI)
	f.Add([]byte("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {}\n"))
	f.Add([]byte("openapi: 3.0.3\ninfo:\n  title: x\n  version: '1'\npaths:\n  /a: {get: [\n"))
	f.Add([]byte("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          $ref: '#/components/responses/Nope'\n"))
	f.Add([]byte("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /__mock/x:\n    get:\n      responses:\n        '200': {description: ok}\n"))
	f.Add([]byte("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a/{id}:\n    parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n    get:\n      responses:\n        default: {description: ok}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n"))
	f.Add([]byte("{\"openapi\":\"3.0.3\",\"info\":{\"title\":\"x\",\"version\":\"1\"},\"paths\":{}}"))
	f.Add([]byte("\t- \x00\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := spec.Load("fuzz.yaml", data)
		if (s == nil) == (err == nil) {
			t.Fatalf("Load returned %v and %v", s, err)
		}
		if err != nil {
			var le *spec.LoadError
			if !errors.As(err, &le) || le.Source != "fuzz.yaml" || len(le.Problems) == 0 || !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("a refusal that names no problem: %#v", err)
			}
			for _, p := range le.Problems {
				switch p.Checker {
				case "yaml", "kin-openapi", "libopenapi", "libopenapi-validator":
				default:
					t.Fatalf("problem %q from checker %q", p.Message, p.Checker)
				}
				if strings.TrimSpace(p.Message) == "" || p.Line < 0 || p.Column < 0 {
					t.Fatalf("problem without a message or with a bad position: %#v", p)
				}
			}
			return
		}
		if s.Kin == nil || !bytes.Equal(s.Raw, data) || s.Source != "fuzz.yaml" {
			t.Fatalf("a Spec without its model or its bytes: %+v", s)
		}
		for path, item := range s.Kin.Paths.Map() {
			for method := range item.Operations() {
				if _, err := s.Responses(path, method); err != nil {
					t.Logf("%s %s: %v", method, path, err)
				}
			}
		}
		if _, err := mockserver.New(mockserver.Options{Spec: s}); err != nil && err.Error() == "" {
			t.Fatal("the mock refused the spec without a reason")
		}
	})
}
