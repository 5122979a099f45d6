package mockserver

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/flashback/revoke-contract/mockserver/journal"
	"github.com/flashback/revoke-contract/spec"
)

// operation is everything the mock needs to answer one method of one path,
// compiled once at start-up so the request path only looks things up.
type operation struct {
	kin      *openapi3.Operation
	method   string
	path     string
	name     string // the operationId, or "METHOD path" when it has none
	security []requirement
	answers  []*answer // by status code, ascending; "default" last
	revokes  bool      // a 2xx answer revokes every session of the caller
	// validates is false when the operation declares no parameter and no
	// request body: kin-openapi would then have nothing to check.
	validates bool
	// unadorned is what a request without Prefer gets: the first 2xx with
	// its first example (nil when the operation documents no 2xx).
	unadorned *choice
	// unauthorized is the 401 for each credential problem.
	unauthorized map[credentialProblem]*halt
}

// answer is one documented response with its example bodies.
type answer struct {
	code        string // as written in the spec: "200", "2XX", "default"
	status      int    // what is written: 200 for "2XX", 500 for "default"
	isDefault   bool   // the "default" response: sorts last, chosen only by name
	contentType string
	// contentTypeValue is contentType as a header value, shared by every answer.
	contentTypeValue []string
	examples         []example // in document order; never empty
	// headers are the documented response headers, by canonical name and
	// with their value as written, sorted by name: set on every answer.
	headers []answerHeader
}

// answerHeader is one header of a compiled answer.
type answerHeader struct {
	name  string // canonical
	value []string
}

type example struct {
	name string // "" for a media type's single `example` or a generated body
	body []byte
	// contentLength is len(body) rendered once, shared by every answer.
	contentLength []string
	// journalText is the journal's text of this example's answer headers
	// when nothing but the mock's plain CORS header came before them
	// (writeHeaders): the same text for every such answer, so it is
	// formatted once (shared by every copy of the example).
	journalText *journal.TextMemo
}

func (a *answer) example(name string) (example, bool) {
	for _, e := range a.examples {
		if e.name == name {
			return e, true
		}
	}
	return example{}, false
}

// exampleNames lists an answer's named examples for error messages.
func (a *answer) exampleNames() []string {
	var names []string
	for _, e := range a.examples {
		if e.name != "" {
			names = append(names, e.name)
		}
	}
	return names
}

// answer finds the response code names: as written ("2XX", "default"),
// or a status a documented code stands for ("200" for "2XX"). The default
// response stands for no status: only "default" names it.
func (op *operation) answer(code string) *answer {
	for _, a := range op.answers {
		if a.code == code {
			return a
		}
	}
	for _, a := range op.answers {
		if !a.isDefault && strconv.Itoa(a.status) == code {
			return a
		}
	}
	return nil
}

// first2xx is the first documented success, if any.
func (op *operation) first2xx() *answer {
	for _, a := range op.answers {
		if !a.isDefault && a.status >= 200 && a.status < 300 {
			return a
		}
	}
	return nil
}

func (op *operation) codes() []string {
	out := make([]string, len(op.answers))
	for i, a := range op.answers {
		out[i] = a.code
	}
	return out
}

// compileAnswers turns an operation's documented responses (in document
// order, the first example of each being its default) into answers, with a
// body generated from the schema (kin-openapi's model) when a response
// documents no example.
func compileAnswers(responses []spec.Response, kin *openapi3.Operation) ([]*answer, error) {
	var out []*answer
	for _, r := range responses {
		status, isDefault := statusOf(r.Code)
		a := &answer{code: r.Code, status: status, isDefault: isDefault, contentType: r.ContentType}
		for _, h := range r.Headers {
			if strings.EqualFold(h.Name, "WWW-Authenticate") {
				continue
			}
			var s string
			if json.Unmarshal(h.Value, &s) != nil {
				s = string(h.Value)
			}
			a.headers = append(a.headers, answerHeader{name: http.CanonicalHeaderKey(h.Name), value: []string{s}})
		}
		// One value per name, as Header.Set leaves it: the last documented.
		slices.SortStableFunc(a.headers, func(x, y answerHeader) int { return strings.Compare(x.name, y.name) })
		kept := a.headers[:0]
		for i, hv := range a.headers {
			if i+1 < len(a.headers) && a.headers[i+1].name == hv.name {
				continue
			}
			kept = append(kept, hv)
		}
		a.headers = kept
		for _, ex := range r.Examples {
			a.examples = append(a.examples, example{name: ex.Name, body: ex.Value})
		}
		if r.ContentType != "" && len(a.examples) == 0 {
			body, err := json.Marshal(generate(kinSchema(kin, r.Code, r.ContentType), 0))
			if err != nil {
				return nil, fmt.Errorf("response %s: generating a body: %w", r.Code, err)
			}
			a.examples = append(a.examples, example{body: body})
		}
		if len(a.examples) == 0 {
			a.examples = []example{{}} // a response without content
		}
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].isDefault != out[j].isDefault {
			return out[j].isDefault
		}
		return out[i].status < out[j].status
	})
	for _, a := range out {
		if a.contentType != "" {
			a.contentTypeValue = []string{a.contentType}
		}
		for i := range a.examples {
			a.examples[i].contentLength = []string{strconv.Itoa(len(a.examples[i].body))}
			a.examples[i].journalText = new(journal.TextMemo)
		}
	}
	return out, nil
}

// statusOf maps "200" to 200, "2XX" to 200 and "default" to 500, written
// when the default response is chosen (it stands for errors).
func statusOf(code string) (status int, isDefault bool) {
	if n, err := strconv.Atoi(code); err == nil {
		return n, false
	}
	if len(code) == 3 && strings.EqualFold(code[1:], "XX") && code[0] >= '1' && code[0] <= '5' {
		return int(code[0]-'0') * 100, false
	}
	return http.StatusInternalServerError, true
}

func exampleLabel(e example) string {
	if e.name == "" {
		return "example"
	}
	return e.name
}

func kinSchema(op *openapi3.Operation, code, ct string) *openapi3.Schema {
	if op == nil || op.Responses == nil {
		return nil
	}
	r := op.Responses.Value(code)
	if code == "default" {
		r = op.Responses.Default()
	}
	if r == nil || r.Value == nil {
		return nil
	}
	mt := r.Value.Content.Get(ct)
	if mt == nil || mt.Schema == nil {
		return nil
	}
	return mt.Schema.Value
}

// generate makes a value that satisfies a simple schema, for responses that
// document no example.
func generate(s *openapi3.Schema, depth int) any {
	if s == nil || depth > 8 {
		return nil
	}
	if s.Example != nil {
		return s.Example
	}
	if s.Default != nil {
		return s.Default
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		if len(group) > 0 && group[0].Value != nil {
			return generate(group[0].Value, depth+1)
		}
	}
	switch {
	case s.Type.Is("boolean"):
		return true
	case s.Type.Is("integer"):
		if s.Min != nil {
			return int64(math.Ceil(*s.Min))
		}
		return 0
	case s.Type.Is("number"):
		if s.Min != nil {
			return *s.Min
		}
		return 0
	case s.Type.Is("string"):
		return strings.Repeat("x", int(max(s.MinLength, 1)))
	case s.Type.Is("array"):
		if s.Items == nil {
			return []any{}
		}
		return []any{generate(s.Items.Value, depth+1)}
	default:
		obj := map[string]any{}
		for name, p := range s.Properties {
			if p != nil {
				obj[name] = generate(p.Value, depth+1)
			}
		}
		return obj
	}
}
