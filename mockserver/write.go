package mockserver

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// The write stage: the one place where a chosen answer, the mock's own
// problem or a halt becomes bytes.

// Header values shared by every answer; net/http only reads them.
var noStore = []string{"no-store"}

// write sends the chosen documented answer, with the headers the choice
// adds (Preference-Applied, a 401's challenge).
func (s *Server) write(w http.ResponseWriter, c *choice) {
	h := w.Header()
	if c.applied != "" {
		h.Set("Preference-Applied", c.applied)
	}
	if c.challenge != "" {
		h.Set("WWW-Authenticate", c.challenge)
	}
	writeAnswer(w, c.answer, c.example)
}

// writeAnswer writes a documented answer. Headers are assigned as canonical
// keys with precomputed values: this runs on every request.
func writeAnswer(w http.ResponseWriter, a *answer, ex example) {
	writeHeaders(w, a, ex)
	_, _ = w.Write(ex.body)
}

// writeHeaders writes a documented answer's status and headers.
func writeHeaders(w http.ResponseWriter, a *answer, ex example) {
	h := w.Header()
	// Only the CORS header of a request without an Origin came before: the
	// answer's headers are then the same on every such answer, and so is
	// their text in the journal (record takes it from the example unless
	// the headers changed in number after this).
	plain := len(h) == 1 && isVaryOrigin(h["Vary"])
	for _, hv := range a.headers {
		h[hv.name] = hv.value
	}
	if a.contentTypeValue != nil {
		h["Content-Type"] = a.contentTypeValue
	}
	h["Content-Length"] = ex.contentLength
	h["Cache-Control"] = noStore
	if plain && ex.journalText != nil {
		if rec, ok := w.(*recorder); ok {
			rec.answerText, rec.answerFields = ex.journalText, len(h)
		}
	}
	w.WriteHeader(a.status)
}

// isVaryOrigin reports whether v is the Vary value CORS sets on every
// answer (the shared slice itself).
func isVaryOrigin(v []string) bool { return len(v) == 1 && &v[0] == &varyOrigin[0] }

// writeHalt writes what a stage decided instead of the pipeline's answer.
func writeHalt(w http.ResponseWriter, h *halt) {
	decide(w, h.decision)
	hdr := w.Header()
	for _, kv := range h.header {
		hdr.Set(kv[0], kv[1])
	}
	switch {
	case h.answer != nil:
		writeAnswer(w, h.answer, h.example)
	case h.problem != nil:
		writeProblem(w, *h.problem)
	default:
		w.WriteHeader(h.status)
	}
}

// writeProblem writes one of the mock's own errors (RFC 9457).
func writeProblem(w http.ResponseWriter, p Problem) {
	body, err := json.Marshal(p)
	if err != nil { // cannot happen with these field types
		body = []byte(`{"type":"` + problemInternal + `","title":"Internal error","status":500}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h["Cache-Control"] = noStore
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// writeJSON writes one of the control API's answers.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h["Cache-Control"] = noStore
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
