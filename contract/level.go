package contract

import "fmt"

// Outcome is what became of a rule in a run: what its violations mean for
// the run (pass, finding, fail), or why it was not checked.
type Outcome int

const (
	// OutcomePass: no violation.
	OutcomePass Outcome = iota
	// OutcomeFinding: a SHOULD rule was violated in a non-strict run; the spec passes
	// and the finding is reported.
	OutcomeFinding
	// OutcomeFail: a MUST rule was violated, or a SHOULD rule in a strict run.
	OutcomeFail
	// OutcomeSkipped: the configuration cannot check the rule (the reason
	// says why, for example no token command).
	OutcomeSkipped
	// OutcomeNotSelected: a label filter or focus left the rule out.
	OutcomeNotSelected
	// OutcomeNotRun: the run ended before the rule (a suite-level failure).
	OutcomeNotRun
	// OutcomeCouldNotCheck: the rule ran but could not reach a verdict:
	// the token source gave no token, or the backend kept answering 429.
	OutcomeCouldNotCheck
)

var outcomeNames = map[Outcome]string{
	OutcomePass:          "passed",
	OutcomeFinding:       "finding",
	OutcomeFail:          "failed",
	OutcomeSkipped:       "skipped",
	OutcomeNotSelected:   "not-selected",
	OutcomeNotRun:        "not-run",
	OutcomeCouldNotCheck: "could-not-check",
}

func (o Outcome) String() string {
	if s, ok := outcomeNames[o]; ok {
		return s
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Decide is the one place where levels and strictness meet.
func Decide(level Level, strict bool, violations int) Outcome {
	switch {
	case violations == 0:
		return OutcomePass
	case level == Should && !strict:
		return OutcomeFinding
	default:
		return OutcomeFail
	}
}
