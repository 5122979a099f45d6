package testkit

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// PollInterval is how often Poll and WaitFor look at their condition.
const PollInterval = 10 * time.Millisecond

// Poll calls cond every PollInterval until it holds or within has passed,
// and reports whether it held (cond is asked once more at the deadline).
// It is for conditions that become true a moment after the event a test
// caused: a log line written after the answer, a goroutine that ends.
func Poll(within time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(PollInterval) {
		if cond() {
			return true
		}
	}
	return cond()
}

// WaitFor is Poll that fails the test ("what: not within ...") when cond
// did not come to hold within the time.
func WaitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(within, cond) {
		t.Fatalf("%s: not within %v", what, within)
	}
}

// Goroutines counts this process's goroutines whose stack shows fn (a
// function's name as a stack trace prints it, such as
// "mockserver.(*Server).wait"): a test of an in-process server sees what
// it is still doing.
func Goroutines(fn string) int {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, fn) {
			n++
		}
	}
	return n
}
