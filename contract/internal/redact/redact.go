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

// Redactor knows every secret of the run (the tokens handed out, the
// values of extra headers) and replaces each occurrence (raw, URL-encoded
// or JSON-escaped) with its placeholder. Safe for concurrent use.
type Redactor struct {
	mu    sync.RWMutex
	forms []form // longest first, so a secret that contains another is replaced whole
}

type form struct{ text, placeholder string }

// Add registers a token, replaced by Placeholder. Tokens shorter than
// MinTokenLength are ignored.
func (r *Redactor) Add(token string) { r.AddSecret(token, Placeholder) }

// AddSecret registers a secret replaced by placeholder (such as
// $HEADER_X_API_KEY). Secrets shorter than MinTokenLength are ignored:
// replacing them would garble unrelated text.
func (r *Redactor) AddSecret(secret, placeholder string) {
	if len(secret) < MinTokenLength {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range Forms(secret) {
		if !slices.ContainsFunc(r.forms, func(x form) bool { return x.text == f }) {
			r.forms = append(r.forms, form{f, placeholder})
		}
	}
	sort.SliceStable(r.forms, func(i, j int) bool { return len(r.forms[i].text) > len(r.forms[j].text) })
}

// HeaderPlaceholder is what the value of the extra header name becomes in
// every report: $HEADER_ and the name in upper case, "-" as "_".
func HeaderPlaceholder(name string) string {
	b := []byte("$HEADER_")
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z':
			b = append(b, c-'a'+'A')
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			b = append(b, c)
		default:
			b = append(b, '_')
		}
	}
	return string(b)
}

// Forms are the ways a token shows up in a request or an answer: raw,
// URL-encoded, and with "/" escaped as JSON encoders such as PHP's write it.
func Forms(token string) []string {
	return []string{token, url.QueryEscape(token), url.PathEscape(token), strings.ReplaceAll(token, "/", `\/`)}
}

// Redact returns s with every registered secret replaced.
func (r *Redactor) Redact(s string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, f := range r.forms {
		if strings.Contains(s, f.text) {
			s = strings.ReplaceAll(s, f.text, f.placeholder)
		}
	}
	return s
}
