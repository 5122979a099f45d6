package mockserver

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/flashback/revoke-contract/mockserver/scenario"
)

// The delivery stage: how a chosen answer reaches the client, once the work
// (a revocation) is done. Latency, a scenario's delay and Prefer: delay
// hold the answer back; a scenario's fault breaks the connection instead of
// answering, or drips the answer. Nothing here starts a goroutine: a delay
// is a timer raced against the request's context, so a client that leaves
// ends the wait and leaves nothing behind.

// MaxDelay is the longest delay the mock accepts, from any source.
const MaxDelay = 60 * time.Second

// Latency is a delay added to every request to a spec path: Min when Max
// is zero, else uniform in [Min, Max].
type Latency struct {
	Min, Max time.Duration
}

// ParseLatency reads "300ms" (fixed) or "100ms..800ms" (uniform); "" and
// "0" are no latency. Each bound is a Go duration of at most MaxDelay.
func ParseLatency(s string) (Latency, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return Latency{}, nil
	}
	lo, hi, ranged := strings.Cut(s, "..")
	parse := func(v string) (time.Duration, error) {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d < 0 || d > MaxDelay {
			return 0, &OptionError{Option: "Latency", Value: s, Want: fmt.Sprintf("a Go duration such as 300ms, or a range such as 100ms..800ms, each from 0 to %s", MaxDelay)}
		}
		return d, nil
	}
	min, err := parse(lo)
	if err != nil {
		return Latency{}, err
	}
	if !ranged {
		return Latency{Min: min}, nil
	}
	max, err := parse(hi)
	if err != nil {
		return Latency{}, err
	}
	if max < min {
		return Latency{}, &OptionError{Option: "Latency", Value: s, Want: "a range whose first bound is not above its second, such as 100ms..800ms"}
	}
	return Latency{Min: min, Max: max}, nil
}

// checkLatency refuses a Latency that ParseLatency would not return.
func checkLatency(l Latency) error {
	if l.Min < 0 || l.Max < 0 || l.Min > MaxDelay || l.Max > MaxDelay || (l.Max > 0 && l.Max < l.Min) {
		return &OptionError{Option: "Latency", Value: l.String(), Want: fmt.Sprintf("bounds from 0 to %s, the first not above the second", MaxDelay)}
	}
	return nil
}

func (l Latency) String() string {
	if l.Max > 0 {
		return l.Min.String() + ".." + l.Max.String()
	}
	return l.Min.String()
}

// draw picks one request's latency.
func (l Latency) draw() time.Duration {
	if l.Max <= l.Min {
		return l.Min
	}
	return l.Min + rand.N(l.Max-l.Min+1)
}

// delivery is how the chosen answer is delivered.
type delivery struct {
	delay    time.Duration
	fault    scenario.Fault
	scenario string // the ID of the scenario that decided, if any
}

// deliver writes c as d says. It returns without answering when the
// client left during a delay.
func (s *Server) deliver(w http.ResponseWriter, r *http.Request, c *choice, d delivery) {
	switch d.fault {
	case scenario.Hang:
		s.hang(w, r)
		return
	case scenario.Drip:
		s.drip(w, r, c, d.delay)
		return
	}
	if !s.wait(w, r, d.delay) {
		return
	}
	switch d.fault {
	case scenario.Reset, scenario.Close, scenario.Malformed:
		breakConnection(w, d.fault)
	default:
		s.write(w, c)
	}
}

// wait holds the answer back for d, extending the write deadline so that
// the answer still goes out. It reports false when the client went away
// meanwhile: then there is no one to answer.
func (s *Server) wait(w http.ResponseWriter, r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d + s.writeTimeout))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		appendDecision(w, "; client left during the delay")
		return false
	}
}

// hang answers nothing until the client gives up, or the server's write
// timeout passes; then the connection is closed.
func (s *Server) hang(w http.ResponseWriter, r *http.Request) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(2 * s.writeTimeout))
	t := time.NewTimer(s.writeTimeout)
	defer t.Stop()
	select {
	case <-t.C:
		appendDecision(w, "; closed after the write timeout")
	case <-r.Context().Done():
		appendDecision(w, "; client gave up")
	}
	breakConnection(w, scenario.Close)
}

// dripChunk is how many bytes of the body drip sends at a time.
const dripChunk = 4

// dripDefault spreads the answer when the scenario names no delay.
const dripDefault = 2 * time.Second

// drip sends the headers at once, then the body a few bytes at a time,
// spread over d: a client sees a connection that is alive but slow.
func (s *Server) drip(w http.ResponseWriter, r *http.Request, c *choice, d time.Duration) {
	if d <= 0 {
		d = dripDefault
	}
	body := c.example.body
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(d + s.writeTimeout))
	h := w.Header()
	if c.applied != "" {
		h.Set("Preference-Applied", c.applied)
	}
	if c.challenge != "" {
		h.Set("WWW-Authenticate", c.challenge)
	}
	writeHeaders(w, c.answer, c.example)
	if rc.Flush() != nil {
		return
	}
	chunks := (len(body) + dripChunk - 1) / dripChunk
	if chunks == 0 {
		return
	}
	step := d / time.Duration(chunks)
	t := time.NewTimer(step)
	defer t.Stop()
	for i := 0; i < len(body); i += dripChunk {
		if i > 0 {
			select {
			case <-t.C:
				t.Reset(step)
			case <-r.Context().Done():
				appendDecision(w, "; client left during the drip")
				return
			}
		}
		if _, err := w.Write(body[i:min(i+dripChunk, len(body))]); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}

// notHTTP is what the malformed fault sends: no status line a client could
// parse, then the connection ends.
const notHTTP = "\x00\x01revoke-mock: fault malformed: these bytes are not an HTTP response\r\n\r\n"

// breakConnection ends the request's connection without an HTTP answer:
// a TCP RST (reset), a plain close, or bytes that are not HTTP first.
func breakConnection(w http.ResponseWriter, f scenario.Fault) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 cannot give the connection away; aborting the handler
		// resets the stream, which a client sees as a network error too.
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	switch f {
	case scenario.Reset:
		if tc, ok := conn.(interface{ SetLinger(sec int) error }); ok { // *net.TCPConn, or netlimit's
			_ = tc.SetLinger(0) // Close sends RST instead of FIN
		}
	case scenario.Malformed:
		_, _ = buf.WriteString(notHTTP)
		_ = buf.Flush()
	}
}
