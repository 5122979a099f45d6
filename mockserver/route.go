package mockserver

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// router matches request paths against the spec's path templates. It
// ignores the spec's servers on purpose: the mock answers on whatever host
// and port it listens on (kin-openapi's routers would insist on the
// documented host).
type router struct {
	paths []*pathEntry
}

type pathEntry struct {
	template string
	segments []string // "{name}" marks a parameter
	item     *openapi3.PathItem
	ops      map[string]*operation // by upper-case method
	allow    string                // "POST" or "GET, POST"
	options  *halt                 // the answer to OPTIONS: 204 with Allow
}

// match is a routing decision.
type match struct {
	entry  *pathEntry
	op     *operation // nil when the path exists but not the method
	params map[string]string
}

func newRouter(doc *openapi3.T, compile func(tmpl, method string, op *openapi3.Operation) (*operation, error)) (*router, error) {
	rt := &router{}
	for _, tmpl := range doc.Paths.InMatchingOrder() {
		if strings.HasPrefix(tmpl, controlPrefix) {
			// The control API answers there first: such an operation would never be mocked.
			return nil, fmt.Errorf("path %s: the prefix %s is reserved for the mock's control API", tmpl, controlPrefix)
		}
		item := doc.Paths.Value(tmpl)
		e := &pathEntry{template: tmpl, segments: strings.Split(strings.TrimPrefix(tmpl, "/"), "/"), item: item, ops: map[string]*operation{}}
		var methods []string
		for method, op := range item.Operations() {
			m := strings.ToUpper(method)
			compiled, err := compile(tmpl, m, op)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", m, tmpl, err)
			}
			e.ops[m] = compiled
			methods = append(methods, m)
		}
		sort.Strings(methods)
		e.allow = strings.Join(methods, ", ")
		e.options = &halt{decision: "route.options", header: [][2]string{{"Allow", e.allow + ", OPTIONS"}}, status: http.StatusNoContent}
		rt.paths = append(rt.paths, e)
	}
	return rt, nil
}

// route is the pipeline's first stage: the operation of the spec that
// r's method and path name. A path the spec lacks is the not-found problem;
// a method the path lacks, the method-not-allowed problem with Allow (and
// OPTIONS is answered with 204 and Allow).
func (s *Server) route(r *http.Request) (match, *halt) {
	m, ok := s.router.find(r.Method, r.URL.Path)
	switch {
	case !ok:
		return m, &halt{decision: "route.not-found", problem: &Problem{Type: problemNotFound, Title: "No such path in the spec", Status: http.StatusNotFound,
			Detail: fmt.Sprintf("%s is not a path of %s", r.URL.Path, s.spec.Source)}}
	case m.op != nil:
		return m, nil
	case r.Method == http.MethodOptions:
		return m, m.entry.options
	}
	return m, &halt{decision: "route.method-not-allowed", header: [][2]string{{"Allow", m.entry.allow}},
		problem: &Problem{Type: problemMethodNotAllowed, Title: "Method not allowed", Status: http.StatusMethodNotAllowed,
			Detail: fmt.Sprintf("%s supports %s, not %s", m.entry.template, m.entry.allow, r.Method)}}
}

// find returns the entry for path, preferring literal segments over
// parameters as OpenAPI requires (InMatchingOrder lists them that way).
func (rt *router) find(method, path string) (match, bool) {
	if !strings.HasPrefix(path, "/") {
		return match{}, false
	}
	for _, e := range rt.paths {
		params, ok := matchSegments(e.segments, path[1:])
		if !ok {
			continue
		}
		return match{entry: e, op: e.ops[method], params: params}, true
	}
	return match{}, false
}

// matchSegments walks path segment by segment without splitting it, so a
// request to a literal path allocates nothing.
func matchSegments(tmpl []string, path string) (map[string]string, bool) {
	var params map[string]string
	for i, t := range tmpl {
		seg, rest, more := strings.Cut(path, "/")
		if more != (i < len(tmpl)-1) {
			return nil, false
		}
		path = rest
		if len(t) > 2 && t[0] == '{' && t[len(t)-1] == '}' {
			if seg == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[t[1:len(t)-1]] = seg
			continue
		}
		if t != seg {
			return nil, false
		}
	}
	return params, true
}

// kinRoute is the openapi3filter view of a match.
func (m match) kinRoute(doc *openapi3.T, r *http.Request) *routers.Route {
	return &routers.Route{Spec: doc, Path: m.entry.template, PathItem: m.entry.item, Method: r.Method, Operation: m.op.kin}
}
