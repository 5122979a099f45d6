package spec_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/spec"
)

// upstream is the upstream documentation page, parsed.
type upstream struct {
	method, path, summary, description, server, scheme string
	responses                                          map[string]string         // status -> description
	fields                                             map[string][][3]string    // status -> name, type, description
	examples                                           map[string]map[string]any // status -> body
}

func parseUpstream(t *testing.T) upstream {
	t.Helper()
	data, err := os.ReadFile("upstream/revoke-all.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	u := upstream{responses: map[string]string{}, fields: map[string][][3]string{}, examples: map[string]map[string]any{}}
	m := regexp.MustCompile("(?m)^`(GET|POST|PUT|PATCH|DELETE) (/[^`]+)`$").FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("upstream: no `METHOD /path` line")
	}
	u.method, u.path = strings.ToLower(m[1]), m[2]
	m = regexp.MustCompile(`(?m)^\*([^*]+)\*$`).FindStringSubmatch(doc)
	u.summary = m[1]
	after := doc[strings.Index(doc, "*"+u.summary+"*")+len(u.summary)+2:]
	u.description = strings.TrimSpace(strings.SplitN(strings.TrimSpace(after), "\n\n", 2)[0])
	u.server = regexp.MustCompile(`curl -X \w+ (https://[^/\s]+)`).FindStringSubmatch(doc)[1]
	u.scheme = regexp.MustCompile(`following methods: (\w+)`).FindStringSubmatch(doc)[1]
	for _, row := range regexp.MustCompile(`(?m)^\| (\d{3})\s+\| \[[^\]]+\]\([^)]+\)\s+\| ([^|]+?)\s+\|`).FindAllStringSubmatch(doc, -1) {
		u.responses[row[1]] = row[2]
	}
	for _, sec := range regexp.MustCompile(`Status Code \*\*(\d{3})\*\*`).FindAllStringSubmatchIndex(doc, -1) {
		status := doc[sec[2]:sec[3]]
		table := doc[sec[1]:]
		if next := strings.Index(table, "Status Code **"); next > 0 {
			table = table[:next]
		}
		for _, f := range regexp.MustCompile(`(?m)^\| » (\w+)\s+\| (\w+)\s+\| (\w+)\s+\| \w+\s+\| ([^|]+?)\s+\|`).FindAllStringSubmatch(table, -1) {
			if f[3] != "false" {
				t.Fatalf("upstream marks %s.%s required=%s: update the spec and this test", status, f[1], f[3])
			}
			u.fields[status] = append(u.fields[status], [3]string{f[1], f[2], f[4]})
		}
	}
	for _, ex := range regexp.MustCompile("(?s)> (\\d{3}) Response\\s+```json\\s+(.*?)```").FindAllStringSubmatch(doc, -1) {
		var v map[string]any
		if err := json.Unmarshal([]byte(ex[2]), &v); err != nil {
			t.Fatalf("upstream example %s: %v", ex[1], err)
		}
		u.examples[ex[1]] = v
	}
	if len(u.responses) != 2 || len(u.fields) != 2 || len(u.examples) != 2 {
		t.Fatalf("upstream parsed incompletely: %d responses, %d field tables, %d examples", len(u.responses), len(u.fields), len(u.examples))
	}
	return u
}

// TestSpecKeepsEveryDocumentedFact checks the spec against the upstream page
// it comes from.
func TestSpecKeepsEveryDocumentedFact(t *testing.T) {
	u := parseUpstream(t)
	sp, err := spec.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	item := sp.Kin.Paths.Value(u.path)
	if item == nil {
		t.Fatalf("the spec has no path %s", u.path)
	}
	op := item.GetOperation(strings.ToUpper(u.method))
	if op == nil {
		t.Fatalf("the spec has no %s %s", u.method, u.path)
	}
	if op.Summary != u.summary {
		t.Errorf("summary %q, upstream %q", op.Summary, u.summary)
	}
	if op.Description != u.description {
		t.Errorf("description %q, upstream %q", op.Description, u.description)
	}
	if want := "post__sessions_revoke-all"; op.OperationID != want {
		t.Errorf("operationId %q, upstream page %q", op.OperationID, want)
	}
	if len(sp.Kin.Servers) == 0 || sp.Kin.Servers[0].URL != u.server {
		t.Errorf("servers %v, upstream %s", sp.Kin.Servers, u.server)
	}
	if op.Security == nil || len(*op.Security) != 1 || (*op.Security)[0][u.scheme] == nil {
		t.Errorf("operation security must be exactly %s", u.scheme)
	}
	if s := sp.Kin.Components.SecuritySchemes[u.scheme]; s == nil || s.Value.Type != "http" || s.Value.Scheme != "bearer" {
		t.Errorf("%s must be http bearer", u.scheme)
	}
	for status, desc := range u.responses {
		r := op.Responses.Value(status)
		if r == nil {
			t.Errorf("response %s is missing", status)
			continue
		}
		if *r.Value.Description != desc {
			t.Errorf("response %s description %q, upstream %q", status, *r.Value.Description, desc)
		}
		mt := r.Value.Content.Get("application/json")
		if mt == nil {
			t.Errorf("response %s has no application/json content", status)
			continue
		}
		schema := mt.Schema.Value
		for _, f := range u.fields[status] {
			p := schema.Properties[f[0]]
			if p == nil {
				t.Errorf("response %s lacks field %s", status, f[0])
				continue
			}
			if !p.Value.Type.Is(f[1]) || p.Value.Description != f[2] {
				t.Errorf("response %s field %s: %v %q, upstream %s %q", status, f[0], p.Value.Type, p.Value.Description, f[1], f[2])
			}
		}
		if len(schema.Required) != 0 {
			t.Errorf("response %s requires %v; upstream marks every field Required: false", status, schema.Required)
		}
		found := false
		for _, ex := range mt.Examples {
			found = found || reflect.DeepEqual(ex.Value.Value, u.examples[status])
		}
		if !found {
			t.Errorf("response %s: no example equals the upstream example %v", status, u.examples[status])
		}
	}
}

// TestAdditionsAreMarked: what the spec adds beyond the upstream page says
// so (x-added: true and a reason), and nothing documented upstream does.
func TestAdditionsAreMarked(t *testing.T) {
	u := parseUpstream(t)
	sp, err := spec.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	marked := func(what string, ext map[string]any) {
		t.Helper()
		if ext["x-added"] != true {
			t.Errorf("%s is not in the upstream page but lacks x-added: true", what)
		}
		if r, _ := ext["x-added-reason"].(string); strings.TrimSpace(r) == "" {
			t.Errorf("%s lacks an x-added-reason", what)
		}
	}
	op := sp.Kin.Paths.Value(u.path).GetOperation(strings.ToUpper(u.method))
	for status, r := range op.Responses.Map() {
		if _, documented := u.responses[status]; documented {
			if _, added := r.Value.Extensions["x-added"]; added {
				t.Errorf("response %s is documented upstream but marked x-added", status)
			}
			continue
		}
		marked("response "+status, r.Value.Extensions)
		if reason, _ := r.Value.Extensions["x-added-reason"].(string); !strings.Contains(reason, "RFC 6750") || !strings.Contains(reason, "RFC 9110") {
			t.Errorf("response %s: its x-added-reason must cite RFC 6750 and RFC 9110", status)
		}
	}
	if op.Responses.Value("401") == nil {
		t.Error("the 401 addition is gone")
	}
	for name, h := range sp.Kin.Components.Headers {
		marked("header "+name, h.Value.Extensions)
	}
	if c := sp.Kin.Info.Contact; c != nil {
		marked("info.contact", c.Extensions)
	}
	if l := sp.Kin.Info.License; l != nil {
		marked("info.license", l.Extensions)
	}
	for _, tag := range sp.Kin.Tags {
		marked("tag "+tag.Name, tag.Extensions)
	}
	if len(sp.Kin.Servers) == 1 && sp.Kin.Servers[0].Description != "" {
		marked("the server's description", sp.Kin.Servers[0].Extensions)
	}
}

func TestUpstreamCopyMatchesTheSeed(t *testing.T) {
	seed := filepath.Join("..", "..", "shared", "seed", "revoke-all.md")
	want, err := os.ReadFile(seed)
	if err != nil {
		t.Skipf("no %s beside the repository (it is there in CI): the copy was not compared", seed)
	}
	got, err := os.ReadFile("upstream/revoke-all.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("spec/upstream/revoke-all.md differs from the seed: copy the seed again and review the spec")
	}
}

func TestBrokenDocumentsAreRefusedWithLineAndField(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"YAML syntax", "openapi: 3.0.3\ninfo:\n  title: x\n  version: '1'\npaths:\n  /a: {get: [\n", []string{"line"}},
		{"bad schema type", "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                type: objectt\n", []string{"line 12", "schema.type"}},
		{"response without description", "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200': {}\n", []string{"description"}},
		{"OpenAPI 3.1", "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n", []string{"3.1.0"}},
		{"empty", "  \n", []string{"empty"}},
		{"unresolved $ref", "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          $ref: '#/components/responses/Nope'\n", []string{"line 8", "#/components/responses/Nope"}},
		{"example breaks its schema", "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {type: object, properties: {a: {type: integer}}}\n              example: {a: str}\n", []string{"invalid example", "integer"}},
		{"unknown security scheme", "openapi: 3.0.3\ninfo: {title: x, version: '1'}\nsecurity: [{Nope: []}]\npaths: {}\n", []string{"Nope"}},
		{"Swagger 2.0", "swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n", []string{"3.0.x"}},
		{"not a mapping", "- a\n- b\n", []string{"line 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := spec.Load("broken.yaml", []byte(tc.doc))
			var le *spec.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("want a *spec.LoadError, got %v", err)
			}
			msg := err.Error()
			for _, w := range append(tc.want, "broken.yaml") {
				if !strings.Contains(msg, w) {
					t.Errorf("the error does not mention %q:\n%s", w, msg)
				}
			}
		})
	}
	if _, err := spec.LoadFile("does-not-exist.yaml"); err == nil || !strings.Contains(err.Error(), "does-not-exist.yaml") {
		t.Errorf("LoadFile of a missing file: %v", err)
	}
}

// TestLoadWritesNothing: libopenapi logs unresolved references (as JSON on
// stdout by default); Load turns them into Problems and prints nothing, so
// `revoke-mock --spec broken.yaml` shows one clear error, not log noise.
func TestLoadWritesNothing(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	_, loadErr := spec.Load("broken.yaml", []byte("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          $ref: '#/components/responses/Nope'\n"))
	os.Stdout, os.Stderr = stdout, stderr
	w.Close()
	out, _ := io.ReadAll(r)
	if loadErr == nil {
		t.Fatal("an unresolved $ref was accepted")
	}
	if len(out) > 0 {
		t.Errorf("Load wrote to stdout/stderr:\n%s", out)
	}
}
