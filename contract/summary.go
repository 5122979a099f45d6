package contract

import (
	"fmt"
	"strings"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

// FindingEntry names the report entry a SHOULD finding is stored under; it
// shows up as a JUnit property of that testcase.
const FindingEntry = "FINDING"

// Exit statuses of a run: a stable interface (contract/REPORT.md).
const (
	// ExitConforms: every rule that was checked passed (SHOULD findings
	// allowed unless strict; rules skipped for the configuration's sake
	// are listed with their reasons).
	ExitConforms = 0
	// ExitFailed: a MUST rule failed, or a SHOULD rule in strict mode.
	ExitFailed = 1
	// ExitUsage: a usage or configuration error; nothing was checked.
	ExitUsage = 2
	// ExitCouldNotCheck: no verdict: the backend was unreachable before
	// any rule ran, the token source never produced a token, or rules
	// could not be checked (no token, rate limited) and none failed.
	ExitCouldNotCheck = 3
)

// RuleResult is the outcome of one rule over all its specs.
type RuleResult struct {
	Rule     Rule
	State    Outcome
	Reason   string // why it was skipped
	Findings int
}

// Summary is the end-of-run account of the rules.
type Summary struct {
	Results       []RuleResult
	Strict        bool
	SuiteProblems []string // failures outside rules (BeforeSuite, configuration)
	// CouldNotCheck says why the run reached no verdict at all (the
	// backend unreachable, no token ever); "" when it did.
	CouldNotCheck string
	// SessionsMinted is how many sessions the suite created on the backend
	// (fresh tokens from CONTRACT_TOKEN_CMD or the in-process mock).
	SessionsMinted int
	// Model is the model-based checker's account of its run ("" when no
	// MODEL rule ran), Inferred what it learnt of the backend's own ways.
	Model      string
	Inferred   []string
	ExitStatus int
}

// Summarize turns Ginkgo's report into per-rule results.
func Summarize(report types.Report, strict bool) Summary {
	type acc struct {
		specs, failed, skipped, findings int
		reason                           string
	}
	byID := map[string]*acc{}
	s := Summary{Strict: strict}
	for _, sr := range report.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			if sr.State.Is(types.SpecStateFailureStates) {
				s.SuiteProblems = append(s.SuiteProblems, fmt.Sprintf("%s: %s", sr.LeafNodeType, strings.TrimSpace(sr.Failure.Message)))
			}
			continue
		}
		id := RuleIDOf(sr.LeafNodeText)
		if id == "" {
			continue
		}
		a := byID[id]
		if a == nil {
			a = &acc{}
			byID[id] = a
		}
		a.specs++
		switch {
		case sr.State.Is(types.SpecStateFailureStates):
			a.failed++
		case sr.State.Is(types.SpecStateSkipped | types.SpecStatePending):
			a.skipped++
			if a.reason == "" {
				a.reason = sr.Failure.Message
			}
		}
		for _, e := range sr.ReportEntries {
			if e.Name == FindingEntry {
				a.findings++
			}
		}
	}
	for _, r := range Catalogue {
		res := RuleResult{Rule: r, State: OutcomeNotRun}
		if a := byID[r.ID]; a != nil {
			res.Findings = a.findings
			switch {
			case a.failed > 0:
				res.State = OutcomeFail
			case a.skipped == a.specs && a.reason == "":
				res.State = OutcomeNotSelected // label filter or focus
			case a.skipped == a.specs:
				res.State, res.Reason = OutcomeSkipped, a.reason
			case a.findings > 0:
				res.State = OutcomeFinding
			default:
				res.State = OutcomePass
			}
		}
		s.Results = append(s.Results, res)
	}
	s.settleExit()
	return s
}

// settleExit derives the exit status from the results: a suite-level
// problem (the configuration) first, then a failed rule, then rules that
// could not be checked.
func (s *Summary) settleExit() {
	s.ExitStatus = ExitConforms
	switch {
	case s.CouldNotCheck != "":
		s.ExitStatus = ExitCouldNotCheck
	case len(s.SuiteProblems) > 0:
		s.ExitStatus = ExitUsage
	case s.countState(OutcomeFail) > 0:
		s.ExitStatus = ExitFailed
	case s.countState(OutcomeCouldNotCheck) > 0:
		s.ExitStatus = ExitCouldNotCheck
	}
}

func (s Summary) countState(o Outcome) int {
	n := 0
	for _, r := range s.Results {
		if r.State == o {
			n++
		}
	}
	return n
}

// WriteJUnit writes report as JUnit XML to path. A failure fails the run,
// so it also becomes a suite problem of s: the summary's exit status stays
// the one the run ends with.
func (s *Summary) WriteJUnit(report types.Report, path string) error {
	if err := reporters.GenerateJUnitReportWithConfig(report, path, reporters.JunitReportConfig{}); err != nil {
		err = fmt.Errorf("contract: writing CONTRACT_JUNIT=%s: %w", path, err)
		s.SuiteProblems = append(s.SuiteProblems, err.Error())
		s.ExitStatus = ExitUsage
		return err
	}
	return nil
}

// Count returns how many rules of level are in state.
func (s Summary) Count(level Level, state Outcome) int {
	n := 0
	for _, r := range s.Results {
		if r.Rule.Level == level && r.State == state {
			n++
		}
	}
	return n
}

// Findings is the number of SHOULD findings reported.
func (s Summary) Findings() int {
	n := 0
	for _, r := range s.Results {
		n += r.Findings
	}
	return n
}

func (s Summary) String() string {
	var b strings.Builder
	b.WriteString("\n=== contract summary ===\n")
	fmt.Fprintf(&b, "%-7s %7s %7s %8s %8s\n", "level", "passed", "failed", "finding", "skipped")
	for _, l := range []Level{Must, Should} {
		fmt.Fprintf(&b, "%-7s %7d %7d %8d %8d\n", l, s.Count(l, OutcomePass), s.Count(l, OutcomeFail), s.Count(l, OutcomeFinding), s.Count(l, OutcomeSkipped))
	}
	mode := "not strict: SHOULD failures are findings, the run still passes"
	if s.Strict {
		mode = "strict (CONTRACT_STRICT=1): SHOULD failures fail the run"
	}
	fmt.Fprintf(&b, "SHOULD findings: %d (%s)\n", s.Findings(), mode)
	for _, r := range s.Results {
		if r.Findings > 0 {
			fmt.Fprintf(&b, "  FINDING %s (SHOULD): %s\n", r.Rule.ID, r.Rule.Requirement)
		}
	}
	var failed, skipped []RuleResult
	var unselected, notRun []string
	for _, r := range s.Results {
		switch r.State {
		case OutcomeFail:
			failed = append(failed, r)
		case OutcomeSkipped:
			skipped = append(skipped, r)
		case OutcomeNotSelected:
			unselected = append(unselected, r.Rule.ID)
		case OutcomeNotRun:
			notRun = append(notRun, r.Rule.ID)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(&b, "failed rules: %d\n", len(failed))
		for _, r := range failed {
			fmt.Fprintf(&b, "  FAILED %s (%s): %s\n", r.Rule.ID, r.Rule.Level, r.Rule.Requirement)
		}
	}
	fmt.Fprintf(&b, "skipped rules with reasons: %d\n", len(skipped))
	for _, r := range skipped {
		fmt.Fprintf(&b, "  SKIPPED %s (%s): %s\n", r.Rule.ID, r.Rule.Level, firstLine(r.Reason))
	}
	if len(unselected) > 0 {
		fmt.Fprintf(&b, "not selected (label filter or focus): %d: %s\n", len(unselected), strings.Join(unselected, " "))
	}
	if len(notRun) > 0 {
		fmt.Fprintf(&b, "not run (no spec in this run): %d: %s\n", len(notRun), strings.Join(notRun, " "))
	}
	for _, p := range s.SuiteProblems {
		fmt.Fprintf(&b, "suite problem: %s\n", p)
	}
	if n := s.countState(OutcomeCouldNotCheck); n > 0 {
		fmt.Fprintf(&b, "rules that could not be checked: %d\n", n)
		for _, r := range s.Results {
			if r.State == OutcomeCouldNotCheck {
				fmt.Fprintf(&b, "  COULD NOT CHECK %s (%s): %s\n", r.Rule.ID, r.Rule.Level, firstLine(r.Reason))
			}
		}
	}
	if s.CouldNotCheck != "" {
		fmt.Fprintf(&b, "COULD NOT CHECK: %s\n", s.CouldNotCheck)
	}
	if s.Model != "" {
		fmt.Fprintf(&b, "%s\n", s.Model)
		for _, i := range s.Inferred {
			fmt.Fprintf(&b, "model: inferred: %s\n", i)
		}
	}
	fmt.Fprintf(&b, "sessions minted: %d\n", s.SessionsMinted)
	fmt.Fprintf(&b, "exit status: %d\n", s.ExitStatus)
	return b.String()
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
