// Package spec holds the OpenAPI contract of POST /sessions/revoke-all and
// loads it, or a user's copy, with both kin-openapi and libopenapi, so that a
// document only one of them understands is refused at start-up.
package spec

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi/datamodel"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// OpenAPI is the embedded contract (spec/openapi.yaml).
//
//go:embed openapi.yaml
var OpenAPI []byte

// EmbeddedName is how the embedded document is named in messages.
const EmbeddedName = "spec/openapi.yaml (embedded)"

// Spec is one loaded, validated OpenAPI document, held in both libraries'
// models. It is read-only after Load and safe for concurrent use.
//
// The libopenapi model is reached with LibModel, Responses and Validator,
// not as a field: a package that names a type holding libopenapi's generic models
// compiles their instantiations (~8 s each time), so only the packages that
// read that model pay for it, not every package that passes a *Spec along.
type Spec struct {
	Source string
	Raw    []byte
	Kin    *openapi3.T
	lib    any // *libModels
}

type libModels struct {
	doc   libopenapi.Document
	model *v3.Document
	validatorState
}

// LibModel is s as libopenapi's OpenAPI 3 model.
func LibModel(s *Spec) *v3.Document { return s.lib.(*libModels).model }

// Problem is one defect found in a document, located as precisely as the
// library that found it allows.
type Problem struct {
	Line, Column int    // 0 when unknown
	Field        string // dotted or JSON-pointer path, when known
	Message      string
	Checker      string // "yaml", "kin-openapi" or "libopenapi"
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ", column %d", p.Column)
		}
		b.WriteString(": ")
	}
	if p.Field != "" {
		fmt.Fprintf(&b, "%s: ", p.Field)
	}
	b.WriteString(p.Message)
	fmt.Fprintf(&b, " (%s)", p.Checker)
	return b.String()
}

// LoadError says why a document was refused; it lists every problem found.
type LoadError struct {
	Source   string
	Problems []Problem
}

func (e *LoadError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid OpenAPI document %s:", e.Source)
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

var (
	embeddedOnce sync.Once
	embedded     *Spec
	embeddedErr  error
)

// Embedded returns the embedded contract, loaded once per process.
func Embedded() (*Spec, error) {
	embeddedOnce.Do(func() { embedded, embeddedErr = Load(EmbeddedName, OpenAPI) })
	return embedded, embeddedErr
}

// LoadFile reads and loads the document at path.
func LoadFile(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading OpenAPI document: %w", err)
	}
	return Load(path, data)
}

// Load parses and validates data with both libraries. A document is accepted
// only when kin-openapi, libopenapi and libopenapi-validator all accept it.
func Load(source string, data []byte) (*Spec, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &LoadError{Source: source, Problems: []Problem{{Message: "the file is empty", Checker: "yaml"}}}
	}
	s := &Spec{Source: source, Raw: data}
	var problems []Problem

	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	kin, err := loader.LoadFromData(data)
	if err != nil {
		problems = append(problems, kinProblem(err, data))
	} else if !strings.HasPrefix(kin.OpenAPI, "3.0") {
		problems = append(problems, Problem{Field: "openapi", Message: fmt.Sprintf("version %q is not supported: the mock and the suite read OpenAPI 3.0.x", kin.OpenAPI), Checker: "kin-openapi"})
	} else if err := kin.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		problems = append(problems, kinProblem(err, data))
	}
	s.Kin = kin

	// libopenapi logs what it cannot resolve (with the line) instead of
	// returning it, by default as JSON on stdout: collect it instead.
	logged := &logProblems{}
	cfg := datamodel.NewDocumentConfiguration()
	cfg.Logger = slog.New(logged)
	refuse := func() error {
		problems = append(problems, logged.problems()...)
		sort.SliceStable(problems, func(i, j int) bool {
			return problems[i].Line != 0 && (problems[j].Line == 0 || problems[i].Line < problems[j].Line)
		})
		return &LoadError{Source: source, Problems: problems}
	}
	lib, err := libopenapi.NewDocumentWithConfiguration(data, cfg)
	if err != nil {
		problems = append(problems, Problem{Message: err.Error(), Checker: "libopenapi"})
		return nil, refuse()
	}
	model, err := lib.BuildV3Model()
	if err != nil || model == nil {
		msg := "cannot build an OpenAPI 3 model"
		if err != nil {
			msg = err.Error()
		}
		problems = append(problems, Problem{Message: msg, Checker: "libopenapi"})
		return nil, refuse()
	}
	s.lib = &libModels{doc: lib, model: &model.Model}

	v, errs := validator.NewValidator(lib)
	for _, e := range errs {
		problems = append(problems, Problem{Message: e.Error(), Checker: "libopenapi-validator"})
	}
	if v != nil {
		if ok, verrs := v.ValidateDocument(); !ok {
			for _, ve := range verrs {
				if len(ve.SchemaValidationErrors) == 0 {
					problems = append(problems, Problem{Line: ve.SpecLine, Column: ve.SpecCol, Message: ve.Reason, Checker: "libopenapi-validator"})
				}
				for _, f := range ve.SchemaValidationErrors {
					if f.Reason == "missing property '$ref'" {
						continue // noise from the schema's "object or $ref" alternative
					}
					problems = append(problems, Problem{Line: f.Line, Column: f.Column, Field: f.FieldPath, Message: f.Reason, Checker: "libopenapi-validator"})
				}
			}
		}
	}
	if len(problems) > 0 {
		return nil, refuse()
	}
	return s, nil
}

// logProblems is a slog.Handler that keeps libopenapi's error records as
// Problems. They only complete a refusal: a document that every checker
// accepts is not refused for what was logged.
type logProblems struct {
	mu   sync.Mutex
	list []Problem
}

var columnRE = regexp.MustCompile(`line (\d+), column (\d+)`)

func (l *logProblems) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelError
}

func (l *logProblems) Handle(_ context.Context, r slog.Record) error {
	p := Problem{Message: r.Message, Checker: "libopenapi"}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "reference" {
			p.Field = a.Value.String()
		}
		return true
	})
	if m := columnRE.FindStringSubmatch(p.Message); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Column, _ = strconv.Atoi(m[2])
	}
	l.mu.Lock()
	l.list = append(l.list, p)
	l.mu.Unlock()
	return nil
}

func (l *logProblems) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logProblems) WithGroup(string) slog.Handler      { return l }

func (l *logProblems) problems() []Problem {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Problem(nil), l.list...)
}

var lineRE = regexp.MustCompile(`line (\d+)`)

// kinProblem turns a kin-openapi error into a Problem. kin-openapi reports
// YAML syntax errors with a line and semantic errors with a field path but no
// line; for the latter we look the path's last key up in the document.
func kinProblem(err error, data []byte) Problem {
	p := Problem{Message: err.Error(), Checker: "kin-openapi"}
	if m := lineRE.FindStringSubmatch(p.Message); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Checker = "yaml"
		return p
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		p.Field = "/" + strings.Join(se.JSONPointer(), "/")
	}
	return p
}
