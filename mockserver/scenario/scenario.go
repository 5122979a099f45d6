// Package scenario keeps the outcomes arranged through the mock's control
// API (POST /__mock/scenarios): "the next request to this operation gets
// the documented 500", "the next three are delayed 1.5 s", "the next one is
// reset". It knows nothing of OpenAPI: the mock checks a scenario against
// the spec before adding it. It depends on the standard library alone, so
// its concurrency is tested with the race detector at little cost.
//
// Store is what the mock needs; Memory is the in-process implementation.
// A shared implementation (Redis) only has to keep Take atomic: a scenario
// with Times 1 decides exactly one request, however many race for it.
package scenario

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is what a scenario does to the connection instead of (or, for
// drip, while) answering.
type Fault string

const (
	// Reset aborts the connection with a TCP RST: no answer.
	Reset Fault = "reset"
	// Close closes the connection without an answer.
	Close Fault = "close"
	// Hang sends nothing until the client gives up, at most the server's
	// write timeout, then closes.
	Hang Fault = "hang"
	// Drip sends the documented answer a few bytes at a time, spread over
	// the scenario's delay.
	Drip Fault = "drip"
	// Malformed answers with bytes that are not HTTP, then closes.
	Malformed Fault = "malformed"
)

// Faults lists every fault, in the order the documentation gives them.
var Faults = []Fault{Reset, Close, Hang, Drip, Malformed}

// Valid reports whether f is one of Faults.
func (f Fault) Valid() bool {
	for _, g := range Faults {
		if f == g {
			return true
		}
	}
	return false
}

// HeaderScope restricts a scenario to requests carrying a header value.
type HeaderScope struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Scenario is one arranged outcome for the requests to one operation.
type Scenario struct {
	ID        string        `json:"id"`
	Operation string        `json:"operation,omitempty"` // the operationId, when the spec has one
	Method    string        `json:"method"`              // upper case
	Path      string        `json:"path"`                // the spec's path template
	Status    string        `json:"status,omitempty"`    // a documented code ("" : the default answer)
	Example   string        `json:"example,omitempty"`   // a documented example name
	Times     int           `json:"times,omitempty"`     // uses; 0: until deleted
	Delay     time.Duration `json:"-"`
	Fault     Fault         `json:"fault,omitempty"`
	User      string        `json:"user,omitempty"`   // only requests of this session owner
	Header    *HeaderScope  `json:"header,omitempty"` // only requests carrying this header value
	// Remaining is how many uses are left; -1 means until deleted.
	Remaining int       `json:"remaining"`
	Created   time.Time `json:"created"`
}

// Request is what a scenario is matched against: the operation a request
// was routed to, its authenticated user ("" when unknown) and its headers.
type Request struct {
	Method string
	Path   string // the spec's path template
	User   string
	Header http.Header
}

// Matches reports whether s applies to r (uses aside).
func (s *Scenario) Matches(r Request) bool {
	if s.Method != r.Method || s.Path != r.Path {
		return false
	}
	if s.User != "" && s.User != r.User {
		return false
	}
	if s.Header != nil && !hasValue(r.Header, s.Header.Name, s.Header.Value) {
		return false
	}
	return true
}

func hasValue(h http.Header, name, value string) bool {
	for _, v := range h.Values(name) {
		if v == value {
			return true
		}
	}
	return false
}

// Store keeps scenarios. Every method is safe for concurrent use.
type Store interface {
	// Add stores s with a new ID and its Remaining uses set from Times,
	// and returns it.
	Add(s Scenario) Scenario
	// List returns the active scenarios in the order they apply (oldest
	// first).
	List() []Scenario
	// Delete removes one scenario and reports whether it existed.
	Delete(id string) bool
	// Clear removes every scenario.
	Clear()
	// Take finds the oldest active scenario matching r, spends one of its
	// uses and returns it (with the uses left after this one).
	Take(r Request) (Scenario, bool)
	// HasFaults reports whether an active scenario has a fault. It is
	// asked on every request: it must be cheap.
	HasFaults() bool
}

// Backend is Store with errors: what the mock calls. A shared store (in
// Redis: package redisstore) can fail on every call, and a failure must
// never be taken for "no scenario" (a wrong answer): the mock answers 503
// instead. Memory implements it and never fails.
type Backend interface {
	TryAdd(s Scenario) (Scenario, error)
	TryList() ([]Scenario, error)
	TryDelete(id string) (bool, error)
	TryClear() error
	TryTake(r Request) (Scenario, bool, error)
	// HasFaults may answer from what the store last saw: it is asked on
	// every request, before Take.
	HasFaults() bool
}

var _ Backend = (*Memory)(nil)

// TryAdd implements Backend.
func (m *Memory) TryAdd(s Scenario) (Scenario, error) { return m.Add(s), nil }

// TryList implements Backend.
func (m *Memory) TryList() ([]Scenario, error) { return m.List(), nil }

// TryDelete implements Backend.
func (m *Memory) TryDelete(id string) (bool, error) { return m.Delete(id), nil }

// TryClear implements Backend.
func (m *Memory) TryClear() error { m.Clear(); return nil }

// TryTake implements Backend.
func (m *Memory) TryTake(r Request) (Scenario, bool, error) {
	s, ok := m.Take(r)
	return s, ok, nil
}

// Memory is the in-process Store. Requests never take a lock: they read
// an immutable list through an atomic pointer and spend a use with a
// compare-and-swap; only the control API's changes (rare) serialise on a
// mutex and publish a new list.
type Memory struct {
	now  func() time.Time
	mu   sync.Mutex // writers only
	list atomic.Pointer[[]*entry]
	ids  atomic.Uint64
}

type entry struct {
	s         Scenario
	remaining atomic.Int64 // -1: until deleted
}

// NewMemory returns an empty in-process store.
func NewMemory() *Memory { return &Memory{now: time.Now} }

var _ Store = (*Memory)(nil)

// Add implements Store.
func (m *Memory) Add(s Scenario) Scenario {
	s.ID = "sc-" + strconv.FormatUint(m.ids.Add(1), 10)
	s.Created = m.now().UTC()
	e := &entry{s: s}
	if s.Times > 0 {
		e.remaining.Store(int64(s.Times))
	} else {
		e.remaining.Store(-1)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.current()
	next := make([]*entry, 0, len(old)+1)
	next = append(next, old...)
	next = append(next, e)
	m.list.Store(&next)
	return e.view()
}

func (m *Memory) current() []*entry {
	if p := m.list.Load(); p != nil {
		return *p
	}
	return nil
}

// List implements Store.
func (m *Memory) List() []Scenario {
	out := []Scenario{}
	for _, e := range m.current() {
		if e.remaining.Load() != 0 {
			out = append(out, e.view())
		}
	}
	return out
}

// HasFaults implements Store.
func (m *Memory) HasFaults() bool {
	for _, e := range m.current() {
		if e.s.Fault != "" && e.remaining.Load() != 0 {
			return true
		}
	}
	return false
}

// Delete implements Store.
func (m *Memory) Delete(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.removeLocked(func(e *entry) bool { return e.s.ID == id })
}

// Clear implements Store.
func (m *Memory) Clear() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.list.Store(nil)
}

// Take implements Store.
func (m *Memory) Take(r Request) (Scenario, bool) {
	list := m.current()
	for _, e := range list {
		if !e.s.Matches(r) {
			continue
		}
		left, ok := e.spend()
		if !ok {
			continue // used up by a concurrent request
		}
		if left == 0 {
			m.mu.Lock()
			m.removeLocked(func(x *entry) bool { return x == e })
			m.mu.Unlock()
		}
		out := e.s
		out.Remaining = int(left)
		return out, true
	}
	return Scenario{}, false
}

// spend takes one use: it returns the uses left (-1: unlimited), or false
// when there were none.
func (e *entry) spend() (int64, bool) {
	for {
		n := e.remaining.Load()
		switch {
		case n < 0:
			return -1, true
		case n == 0:
			return 0, false
		case e.remaining.CompareAndSwap(n, n-1):
			return n - 1, true
		}
	}
}

func (e *entry) view() Scenario {
	s := e.s
	s.Remaining = int(e.remaining.Load())
	return s
}

// removeLocked publishes the list without the entries drop selects, and
// reports whether there were any.
func (m *Memory) removeLocked(drop func(*entry) bool) bool {
	old := m.current()
	next := make([]*entry, 0, len(old))
	for _, e := range old {
		if !drop(e) {
			next = append(next, e)
		}
	}
	if len(next) == len(old) {
		return false
	}
	m.list.Store(&next)
	return true
}

// scenarioJSON is Scenario's JSON form: Delay as a Go duration string
// ("1.5s"), so that a Store can keep scenarios as JSON.
type scenarioJSON struct {
	scenarioFields
	Delay string `json:"delay,omitempty"`
}

type scenarioFields Scenario // without Scenario's methods

// MarshalJSON writes the delay as a Go duration ("1.5s").
func (s Scenario) MarshalJSON() ([]byte, error) {
	j := scenarioJSON{scenarioFields: scenarioFields(s)}
	if s.Delay > 0 {
		j.Delay = s.Delay.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Scenario) UnmarshalJSON(b []byte) error {
	var j scenarioJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = Scenario(j.scenarioFields)
	if j.Delay != "" {
		d, err := time.ParseDuration(j.Delay)
		if err != nil {
			return err
		}
		s.Delay = d
	}
	return nil
}
