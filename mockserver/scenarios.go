package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flashback/revoke-contract/mockserver/scenario"
)

// The control API's scenarios: outcomes a UI arranges without sending a
// header (POST /__mock/scenarios), listed, deleted one by one or all. Each
// is checked against the spec when it is added: its operation, status and
// example must exist, its delay must be at most MaxDelay.

// scenarioRequest is the body of POST /__mock/scenarios. Every field but
// the target (operation, or method and path) is optional.
type scenarioRequest struct {
	Operation string                `json:"operation"`
	Method    string                `json:"method"`
	Path      string                `json:"path"`
	Status    json.RawMessage       `json:"status"` // 500 or "500"
	Example   string                `json:"example"`
	Times     *int                  `json:"times"`
	Delay     json.RawMessage       `json:"delay"` // a Go duration string
	Fault     string                `json:"fault"`
	User      string                `json:"user"`
	Header    *scenario.HeaderScope `json:"header"`
}

// scenarioExample is what the problems show as a valid body.
const scenarioExample = `{"operation":"post__sessions_revoke-all","status":500,"example":"server_error","times":1}`

func (s *Server) addScenario(w http.ResponseWriter, r *http.Request) {
	decide(w, "control.scenario-add")
	data, ok := s.readControlBody(w, r)
	if !ok {
		return
	}
	var req scenarioRequest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		invalidControl(w, "control.scenario-refused", "the body must be a JSON object such as "+scenarioExample+": "+err.Error(), nil)
		return
	}
	sc, errs, avail := s.compileScenario(req)
	if len(errs) > 0 {
		invalidControl(w, "control.scenario-refused", "the scenario cannot be applied; see errors", errs, avail...)
		return
	}
	sc, err := s.scenarios.TryAdd(sc)
	if err != nil {
		writeHalt(w, storeHalt(err))
		return
	}
	w.Header().Set("Location", controlPrefix+"scenarios/"+sc.ID)
	writeJSON(w, http.StatusCreated, sc)
}

// compileScenario checks req against the spec and returns the scenario, or
// what is wrong with it (and, for a status or example that does not exist,
// what does).
func (s *Server) compileScenario(req scenarioRequest) (scenario.Scenario, []FieldError, []string) {
	var errs []FieldError
	bad := func(field, expected, received, msg string) {
		errs = append(errs, FieldError{Field: field, Expected: expected, Received: excerpt(received), Message: msg})
	}
	var op *operation
	switch {
	case req.Operation != "" && (req.Method != "" || req.Path != ""):
		bad("operation", "operation, or method and path", "", "name the operation either by its operationId or by method and path, not both")
	case req.Operation != "":
		if op = s.operations[req.Operation]; op == nil {
			bad("operation", "an operationId of the spec", req.Operation, "no operation of the spec has this operationId")
			return scenario.Scenario{}, errs, s.operationNames()
		}
	case req.Method != "" && req.Path != "":
		m, found := s.router.find(strings.ToUpper(req.Method), req.Path)
		if !found || m.op == nil {
			bad("path", "a method and path of the spec", req.Method+" "+req.Path, "the spec has no such operation")
			return scenario.Scenario{}, errs, s.operationNames()
		}
		op = m.op
	default:
		bad("operation", "an operationId, or method and path", "", `the target is required: "operation":"post__sessions_revoke-all", or "method":"POST","path":"/sessions/revoke-all"`)
		return scenario.Scenario{}, errs, s.operationNames()
	}
	if op == nil {
		return scenario.Scenario{}, errs, nil
	}
	sc := scenario.Scenario{Method: op.method, Path: op.path, Operation: op.kin.OperationID, Example: req.Example, User: req.User, Header: req.Header}
	if len(req.Status) > 0 && string(req.Status) != "null" {
		var n int
		var str string
		switch {
		case json.Unmarshal(req.Status, &n) == nil:
			sc.Status = strconv.Itoa(n)
		case json.Unmarshal(req.Status, &str) == nil && str != "":
			sc.Status = str
		default:
			bad("status", "a documented status such as 500", string(req.Status), "status must be a number or a string")
		}
	}
	var avail []string
	if len(errs) == 0 && (sc.Status != "" || sc.Example != "") {
		if _, h := op.pickAnswer(sc.Status, sc.Example, "the scenario"); h != nil {
			field := "status"
			if op.answer(sc.Status) != nil || sc.Status == "" {
				field = "example"
			}
			bad(field, "one of the available ones", sc.Status+sc.Example, h.problem.Detail)
			avail = h.problem.Available
		}
	}
	if req.Times != nil {
		if *req.Times < 1 {
			bad("times", "a whole number from 1", strconv.Itoa(*req.Times), "times is how many requests the scenario decides; leave it out for \"until deleted\"")
		}
		sc.Times = *req.Times
	}
	if len(req.Delay) > 0 && string(req.Delay) != "null" {
		var str string
		if json.Unmarshal(req.Delay, &str) != nil {
			bad("delay", `a Go duration string such as "1.5s"`, string(req.Delay), `delay is a string with a unit, such as "1.5s" or "300ms"`)
		} else if d, err := time.ParseDuration(str); err != nil || d < 0 {
			bad("delay", `a Go duration string such as "1.5s"`, str, "delay is not a duration")
		} else if d > MaxDelay {
			bad("delay", "at most "+MaxDelay.String(), str, "the longest delay the mock holds a request is "+MaxDelay.String())
		} else {
			sc.Delay = d
		}
	}
	if req.Fault != "" {
		sc.Fault = scenario.Fault(req.Fault)
		if !sc.Fault.Valid() {
			var names []string
			for _, f := range scenario.Faults {
				names = append(names, string(f))
			}
			bad("fault", strings.Join(names, ", "), req.Fault, "no such fault")
		}
	}
	if len(req.User) > maxUserLen {
		bad("user", fmt.Sprintf("at most %d bytes", maxUserLen), req.User, "user is too long")
	}
	if h := req.Header; h != nil {
		if !isTokenList(h.Name) || strings.Contains(h.Name, ",") || h.Value == "" {
			bad("header", `{"name":"X-Developer","value":"ann"}`, h.Name+": "+h.Value, "a header scope needs a header name and a value")
		}
		h.Name = http.CanonicalHeaderKey(h.Name)
	}
	return sc, errs, avail
}

// operationNames lists the operations a scenario may target.
func (s *Server) operationNames() []string {
	var out []string
	for _, e := range s.router.paths {
		for _, op := range e.ops {
			name := op.method + " " + op.path
			if op.kin.OperationID != "" {
				name = op.kin.OperationID + " (" + name + ")"
			}
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Server) listScenarios(w http.ResponseWriter, _ *http.Request) {
	decide(w, "control.scenario-list")
	list, err := s.scenarios.TryList()
	if err != nil {
		writeHalt(w, storeHalt(err))
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Scenarios []scenario.Scenario `json:"scenarios"`
	}{list})
}

func (s *Server) deleteScenario(w http.ResponseWriter, r *http.Request) {
	decide(w, "control.scenario-delete")
	id := r.PathValue("id")
	found, err := s.scenarios.TryDelete(id)
	if err != nil {
		writeHalt(w, storeHalt(err))
		return
	}
	if !found {
		decide(w, "control.scenario-not-found")
		writeProblem(w, Problem{Type: problemNotFound, Title: "No such scenario", Status: http.StatusNotFound,
			Detail: fmt.Sprintf("no active scenario has the id %q (used up, deleted, or never added); GET %sscenarios lists them", excerpt(id), controlPrefix)})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) clearScenarios(w http.ResponseWriter, _ *http.Request) {
	decide(w, "control.scenario-clear")
	if err := s.scenarios.TryClear(); err != nil {
		writeHalt(w, storeHalt(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// invalidControl answers a control request the mock cannot act on.
func invalidControl(w http.ResponseWriter, decision, detail string, errs []FieldError, avail ...string) {
	decide(w, decision)
	writeProblem(w, Problem{Type: problemInvalidControlCall, Title: "Invalid control request", Status: http.StatusBadRequest, Detail: detail, Errors: errs, Available: avail})
}

// readControlBody reads a control request's JSON body (at most 64 KiB).
func (s *Server) readControlBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		invalidControl(w, decisionOf(w)+"-refused", "cannot read the request body (at most 64 KiB): "+err.Error(), nil)
		return nil, false
	}
	if n == 0 {
		invalidControl(w, decisionOf(w)+"-refused", "the body is empty; send JSON such as "+scenarioExample, nil)
		return nil, false
	}
	return buf.Bytes(), true
}

func decisionOf(w http.ResponseWriter) string {
	if rec, ok := w.(*recorder); ok {
		return rec.decision
	}
	return "control"
}
