// Package journal keeps the mock's request journal (GET /__mock/requests):
// the most recent requests to the spec's paths, what decided each answer,
// and never a credential. It depends on the standard library alone, so its
// concurrency is tested with the race detector at little cost.
//
// Store is what the mock needs; Ring is the in-process implementation, a
// fixed ring that requests write without a lock they all share.
package journal

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Header is one request header as the journal keeps it: credentials
// reduced to their scheme and a fingerprint (see Redactor).
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Entry is one request.
type Entry struct {
	Seq    uint64    `json:"seq"` // increasing: a later request has a larger one
	Time   time.Time `json:"time"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Query  string    `json:"query,omitempty"` // secrets redacted
	// Headers are the request's headers, "Name: value" lines sorted by
	// name, secrets redacted (Redactor.AppendHeaders); one string rather
	// than a slice so that recording a request allocates little.
	// HeaderList splits them.
	Headers   string        `json:"headers"`
	BodyBytes int64         `json:"bodyBytes"`
	Status    int           `json:"status"`
	Operation string        `json:"operation,omitempty"` // METHOD path-template, or the operationId
	Decision  string        `json:"decision"`            // the example, scenario or auth rule that decided
	Scenario  string        `json:"scenario,omitempty"`  // the ID of the scenario that decided
	Duration  time.Duration `json:"-"`
	User      string        `json:"user,omitempty"` // the session's user, when known
	// ResponseHeaders are the answer's headers as the handler set them
	// (net/http adds Date and, for a body it sizes, Content-Length),
	// redacted and laid out like Headers; ResponseBytes is the size of
	// the answer's body as written.
	ResponseHeaders string `json:"responseHeaders"`
	ResponseBytes   int64  `json:"responseBytes"`
	// Violations are what the validating proxy found wrong with the
	// request or the upstream's answer (revoke-mock proxy); secrets redacted.
	Violations []Violation `json:"violations,omitempty"`
	// UpstreamStatus is the status the upstream answered, when the proxy
	// replaced it (--errors) or got none (0).
	UpstreamStatus int `json:"upstreamStatus,omitempty"`
}

// Violation is one way a request or an answer breaks the contract, in the
// shape of Prism's sl-violations header.
type Violation struct {
	Source   string   `json:"source"`   // "request" or "response"
	Location []string `json:"location"` // such as ["response", "body", "success"]
	Message  string   `json:"message"`
}

// HeaderList splits e.Headers into name and value.
func (e *Entry) HeaderList() []Header { return splitHeaders(e.Headers) }

// ResponseHeaderList splits e.ResponseHeaders into name and value.
func (e *Entry) ResponseHeaderList() []Header { return splitHeaders(e.ResponseHeaders) }

func splitHeaders(rest string) []Header {
	out := []Header{}
	for rest != "" {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		name, value, _ := strings.Cut(line, ": ")
		out = append(out, Header{Name: name, Value: value})
	}
	return out
}

// Filter selects entries; zero fields select everything.
type Filter struct {
	Method    string // exact, upper case
	Path      string // exact
	Operation string // exact
	Status    int
	Since     time.Time // entries at or after
	Limit     int       // at most this many, newest first; 0: all
}

func (f Filter) keeps(e *Entry) bool {
	return (f.Method == "" || e.Method == f.Method) &&
		(f.Path == "" || e.Path == f.Path) &&
		(f.Operation == "" || e.Operation == f.Operation) &&
		(f.Status == 0 || e.Status == f.Status) &&
		(f.Since.IsZero() || !e.Time.Before(f.Since))
}

// Store keeps entries. Every method is safe for concurrent use.
type Store interface {
	// Add records e; its Seq is assigned by the store.
	Add(e Entry)
	// List returns the kept entries that f selects, newest first.
	List(f Filter) []Entry
	// Clear forgets every entry.
	Clear()
}

// Backend is Store with errors: what the mock calls. A shared journal (in
// Redis: package redisstore) can fail; Ring implements it and never fails.
type Backend interface {
	TryAdd(e Entry) error
	TryList(f Filter) ([]Entry, error)
	TryClear() error
}

var _ Backend = (*Ring)(nil)

// TryAdd implements Backend.
func (r *Ring) TryAdd(e Entry) error { r.Add(e); return nil }

// TryList implements Backend.
func (r *Ring) TryList(f Filter) ([]Entry, error) { return r.List(f), nil }

// TryClear implements Backend.
func (r *Ring) TryClear() error { r.Clear(); return nil }

// Keeps reports whether f selects e (shared journals filter with it).
func (f Filter) Keeps(e *Entry) bool { return f.keeps(e) }

// Ring keeps the last Size entries, by value: recording a request
// allocates nothing here (an entry on the heap per request was a third of
// the journal's cost, and garbage for the collector). The slots come in
// chunks, made as the entries recorded reach them, so a large
// --journal-size costs memory only once it fills. Memory is bounded by the
// size, whatever the run's length.
//
// There is no lock shared by every request: Add takes the next sequence
// number with one atomic add, and locks only the slot that number falls
// in (a lock every request took was a cache line that moved between the
// cores on every request); List locks one slot at a time while it copies
// it, so requests never wait for a whole pass over the journal.
type Ring struct {
	size   int
	chunks []atomic.Pointer[[]slot] // ringChunk slots each, made on first use
	next   atomic.Uint64            // the last sequence number handed out
	floor  atomic.Uint64            // entries with Seq <= floor were cleared
}

// ringChunk is how many slots are made at a time.
const ringChunk = 128

type slot struct {
	mu sync.Mutex
	e  Entry // e.Seq 0: never written
}

var _ Store = (*Ring)(nil)

// NewRing keeps the last size entries (size < 1 is 1).
func NewRing(size int) *Ring {
	size = max(size, 1)
	return &Ring{size: size, chunks: make([]atomic.Pointer[[]slot], (size+ringChunk-1)/ringChunk)}
}

// Size is how many entries the ring keeps.
func (r *Ring) Size() int { return r.size }

// chunk returns chunk i, making it if no one has.
func (r *Ring) chunk(i int) []slot {
	if c := r.chunks[i].Load(); c != nil {
		return *c
	}
	c := make([]slot, min(ringChunk, r.size-i*ringChunk))
	if r.chunks[i].CompareAndSwap(nil, &c) {
		return c
	}
	return *r.chunks[i].Load()
}

// Add implements Store.
func (r *Ring) Add(e Entry) {
	e.Seq = r.next.Add(1)
	i := int((e.Seq - 1) % uint64(r.size))
	s := &r.chunk(i / ringChunk)[i%ringChunk]
	s.mu.Lock()
	if s.e.Seq < e.Seq { // a writer that took its number a whole ring ago is late: the newer entry stays
		s.e = e
	}
	s.mu.Unlock()
}

// List implements Store.
func (r *Ring) List(f Filter) []Entry {
	out := []Entry{}
	floor := r.floor.Load()
	for i := range r.chunks {
		c := r.chunks[i].Load()
		if c == nil {
			continue
		}
		for j := range *c {
			s := &(*c)[j]
			s.mu.Lock()
			if s.e.Seq > floor && f.keeps(&s.e) {
				out = append(out, s.e)
			}
			s.mu.Unlock()
		}
	}
	slices.SortFunc(out, func(a, b Entry) int {
		switch {
		case a.Seq > b.Seq:
			return -1
		case a.Seq < b.Seq:
			return 1
		}
		return 0
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out
}

// Clear implements Store: every entry recorded so far is hidden, and
// overwritten as new ones come.
func (r *Ring) Clear() {
	for {
		floor, next := r.floor.Load(), r.next.Load()
		if floor >= next || r.floor.CompareAndSwap(floor, next) {
			return
		}
	}
}
