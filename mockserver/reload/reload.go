// Package reload lets the mock serve a spec that changes on disk
// (revoke-mock --watch): Handler serves the latest of a series of handlers
// (requests in flight finish on the one they started with), Watch polls a
// file and hands each new content to a loader, and Status says what is
// being served and what went wrong last. It depends on the standard
// library alone, so its concurrency is tested with the race detector.
package reload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

// Handler serves the latest handler given to it. Safe for concurrent use.
type Handler struct {
	cur atomic.Pointer[holder]
}

type holder struct{ h http.Handler }

// NewHandler serves h until the first Swap.
func NewHandler(h http.Handler) *Handler {
	r := &Handler{}
	r.Swap(h)
	return r
}

// Swap serves h from the next request on.
func (r *Handler) Swap(h http.Handler) { r.cur.Store(&holder{h}) }

func (r *Handler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.cur.Load().h.ServeHTTP(w, req)
}

// State is what GET /__mock/health reports of the spec.
type State struct {
	Source      string     `json:"source"`
	SHA256      string     `json:"sha256"`
	LoadedAt    time.Time  `json:"loadedAt"`
	Watching    bool       `json:"watching"`
	LastError   string     `json:"lastError,omitempty"`
	LastErrorAt *time.Time `json:"lastErrorAt,omitempty"`
}

// Hash is the content hash State reports: hex SHA-256.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Status holds the current State. Safe for concurrent use.
type Status struct {
	cur atomic.Pointer[State]
}

// NewStatus starts at s.
func NewStatus(s State) *Status {
	st := &Status{}
	st.cur.Store(&s)
	return st
}

// Get returns the current State.
func (s *Status) Get() State { return *s.cur.Load() }

// Loaded records a successful (re)load of data; the last error stays
// reported until then, and is cleared by it.
func (s *Status) Loaded(source string, data []byte, at time.Time) {
	old := s.Get()
	s.cur.Store(&State{Source: source, SHA256: Hash(data), LoadedAt: at, Watching: old.Watching})
}

// Failed records a refused reload: the last good spec is still served.
func (s *Status) Failed(err error, at time.Time) {
	next := s.Get()
	next.LastError, next.LastErrorAt = err.Error(), &at
	s.cur.Store(&next)
}

// Watch polls path every interval until ctx is done, and calls load with
// the file's content whenever it differs from the last content seen
// (initially, the content hashed as initial). The path is read each time,
// not an open file, so an editor that saves by writing a new file and
// renaming it over the old one is seen like any other. A file that cannot
// be read (between a delete and a rename) is tried again at the next tick.
// load's error is recorded in status; a nil error records the new content
// as loaded.
func Watch(ctx context.Context, path string, interval time.Duration, initial string, status *Status, load func(data []byte) error) {
	last := initial
	var lastInfo os.FileInfo
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		info, err := os.Stat(path)
		if err != nil {
			continue
		}
		if lastInfo != nil && info.ModTime().Equal(lastInfo.ModTime()) && info.Size() == lastInfo.Size() && os.SameFile(info, lastInfo) {
			continue // cheap: no read while nothing changed
		}
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		lastInfo = info
		h := Hash(data)
		if h == last {
			continue
		}
		last = h
		now := time.Now()
		if err := load(data); err != nil {
			status.Failed(err, now)
			continue
		}
		status.Loaded(path, data, now)
	}
}
