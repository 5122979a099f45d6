package testkit

import (
	"bytes"
	"net/http"
	"sync"
)

// Exchange is one request a Recorder's handler served and its answer.
type Exchange struct {
	Method        string
	Path          string      // the request's URL path
	RequestHeader http.Header // a copy of the request's header
	Status        int         // 200 when the handler wrote a body without WriteHeader
	Header        http.Header // a copy of the answer's header, as the handler left it
	Body          []byte
}

// Recorder is an http.Handler that serves with Next and keeps every
// exchange, so that a test can compare what a proxy in front of it passed
// on with what the upstream really answered. Use it by address; it is safe
// for concurrent requests.
type Recorder struct {
	Next http.Handler

	mu   sync.Mutex
	seen []Exchange
}

type recordingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *recordingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}

// ServeHTTP serves req with r.Next and records the exchange once Next has
// returned.
func (r *Recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rw := &recordingWriter{ResponseWriter: w}
	r.Next.ServeHTTP(rw, req)
	ex := Exchange{Method: req.Method, Path: req.URL.Path, RequestHeader: req.Header.Clone(),
		Status: rw.status, Header: w.Header().Clone(), Body: rw.body.Bytes()}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, ex)
}

// Count is how many exchanges have been recorded.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// Last is the last exchange recorded (the zero Exchange before the first).
func (r *Recorder) Last() Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seen) == 0 {
		return Exchange{}
	}
	return r.seen[len(r.seen)-1]
}
