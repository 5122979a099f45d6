package wire

import (
	"fmt"
	"strings"

	"github.com/flashback/revoke-contract/contract/internal/redact"
	"github.com/flashback/revoke-contract/internal/shell"
)

// CurlRequest is what a reproducer needs; every field is already redacted.
type CurlRequest struct {
	Method    string
	URL       string
	Header    [][2]string
	Body      []byte // nil when BodyShell is set or there is no body
	BodyShell string // a shell command that prints the body (large bodies)
	Chunked   bool
}

// CurlLine renders a curl command that reproduces r. Credentials appear as
// $TOKEN (double-quoted so the shell expands a variable the reader sets);
// control characters use $'...' (bash, zsh, ksh).
func CurlLine(r CurlRequest) string {
	var b strings.Builder
	if r.BodyShell != "" {
		b.WriteString(r.BodyShell)
		b.WriteString(" | ")
	}
	b.WriteString("curl -i")
	switch r.Method {
	case "HEAD":
		b.WriteString(" -I")
	case "GET":
	default:
		b.WriteString(" -X " + r.Method)
	}
	if needsPathAsIs(r.URL) {
		b.WriteString(" --path-as-is")
	}
	b.WriteString(" " + ShellQuote(r.URL))
	for _, h := range r.Header {
		v := h[1]
		if v == "" {
			// curl drops "Name:" headers; "Name;" sends an empty value.
			b.WriteString(" -H " + ShellQuote(h[0]+";"))
			continue
		}
		b.WriteString(" -H " + ShellQuote(h[0]+": "+abbreviate(v)))
	}
	if r.Chunked {
		b.WriteString(" -H 'Transfer-Encoding: chunked'")
	}
	switch {
	case r.BodyShell != "":
		b.WriteString(" --data-binary @-")
	case r.Body != nil:
		b.WriteString(" --data-binary " + ShellQuote(string(r.Body)))
	}
	return b.String()
}

// abbreviate renders a long run of one character (an 8 KiB token or header)
// as a shell expansion, so the line stays readable and exact.
func abbreviate(v string) string {
	const min = 256
	for i := 0; i < len(v); i++ {
		rest := v[i:]
		if len(rest) < min {
			break
		}
		c := rest[0]
		if strings.Count(rest, string(c)) == len(rest) && c >= 'a' && c <= 'z' {
			return v[:i] + fmt.Sprintf("$(head -c %d /dev/zero | tr '\\0' %c)", len(rest), c)
		}
		if i > 64 {
			break
		}
	}
	return v
}

func needsPathAsIs(u string) bool {
	rest := u
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	return strings.Contains(rest, "//") || strings.Contains(rest, "/./") || strings.Contains(rest, "/../") ||
		strings.HasSuffix(rest, "/.") || strings.HasSuffix(rest, "/..")
}

// ShellQuote quotes s for a reproducer: $TOKEN and the $(...) expansions
// made by abbreviate stay live inside double quotes; everything else is
// literal (shell.Quote).
func ShellQuote(s string) string {
	live := strings.Contains(s, redact.Placeholder) || strings.Contains(s, "$(head -c ")
	if !live {
		return shell.Quote(s)
	}
	if canDoubleQuote(s) && !shell.HasControl(s) {
		return `"` + s + `"`
	}
	// Mixed content: literal parts single-quoted, expansions double-quoted.
	var b strings.Builder
	for s != "" {
		i := strings.Index(s, redact.Placeholder)
		j := strings.Index(s, "$(head -c ")
		next, length := -1, 0
		switch {
		case i >= 0 && (j < 0 || i < j):
			next, length = i, len(redact.Placeholder)
		case j >= 0:
			next = j
			length = strings.Index(s[j:], ")") + 1
		}
		if next < 0 {
			b.WriteString(shell.Quote(s))
			break
		}
		if next > 0 {
			b.WriteString(shell.Quote(s[:next]))
		}
		b.WriteString(`"` + s[next:next+length] + `"`)
		s = s[next+length:]
	}
	return b.String()
}

// canDoubleQuote: inside "...", only our own expansions may be special.
func canDoubleQuote(s string) bool {
	rest := strings.ReplaceAll(s, redact.Placeholder, "")
	for {
		j := strings.Index(rest, "$(head -c ")
		if j < 0 {
			break
		}
		k := strings.Index(rest[j:], ")")
		rest = rest[:j] + rest[j+k+1:]
	}
	return !strings.ContainsAny(rest, "\"\\$`!")
}
