package spec

import (
	"fmt"
	"net/http"
	"strings"
	"sync"

	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"
)

// Validator checks requests and answers against the spec with
// libopenapi-validator (the mock validates with kin-openapi: each checks
// the other). Safe for concurrent use.
type Validator struct {
	v any // validator.Validator, hidden for the reason given on Spec
}

// Finding is one way a request or an answer breaks the spec.
type Finding struct {
	Type    string // libopenapi-validator's ValidationType: "parameter", "requestBody", "response", "security", ...
	SubType string // its ValidationSubType: for a parameter, where it is ("query", "header", "path", "cookie")
	Name    string // the parameter's name, for a parameter
	Message string
	Reason  string   // "" when Message says it all
	Fields  []string // "path: reason" of each schema violation; path "(root)" for the whole body
}

func (f Finding) String() string {
	s := f.Message
	if f.Reason != "" && f.Reason != f.Message {
		s += ": " + f.Reason
	}
	for _, field := range f.Fields {
		s += "\n  - " + field
	}
	return s
}

// Validator returns the spec's validator, built once per Spec.
func (s *Spec) Validator() (*Validator, error) {
	m := s.lib.(*libModels)
	m.validatorOnce.Do(func() {
		v, errs := validator.NewValidator(m.doc)
		if len(errs) > 0 {
			m.validatorErr = fmt.Errorf("libopenapi-validator refuses %s: %v", s.Source, errs[0])
			return
		}
		m.validator = &Validator{v: v}
	})
	return m.validator, m.validatorErr
}

// Request returns how r breaks the spec; nil when it does not.
func (v *Validator) Request(r *http.Request) []Finding {
	if ok, errs := v.v.(validator.Validator).ValidateHttpRequest(r); !ok {
		return findings(errs)
	}
	return nil
}

// Response returns how resp, the answer to r, breaks the spec; nil when it
// does not.
func (v *Validator) Response(r *http.Request, resp *http.Response) []Finding {
	if ok, errs := v.v.(validator.Validator).ValidateHttpResponse(r, resp); !ok {
		return findings(errs)
	}
	return nil
}

func findings(errs []*verrors.ValidationError) []Finding {
	out := make([]Finding, 0, len(errs))
	for _, e := range errs {
		f := Finding{Type: e.ValidationType, SubType: e.ValidationSubType, Name: e.ParameterName, Message: e.Message, Reason: e.Reason}
		for _, sv := range e.SchemaValidationErrors {
			path := sv.FieldPath
			if path == "" {
				path = "(root)"
			}
			f.Fields = append(f.Fields, path+": "+strings.TrimSpace(sv.Reason))
		}
		out = append(out, f)
	}
	return out
}

// validatorState is built on first use, once per Spec.
type validatorState struct {
	validatorOnce sync.Once
	validator     *Validator
	validatorErr  error
}
