package contract

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

func specReport(text string, state types.SpecState, msg string, findings int) types.SpecReport {
	sr := types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: text, State: state, Failure: types.Failure{Message: msg}}
	for i := 0; i < findings; i++ {
		sr.ReportEntries = append(sr.ReportEntries, types.ReportEntry{Name: FindingEntry})
	}
	return sr
}

func TestSummarize(t *testing.T) {
	report := types.Report{SuiteSucceeded: false, SpecReports: types.SpecReports{
		specReport("[AUTH-001] answers 401", types.SpecStatePassed, "", 0),
		specReport("[AUTH-002] rejects Basic", types.SpecStateFailed, "boom", 0),
		specReport("[AUTH-006] answers 401, every time", types.SpecStateSkipped, "needs CONTRACT_TOKEN_CMD: x", 0),
		specReport("[AUTH-011] accepts bearer", types.SpecStatePassed, "", 1),
		specReport("[HTTP-003] answers 405", types.SpecStateFailed, "strict", 0),
		specReport("[REV-001] rejects", types.SpecStateSkipped, "", 0), // filtered out
		{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStatePassed},
	}}
	s := Summarize(report, true)
	want := map[string]string{
		"AUTH-001": "passed", "AUTH-002": "failed", "AUTH-006": "skipped", "AUTH-011": "finding",
		"HTTP-003": "failed", "REV-001": "not-selected", "REV-002": "not-run",
	}
	for _, r := range s.Results {
		if w, ok := want[r.Rule.ID]; ok && r.State.String() != w {
			t.Errorf("%s: state %q, want %q", r.Rule.ID, r.State, w)
		}
	}
	if got := [4]int{s.Count(Must, OutcomePass), s.Count(Must, OutcomeFail), s.Count(Should, OutcomeFail), s.Count(Should, OutcomeFinding)}; got != [4]int{1, 1, 1, 1} {
		t.Errorf("counts %v", got)
	}
	if s.Findings() != 1 || s.ExitStatus != 1 {
		t.Errorf("findings %d exit %d", s.Findings(), s.ExitStatus)
	}
	s.SessionsMinted = 42
	out := s.String()
	for _, w := range []string{
		"\nsessions minted: 42\n",
		"SKIPPED AUTH-006 (MUST): needs CONTRACT_TOKEN_CMD: x",
		"FAILED AUTH-002 (MUST)", "FAILED HTTP-003 (SHOULD)", "FINDING AUTH-011 (SHOULD)",
		"not selected (label filter or focus): 1: REV-001", "exit status: 1", "strict (CONTRACT_STRICT=1)",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("summary lacks %q:\n%s", w, out)
		}
	}
}

func TestSummarizeSuiteProblem(t *testing.T) {
	report := types.Report{SuiteSucceeded: false, SpecReports: types.SpecReports{
		{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStateFailed, Failure: types.Failure{Message: "contract: configuration error"}},
	}}
	s := Summarize(report, false)
	if s.ExitStatus != ExitUsage || len(s.SuiteProblems) != 1 || !strings.Contains(s.String(), "suite problem: BeforeSuite: contract: configuration error") {
		t.Errorf("summary:\n%s", s)
	}
}

// TestSummaryJUnitWriteFailure: a JUnit report that cannot be written fails
// the run, and the summary printed after it says so.
func TestSummaryJUnitWriteFailure(t *testing.T) {
	report := types.Report{SuiteSucceeded: true, SpecReports: types.SpecReports{
		specReport("[AUTH-001] answers 401", types.SpecStatePassed, "", 0),
	}}
	s := Summarize(report, false)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteJUnit(report, filepath.Join(file, "junit.xml")); err == nil {
		t.Fatal("writing under a regular file succeeded")
	}
	if out := s.String(); s.ExitStatus != ExitUsage || !strings.Contains(out, "suite problem: contract: writing CONTRACT_JUNIT=") || !strings.Contains(out, "exit status: 2") {
		t.Errorf("summary:\n%s", out)
	}
	ok := filepath.Join(t.TempDir(), "junit.xml")
	if err := s.WriteJUnit(report, ok); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(ok); err != nil || !strings.Contains(string(data), "[AUTH-001]") {
		t.Errorf("JUnit report: %v\n%s", err, data)
	}
}
