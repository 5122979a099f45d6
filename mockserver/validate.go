package mockserver

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// fieldErrors turns kin-openapi's structured errors into what a user reads:
// which field, what was expected, what came.
func fieldErrors(err error) []FieldError {
	var multi openapi3.MultiError
	if errors.As(err, &multi) {
		var out []FieldError
		for _, e := range multi {
			out = append(out, fieldErrors(e)...)
		}
		return out
	}
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		return []FieldError{{Field: "request", Message: err.Error()}}
	}
	field := "body"
	if re.Parameter != nil {
		field = re.Parameter.In + " parameter " + re.Parameter.Name
	}
	fe := FieldError{Field: field, Message: re.Reason}
	var se *openapi3.SchemaError
	if errors.As(re.Err, &se) {
		if ptr := se.JSONPointer(); len(ptr) > 0 {
			fe.Field += " /" + strings.Join(ptr, "/")
		}
		fe.Expected = describeSchema(se)
		if v, err := json.Marshal(se.Value); err == nil {
			fe.Received = excerpt(string(v))
		}
		fe.Message = se.Reason
	} else if re.Err != nil && fe.Message == "" {
		fe.Message = re.Err.Error()
	} else if re.Err != nil {
		fe.Message += ": " + re.Err.Error()
	}
	return []FieldError{fe}
}

func describeSchema(se *openapi3.SchemaError) string {
	if se.Schema == nil {
		return se.SchemaField
	}
	if t := se.Schema.Type; t != nil && len(*t) > 0 {
		return se.SchemaField + " (" + strings.Join(*t, " or ") + ")"
	}
	return se.SchemaField
}

func excerpt(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
