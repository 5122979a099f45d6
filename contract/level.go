package contract

// Outcome is what a rule's violations mean for the run.
type Outcome int

const (
	// OutcomePass: no violation.
	OutcomePass Outcome = iota
	// OutcomeFinding: a SHOULD rule was violated in a non-strict run; the spec passes
	// and the finding is reported.
	OutcomeFinding
	// OutcomeFail: a MUST rule was violated, or a SHOULD rule in a strict run.
	OutcomeFail
)

func (o Outcome) String() string {
	switch o {
	case OutcomePass:
		return "pass"
	case OutcomeFinding:
		return "finding"
	default:
		return "fail"
	}
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
