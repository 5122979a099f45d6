package contract

import (
	"fmt"

	"github.com/flashback/revoke-contract/contract/internal/model"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"
)

// ExcerptBytes bounds the body excerpts in reports.
const ExcerptBytes = 300

// relevantHeaders are shown in reports when present.
var relevantHeaders = []string{
	"Content-Type", "Content-Length", "WWW-Authenticate", "Cache-Control", "Allow",
	"Location", "Preference-Applied", "Set-Cookie",
}

// maxShown bounds the violations rendered in one report.
const maxShown = 8

// Violation is one way a rule was broken, with the exchange that shows it
// (nil when the rule broke without one, such as a failed cross-check).
type Violation struct {
	What     string
	Exchange *Exchange
	// History is the shrunk generated history that shows a MODEL rule's
	// violation; nil for the other rules.
	History *History
}

// History is a generated history of the model-based checker, as
// reported: numbered shell lines (tokens as $TOKEN_n), the seed and the
// command that runs the same exploration again.
type History struct {
	Seed       uint64
	Steps      int // the shrunk history's length
	FromSteps  int // the history's length before shrinking
	Reproduced bool
	Lines      []model.Line
	Script     string // the lines as one bash script
	Replay     string
}

// Render writes a report a person can act on: rule, level and requirement,
// then for each violation what was sent, what came back and a reproducer.
// Everything in it is already redacted.
func Render(rule Rule, outcome Outcome, vs []Violation) string {
	var b strings.Builder
	verdict := "FAILED"
	if outcome == OutcomeFinding {
		verdict = "FINDING (SHOULD rule, not strict: the run still passes)"
	}
	fmt.Fprintf(&b, "[%s] %s %s: %d violation(s)\n", rule.ID, rule.Level, verdict, len(vs))
	fmt.Fprintf(&b, "  requirement: %s\n  source:      %s\n", rule.Requirement, rule.Source)
	for i, v := range vs {
		if i == maxShown {
			fmt.Fprintf(&b, "\n  … and %d more violation(s) of the same rule\n", len(vs)-maxShown)
			break
		}
		fmt.Fprintf(&b, "\n  #%d %s\n", i+1, v.What)
		if v.Exchange != nil {
			b.WriteString(DescribeExchange(v.Exchange, "     "))
		}
	}
	return b.String()
}

// DescribeExchange renders one exchange, indented.
func DescribeExchange(ex *Exchange, indent string) string {
	var b strings.Builder
	if ex.Name != "" {
		fmt.Fprintf(&b, "%scase:      %s\n", indent, ex.Name)
	}
	if ex.Rule != "" {
		fmt.Fprintf(&b, "%ssent by:   %s (request #%d of the run)\n", indent, ex.Rule, ex.Seq)
	}
	fmt.Fprintf(&b, "%ssent:      %s %s\n", indent, ex.Method, ex.URL)
	for _, h := range ex.Header {
		fmt.Fprintf(&b, "%s           %s: %s\n", indent, h[0], shorten(h[1], 120))
	}
	switch {
	case ex.BodyShell != "":
		fmt.Fprintf(&b, "%s           body: %d bytes (%s)\n", indent, ex.BodyLen, ex.BodyShell)
	case ex.Body != nil:
		fmt.Fprintf(&b, "%s           body: %s\n", indent, Excerpt(ex.Body))
	}
	if ex.Chunked {
		fmt.Fprintf(&b, "%s           (Transfer-Encoding: chunked)\n", indent)
	}
	if ex.Status != 0 {
		fmt.Fprintf(&b, "%sreceived:  %d %s (after %s)\n", indent, ex.Status, ex.StatusText, ex.Elapsed)
		for _, k := range shownHeaders(ex.RespHeader) {
			for _, v := range ex.RespHeader[k] {
				if http.CanonicalHeaderKey(k) == "Set-Cookie" {
					v = maskCookie(v)
				}
				fmt.Fprintf(&b, "%s           %s: %s\n", indent, k, shorten(v, 200))
			}
		}
		fmt.Fprintf(&b, "%s           body (%d bytes): %s\n", indent, ex.RespBodyLen, Excerpt(ex.RespBody))
	}
	if ex.Err != "" {
		fmt.Fprintf(&b, "%serror:     %s\n", indent, ex.Err)
	}
	if len(ex.Echoes) > 0 {
		fmt.Fprintf(&b, "%secho:      the credential sent came back in: %s (shown as $TOKEN)\n", indent, strings.Join(ex.Echoes, ", "))
	}
	fmt.Fprintf(&b, "%sreproduce: %s\n", indent, ex.Curl())
	return b.String()
}

// shownHeaders: the relevant ones, plus any header that carries a token.
func shownHeaders(h http.Header) []string {
	var keys []string
	for k, vs := range h {
		show := false
		for _, r := range relevantHeaders {
			if http.CanonicalHeaderKey(k) == r {
				show = true
			}
		}
		for _, v := range vs {
			if strings.Contains(v, Placeholder) || strings.Contains(k, Placeholder) {
				show = true
			}
		}
		if show {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// Excerpt renders at most ExcerptBytes of a body, quoted, on one line.
func Excerpt(body []byte) string {
	if len(body) == 0 {
		return "(empty)"
	}
	s := body
	cut := false
	if len(s) > ExcerptBytes {
		s, cut = s[:ExcerptBytes], true
		for i := 0; i < utf8.UTFMax-1; i++ { // do not split a UTF-8 sequence
			if r, size := utf8.DecodeLastRune(s); r != utf8.RuneError || size != 1 {
				break
			}
			s = s[:len(s)-1]
		}
	}
	out := fmt.Sprintf("%q", s)
	if cut {
		out += fmt.Sprintf(" … (%d more bytes)", len(body)-len(s))
	}
	return out
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("… (%d bytes)", len(s))
}

// maskCookie hides a cookie's value: the backend's own session cookies are
// credentials too. "sid=abc; Path=/" -> "sid=<5 bytes, not shown>; Path=/".
func maskCookie(v string) string {
	pair, attrs, _ := strings.Cut(v, ";")
	name, value, _ := strings.Cut(pair, "=")
	out := fmt.Sprintf("%s=<%d bytes, not shown>", strings.TrimSpace(name), len(strings.TrimSpace(value)))
	if attrs != "" {
		out += ";" + attrs
	}
	return out
}
