// Package redact keeps credentials out of everything the suite records and
// prints: it knows every token of the run and replaces each occurrence
// with a placeholder.
package redact

import (
	"encoding/json"
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
// URL-encoded (query and path), JSON-escaped (as encoding/json writes it,
// with and without HTML escaping), and each with "/" escaped as JSON
// encoders such as PHP's write it. No form is listed twice.
func Forms(token string) []string {
	forms := []string{token, url.QueryEscape(token), url.PathEscape(token), strings.ReplaceAll(token, "/", `\/`)}
	for _, escapeHTML := range []bool{true, false} {
		j := jsonEscaped(token, escapeHTML)
		forms = append(forms, j, strings.ReplaceAll(j, "/", `\/`))
	}
	out := forms[:0]
	for _, f := range forms {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// jsonEscaped is s as encoding/json writes it inside a string, without the
// quotes: `"`, `\` and control characters escaped, invalid UTF-8 as
// \ufffd, and <, > and & as \u003c... when escapeHTML.
func jsonEscaped(s string, escapeHTML bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	if enc.Encode(s) != nil { // cannot fail for a string
		return s
	}
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// maxGrowingPasses bounds the passes of Redact that do not shrink the text
// (a placeholder longer than the secret it replaces).
const maxGrowingPasses = 8

// Redact returns s with every registered secret replaced. Replacing one
// occurrence can complete another around the placeholder ("x" + "x$TOKENx"
// + "x" becomes "x$TOKENx" again), so it repeats until no secret is left.
// A pass that replaces $TOKEN (shorter than any secret) shrinks the text,
// so this ends; passes that do not shrink it are bounded.
func (r *Redactor) Redact(s string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for growing := 0; growing < maxGrowingPasses; {
		before, changed := len(s), false
		for _, f := range r.forms {
			if strings.Contains(s, f.text) {
				s = strings.ReplaceAll(s, f.text, f.placeholder)
				changed = true
			}
		}
		if !changed {
			break
		}
		if len(s) >= before {
			growing++
		}
	}
	return s
}
