// Package mockserver is a spec-driven mock of the Flashback sessions API:
// an http.Handler that routes, authenticates, validates and answers every
// operation of an OpenAPI document, and keeps sessions so that revoke-all
// really revokes.
package mockserver

import (
	"errors"
	"net/http"
)

// Server is the mock. Build it with New; it is safe for concurrent use.
type Server struct {
	opts Options
}

// New builds a mock from opts.
func New(opts Options) (*Server, error) {
	return nil, errors.New("not implemented yet")
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not implemented yet", http.StatusNotImplemented)
}

// Mint creates a new session (a new device) of user and returns its token.
func (s *Server) Mint(user string) (string, error) { return "", errors.New("not implemented yet") }

// Reset forgets every session and revocation, then re-seeds.
func (s *Server) Reset() {}
