// Package redact keeps credentials out of everything the suite records and
// prints: it knows every token of the run and replaces each occurrence
// with a placeholder.
package redact

import (
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Placeholder replaces every credential in anything the suite records.
const Placeholder = "$TOKEN"

// MinTokenLength is the shortest token the suite accepts: shorter values
// could not be redacted without garbling unrelated text.
const MinTokenLength = 8

// Redactor knows every token handed out during the run and replaces each
// occurrence (raw, URL-encoded or JSON-escaped) with Placeholder. Safe for concurrent use.
type Redactor struct {
	mu    sync.RWMutex
	forms []string // longest first, so a token that contains another is replaced whole
}

// Add registers a token. Tokens shorter than MinTokenLength are ignored.
func (r *Redactor) Add(token string) {
	if len(token) < MinTokenLength {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range Forms(token) {
		if !slices.Contains(r.forms, f) {
			r.forms = append(r.forms, f)
		}
	}
	sort.SliceStable(r.forms, func(i, j int) bool { return len(r.forms[i]) > len(r.forms[j]) })
}

// Forms are the ways a token shows up in a request or an answer: raw,
// URL-encoded, and with "/" escaped as JSON encoders such as PHP's write it.
func Forms(token string) []string {
	return []string{token, url.QueryEscape(token), url.PathEscape(token), strings.ReplaceAll(token, "/", `\/`)}
}

// Redact returns s with every registered token replaced.
func (r *Redactor) Redact(s string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, f := range r.forms {
		if strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, Placeholder)
		}
	}
	return s
}
