package wallclock

import (
	"sync"
	"testing"
	"time"
)

// TestNowIsTheTimeOfDay: the clock's readings lie between time.Now read
// before and after (less the skew a reading of both clocks may have), from
// several goroutines at once and across the refresh of its base, and never
// go backwards in one goroutine.
func TestNowIsTheTimeOfDay(t *testing.T) {
	var c Clock
	deadline := time.Now().Add(2*Refresh + 200*time.Millisecond)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last time.Time
			for n := 0; time.Now().Before(deadline); n++ {
				before := time.Now()
				got := c.Now()
				after := time.Now()
				// Compared by the time of day (the wall clock), as the log and
				// the journal print them.
				if got.Round(0).Before(before.Round(0).Add(-Skew)) || got.Round(0).After(after.Round(0)) {
					t.Errorf("reading %d: %v, not within [%v, %v]", n, got, before, after)
					return
				}
				if got.Before(last) {
					t.Errorf("reading %d: %v is before the previous reading %v", n, got, last)
					return
				}
				last = got
				if n%64 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
}
