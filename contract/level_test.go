package contract

import "testing"

func TestDecide(t *testing.T) {
	tests := []struct {
		level      Level
		strict     bool
		violations int
		want       Outcome
	}{
		{Must, false, 0, OutcomePass},
		{Must, true, 0, OutcomePass},
		{Should, false, 0, OutcomePass},
		{Should, true, 0, OutcomePass},
		{Must, false, 1, OutcomeFail},
		{Must, true, 3, OutcomeFail},
		{Should, false, 1, OutcomeFinding},
		{Should, false, 5, OutcomeFinding},
		{Should, true, 1, OutcomeFail},
	}
	for _, tt := range tests {
		if got := Decide(tt.level, tt.strict, tt.violations); got != tt.want {
			t.Errorf("Decide(%s, strict=%t, %d) = %s, want %s", tt.level, tt.strict, tt.violations, got, tt.want)
		}
	}
}
