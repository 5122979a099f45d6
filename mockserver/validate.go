package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// validate is the pipeline's third stage: it reads the request's body (at
// most MaxBodyBytes) and checks the parameters and the body against the
// operation with kin-openapi, naming every broken field.
func (s *Server) validate(r *http.Request, m match) *halt {
	if err := s.readBody(r); err != nil {
		return &halt{decision: "request.too-large", problem: &Problem{Type: problemBodyTooLarge, Title: "Request body too large", Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("the mock accepts request bodies of at most %d bytes", s.maxBody)}}
	}
	if !m.op.validates {
		return nil
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: m.params, Route: m.kinRoute(s.spec.Kin, r), Options: s.filter}
	err := openapi3filter.ValidateRequest(r.Context(), in)
	if err == nil {
		return nil
	}
	return &halt{decision: "request.invalid", problem: &Problem{Type: problemInvalidRequest, Title: "The request does not match the spec", Status: http.StatusBadRequest,
		Detail: fmt.Sprintf("%s %s breaks %s", r.Method, m.entry.template, s.spec.Source), Errors: fieldErrors(err)}}
}

// readBody buffers the request body, up to the limit, so that validation
// can read it and an oversized body is refused.
func (s *Server) readBody(r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil
	}
	if r.ContentLength > s.maxBody {
		return errBodyTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, s.maxBody+1))
	if err != nil {
		return err
	}
	if int64(len(data)) > s.maxBody {
		return errBodyTooLarge
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	r.ContentLength = int64(len(data)) // known now, for the journal, even when it came chunked
	return nil
}

var errBodyTooLarge = errors.New("request body too large")

// fieldErrors turns kin-openapi's structured errors into what a user reads:
// which field, what was expected, what came.
func fieldErrors(err error) []FieldError {
	return collect(err, FieldError{Field: "request"})
}

// collect walks kin-openapi's error tree; at carries what the outer levels
// already know (the field, what its schema expects).
func collect(err error, at FieldError) []FieldError {
	var multi openapi3.MultiError
	if errors.As(err, &multi) {
		var out []FieldError
		for _, e := range multi {
			out = append(out, collect(e, at)...)
		}
		return out
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
		at.Field = "body"
		if p := re.Parameter; p != nil {
			at.Field = p.In + " parameter " + p.Name
			if p.Schema != nil && p.Schema.Value != nil {
				at.Expected = schemaType(p.Schema.Value)
			}
		}
		if re.Err == nil {
			at.Message = re.Reason
			return []FieldError{at}
		}
		out := collect(re.Err, at)
		if re.Reason != "" {
			for i := range out {
				out[i].Message = re.Reason + ": " + out[i].Message
			}
		}
		return out
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		if at.Field == "request" {
			at.Field = "body" // kin-openapi reports body schema errors unwrapped
		}
		if ptr := se.JSONPointer(); len(ptr) > 0 {
			at.Field += " /" + strings.Join(ptr, "/")
		}
		at.Expected = se.SchemaField
		if se.Schema != nil {
			at.Expected = strings.TrimSpace(se.SchemaField + " " + schemaConstraint(se.Schema, se.SchemaField))
		}
		if v, err := json.Marshal(se.Value); err == nil {
			at.Received = excerpt(string(v))
		}
		at.Message = se.Reason
		return []FieldError{at}
	}
	var pe *openapi3filter.ParseError
	if errors.As(err, &pe) {
		at.Received = excerpt(fmt.Sprint(pe.Value))
		at.Message = pe.Error()
		return []FieldError{at}
	}
	at.Message = err.Error()
	return []FieldError{at}
}

func schemaType(s *openapi3.Schema) string {
	if s.Type != nil && len(*s.Type) > 0 {
		return strings.Join(*s.Type, " or ")
	}
	return ""
}

// schemaConstraint renders the value of the keyword that failed, such as
// minLength 2 or type string.
func schemaConstraint(s *openapi3.Schema, keyword string) string {
	switch keyword {
	case "type":
		return schemaType(s)
	case "minLength":
		return fmt.Sprint(s.MinLength)
	case "maxLength":
		if s.MaxLength != nil {
			return fmt.Sprint(*s.MaxLength)
		}
	case "minimum":
		if s.Min != nil {
			return fmt.Sprint(*s.Min)
		}
	case "maximum":
		if s.Max != nil {
			return fmt.Sprint(*s.Max)
		}
	case "pattern":
		return s.Pattern
	case "enum":
		b, _ := json.Marshal(s.Enum)
		return string(b)
	case "required":
		return strings.Join(s.Required, ", ")
	}
	return ""
}

func excerpt(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
