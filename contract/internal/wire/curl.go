package wire

import (
	"fmt"
	"regexp"
	"strings"

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

// liveExpansion matches what a reproducer leaves for the shell to expand:
// the placeholders of redacted secrets ($TOKEN, and $HEADER_X_API_KEY for
// an extra header's value), the bash expansions of $TOKEN that stand for
// credentials made from it (${TOKEN}A, ${TOKEN%?}, ${TOKEN%%=*}, ${TOKEN:0:21},
// ${TOKEN~~}, ${TOKEN:0:42}Q${TOKEN:43}) and the
// $(head -c N /dev/zero | tr '\0' c) that abbreviate writes. Any other $ is
// literal.
var liveExpansion = regexp.MustCompile(`\$TOKEN\b|\$\{TOKEN(?::[0-9]+(?::[0-9]+)?|%\?|%%=\*|~~)?\}|\$HEADER_[A-Z0-9_]+|\$\(head -c [0-9]+ /dev/zero \| tr '\\0' [a-z]\)`)

// ShellQuote quotes s for a reproducer: the live expansions stay live
// inside double quotes; everything else is literal (shell.Quote).
func ShellQuote(s string) string {
	spans := liveExpansion.FindAllStringIndex(s, -1)
	if spans == nil {
		return shell.Quote(s)
	}
	if rest := liveExpansion.ReplaceAllString(s, ""); !strings.ContainsAny(rest, "\"\\$`!") && !shell.HasControl(rest) {
		return `"` + s + `"`
	}
	// Mixed content: literal parts single-quoted, expansions double-quoted.
	var b strings.Builder
	at := 0
	for _, sp := range spans {
		if sp[0] > at {
			b.WriteString(shell.Quote(s[at:sp[0]]))
		}
		b.WriteString(`"` + s[sp[0]:sp[1]] + `"`)
		at = sp[1]
	}
	if at < len(s) {
		b.WriteString(shell.Quote(s[at:]))
	}
	return b.String()
}
