// Package wallclock reads the time of day at the cost of one read of the
// monotonic clock: what the mock stamps every request with.
package wallclock

import (
	"sync/atomic"
	"time"
)

// Clock reads the time of day with one read of the monotonic clock where
// time.Now reads the monotonic clock and the wall clock (each read is some
// 30 ns on a virtual machine): the time of day is a reading of both, taken
// at most Refresh before, advanced by the monotonic time since. Between
// two readings the two clocks advance together (NTP slews both); a step of
// the wall clock shows from the next reading on, within Refresh. The zero
// Clock is ready to use and safe for concurrent use.
type Clock struct {
	base atomic.Pointer[time.Time]
}

// Refresh is how long a reading of both clocks is used; Skew bounds the
// time between the two reads of one (time.Now reads the wall clock first):
// a reading interrupted for longer between them is taken again, so that no
// time of day derived from it is earlier than the truth by more than Skew.
const (
	Refresh = time.Second
	Skew    = time.Microsecond
)

// Now is the current time, with a monotonic reading (as time.Now's).
func (c *Clock) Now() time.Time {
	if b := c.base.Load(); b != nil {
		if d := time.Since(*b); d >= 0 && d < Refresh {
			return b.Add(d)
		}
	}
	var t time.Time
	for range 8 {
		pre := time.Now()
		t = time.Now()
		if t.Sub(pre) <= Skew {
			break
		}
	}
	c.base.Store(&t)
	return t
}
