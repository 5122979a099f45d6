package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/flashback/revoke-contract/spec"
)

// SchemaChecker validates recorded answers against the spec's
// POST /sessions/revoke-all responses with libopenapi-validator.
type SchemaChecker struct {
	v *spec.Validator
}

// NewSchemaChecker builds a checker for s; s must define POST /sessions/revoke-all.
func NewSchemaChecker(s *spec.Spec) (*SchemaChecker, error) {
	if s.Kin == nil || s.Kin.Paths == nil {
		return nil, fmt.Errorf("%s has no paths", s.Source)
	}
	if item := s.Kin.Paths.Value(EndpointPath); item == nil || item.Post == nil {
		return nil, fmt.Errorf("%s does not define POST %s", s.Source, EndpointPath)
	}
	v, err := s.Validator()
	if err != nil {
		return nil, err
	}
	return &SchemaChecker{v: v}, nil
}

// Check returns what is wrong with ex's answer as an answer to
// POST /sessions/revoke-all; nil when it matches the spec. The request
// is rebuilt as the canonical operation, so a base path or a query does not
// hide the operation from the validator.
func (c *SchemaChecker) Check(ex *Exchange) []string {
	req, _ := http.NewRequest(http.MethodPost, "http://backend.invalid"+EndpointPath, nil)
	resp := &http.Response{
		StatusCode: ex.Status,
		Header:     ex.RespHeader.Clone(),
		Body:       io.NopCloser(bytes.NewReader(ex.RespBody)),
		Request:    req,
	}
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	var problems []string
	for _, f := range c.v.Response(req, resp) {
		problems = append(problems, strings.ReplaceAll(f.String(), "\n  - ", "\n      - "))
	}
	// libopenapi-validator accepts an empty body for a response that
	// declares JSON content; the contract does not.
	if p := JSONBodyProblem(ex.RespBody); p != "" && len(problems) == 0 {
		problems = append(problems, p)
	}
	return problems
}

// JSONBodyProblem says why body is not a JSON document; "" when it is.
func JSONBodyProblem(body []byte) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return "the body is empty, but the spec documents a JSON body"
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "the body is not valid JSON: " + strings.TrimPrefix(err.Error(), "json: ")
	}
	return ""
}

// JSONObject decodes body as a JSON object; nil when it is not one.
func JSONObject(body []byte) map[string]any {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return nil
	}
	return m
}
