package contract

import (
	"github.com/flashback/revoke-contract/contract/internal/model"

	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ReportSchemaVersion is the version of the JSON report's format. It grows
// when a field changes meaning or goes away, never when one is added.
const ReportSchemaVersion = 1

// ReportSchema is the JSON Schema of the report (contract/report.schema.json).
//
//go:embed report.schema.json
var ReportSchema []byte

// JSONReport is the machine-readable account of a run (--json,
// CONTRACT_JSON), described in contract/REPORT.md. Everything in it is
// redacted: no credential appears.
type JSONReport struct {
	SchemaVersion int         `json:"schemaVersion"`
	Tool          string      `json:"tool"`
	Target        string      `json:"target"`
	Spec          string      `json:"spec"`
	Strict        bool        `json:"strict"`
	Timeout       string      `json:"timeout"`
	TokenSource   string      `json:"tokenSource"`
	StartedAt     time.Time   `json:"startedAt"`
	Seconds       float64     `json:"durationSeconds"`
	ExitStatus    int         `json:"exitStatus"`
	Verdict       string      `json:"verdict"`
	CouldNotCheck string      `json:"couldNotCheck,omitempty"`
	SuiteProblems []string    `json:"suiteProblems"`
	Summary       JSONSummary `json:"summary"`
	Rules         []JSONRule  `json:"rules"`
	// Model: the model-based checker's account; absent when no MODEL rule ran.
	Model *JSONModel `json:"model,omitempty"`
}

// JSONSummary counts the rules by level and outcome.
type JSONSummary struct {
	Score          string    `json:"score"` // "MUST 27/27, SHOULD 6/7"
	Must           JSONLevel `json:"must"`
	Should         JSONLevel `json:"should"`
	Findings       int       `json:"findings"`
	SessionsMinted int       `json:"sessionsMinted"`
}

// JSONLevel is the rules of one level: how many in all, how many of each
// outcome, and the conformance score ("24/25": passed of those checked,
// that is of all but the skipped and the not-selected).
type JSONLevel struct {
	Total    int            `json:"total"`
	Outcomes map[string]int `json:"outcomes"`
	Score    string         `json:"score"`
}

// JSONRule is one rule of the catalogue and what became of it.
type JSONRule struct {
	ID             string          `json:"id"`
	Level          string          `json:"level"`
	Labels         []string        `json:"labels"`
	Requirement    string          `json:"requirement"`
	Source         string          `json:"source"`
	Outcome        string          `json:"outcome"`
	Reason         string          `json:"reason,omitempty"`
	Findings       int             `json:"findings"`
	SessionsMinted map[string]int  `json:"sessionsMinted"`
	Violations     []JSONViolation `json:"violations"`
}

// JSONViolation is one way the rule was broken.
type JSONViolation struct {
	What     string        `json:"what"`
	Exchange *JSONExchange `json:"exchange"`
	// History: the shrunk generated history (MODEL rules only).
	History *JSONHistory `json:"history,omitempty"`
}

// JSONHistory is a MODEL rule's shrunk history: numbered shell lines in
// which every token is $TOKEN_n, the whole as a bash script, and the
// command that runs the same exploration again.
type JSONHistory struct {
	Seed       uint64       `json:"seed"`
	Steps      int          `json:"steps"`
	FromSteps  int          `json:"shrunkFrom"`
	Reproduced bool         `json:"reproduced"`
	Lines      []model.Line `json:"lines"`
	Script     string       `json:"script"`
	Replay     string       `json:"replay"`
}

// JSONModel is what the model-based checker did in the run.
type JSONModel struct {
	Seed      uint64         `json:"seed"`
	Histories int            `json:"histories"`
	Steps     int            `json:"steps"`
	Requests  int            `json:"requests"`
	Sessions  map[string]int `json:"sessions"`
	Inferred  []string       `json:"inferred"`
	Stopped   string         `json:"stopped,omitempty"`
}

// JSONExchange is a request and what came back, with its reproducer.
type JSONExchange struct {
	Seq       int           `json:"seq"`
	Rule      string        `json:"rule"`
	Case      string        `json:"case"`
	Request   JSONRequest   `json:"request"`
	Response  *JSONResponse `json:"response"`
	Error     string        `json:"error,omitempty"`
	Millis    int64         `json:"elapsedMs"`
	Echoes    []string      `json:"echoes,omitempty"`
	Reproduce string        `json:"reproduce"`
}

// JSONRequest is what was sent.
type JSONRequest struct {
	Method    string      `json:"method"`
	URL       string      `json:"url"`
	Headers   [][2]string `json:"headers"`
	Body      string      `json:"body,omitempty"` // an excerpt
	BodyBytes int         `json:"bodyBytes"`
	Chunked   bool        `json:"chunked,omitempty"`
}

// JSONResponse is what came back.
type JSONResponse struct {
	Status     int                 `json:"status"`
	StatusText string              `json:"statusText"`
	Headers    map[string][]string `json:"headers"`
	Body       string              `json:"body"` // an excerpt
	BodyBytes  int                 `json:"bodyBytes"`
}

// buildJSONReport assembles the report of a run.
func buildJSONReport(cfg Config, sum Summary, records map[string]*ruleRecord, started time.Time, m *model.Result) JSONReport {
	target := "the in-process mock"
	if cfg.BaseURL != nil {
		target = displayURL(cfg.BaseURL.String())
	}
	spec := "embedded spec/openapi.yaml"
	if cfg.SpecPath != "" {
		spec = cfg.SpecPath
	}
	r := JSONReport{
		SchemaVersion: ReportSchemaVersion, Tool: "revoke-contract", Target: target, Spec: spec, Strict: cfg.Strict,
		Timeout: cfg.Timeout.String(), TokenSource: cfg.TokenSource(), StartedAt: started.UTC().Truncate(time.Millisecond),
		Seconds: time.Since(started).Round(time.Millisecond).Seconds(), ExitStatus: sum.ExitStatus, Verdict: verdictOf(sum.ExitStatus),
		CouldNotCheck: sum.CouldNotCheck, SuiteProblems: append([]string{}, sum.SuiteProblems...),
		Summary: JSONSummary{Must: levelCounts(sum, Must), Should: levelCounts(sum, Should), Findings: sum.Findings(), SessionsMinted: sum.SessionsMinted},
		Rules:   []JSONRule{},
	}
	r.Summary.Score = "MUST " + r.Summary.Must.Score + ", SHOULD " + r.Summary.Should.Score
	for _, res := range sum.Results {
		jr := JSONRule{ID: res.Rule.ID, Level: string(res.Rule.Level), Labels: res.Rule.Labels(), Requirement: res.Rule.Requirement,
			Source: res.Rule.Source, Outcome: res.State.String(), Reason: res.Reason, Findings: res.Findings,
			SessionsMinted: map[string]int{}, Violations: []JSONViolation{}}
		if rec := records[res.Rule.ID]; rec != nil {
			for user, n := range rec.minted {
				jr.SessionsMinted[user] = n
			}
			for _, v := range rec.violations {
				jv := JSONViolation{What: v.What, Exchange: jsonExchange(v.Exchange)}
				if h := v.History; h != nil {
					jv.History = &JSONHistory{Seed: h.Seed, Steps: h.Steps, FromSteps: h.FromSteps, Reproduced: h.Reproduced,
						Lines: append([]model.Line{}, h.Lines...), Script: h.Script, Replay: h.Replay}
				}
				jr.Violations = append(jr.Violations, jv)
			}
		}
		r.Rules = append(r.Rules, jr)
	}
	if m != nil {
		r.Model = &JSONModel{Seed: m.Seed, Histories: m.Histories, Steps: m.Steps, Requests: m.Requests,
			Sessions: map[string]int{}, Inferred: append([]string{}, m.Inferred...), Stopped: m.Stopped}
		for u, n := range m.Sessions {
			r.Model.Sessions[u] = n
		}
	}
	return r
}

func verdictOf(exit int) string {
	switch exit {
	case ExitConforms:
		return "conforms"
	case ExitFailed:
		return "failed"
	case ExitUsage:
		return "usage-error"
	}
	return "could-not-check"
}

func levelCounts(sum Summary, level Level) JSONLevel {
	l := JSONLevel{Outcomes: map[string]int{}}
	for o := range outcomeNames {
		l.Outcomes[o.String()] = 0
	}
	for _, r := range sum.Results {
		if r.Rule.Level == level {
			l.Total++
			l.Outcomes[r.State.String()]++
		}
	}
	checked := l.Total - l.Outcomes[OutcomeSkipped.String()] - l.Outcomes[OutcomeNotSelected.String()]
	l.Score = fmt.Sprintf("%d/%d", l.Outcomes[OutcomePass.String()], checked)
	return l
}

func jsonExchange(ex *Exchange) *JSONExchange {
	if ex == nil {
		return nil
	}
	j := &JSONExchange{Seq: ex.Seq, Rule: ex.Rule, Case: ex.Name, Error: ex.Err, Millis: ex.Elapsed.Milliseconds(),
		Echoes: ex.Echoes, Reproduce: ex.Curl(),
		Request: JSONRequest{Method: ex.Method, URL: ex.URL, Headers: ex.Header, BodyBytes: ex.BodyLen, Chunked: ex.Chunked}}
	if j.Request.Headers == nil {
		j.Request.Headers = [][2]string{}
	}
	switch {
	case ex.BodyShell != "":
		j.Request.Body = "(" + ex.BodyShell + ")"
	case ex.Body != nil:
		j.Request.Body = excerptString(ex.Body)
	}
	if ex.Status != 0 {
		h := map[string][]string{}
		for k, vs := range ex.RespHeader {
			for _, v := range vs {
				if http.CanonicalHeaderKey(k) == "Set-Cookie" {
					v = maskCookie(v)
				}
				h[k] = append(h[k], v)
			}
		}
		j.Response = &JSONResponse{Status: ex.Status, StatusText: ex.StatusText, Headers: h,
			Body: excerptString(ex.RespBody), BodyBytes: ex.RespBodyLen}
	}
	return j
}

// excerptString is at most ExcerptBytes of a body, as text.
func excerptString(b []byte) string {
	if len(b) > ExcerptBytes {
		return strings.ToValidUTF8(string(b[:ExcerptBytes]), "\uFFFD") + "…"
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// writeJSONReport writes r to path, whole or not at all.
func writeJSONReport(r JSONReport, path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".contract-report-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// reportSchema is ReportSchema compiled, once.
var reportSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(ReportSchema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const loc = "report.schema.json"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, err
	}
	return c.Compile(loc)
})

// ValidateReport checks a JSON report against ReportSchema.
func ValidateReport(data []byte) error {
	sch, err := reportSchema()
	if err != nil {
		return fmt.Errorf("the report schema does not compile: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("the report is not JSON: %w", err)
	}
	return sch.Validate(inst)
}
