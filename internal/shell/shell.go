// Package shell quotes words for a POSIX shell (bash for control
// characters), for the commands the project writes: token commands, curl
// reproducers, commands printed in reports.
package shell

import (
	"fmt"
	"strings"
)

// Quote returns s as one literal shell word: as is when it is plain, else
// single-quoted; control characters (a tab in a header) use bash's $'...'
// so they stay visible and exact.
func Quote(s string) string {
	switch {
	case s == "":
		return "''"
	case isPlainWord(s):
		return s
	case !HasControl(s):
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\n':
			b.WriteString(`\n`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteString("'")
	return b.String()
}

func isPlainWord(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./:=@%+,", c)) {
			return false
		}
	}
	return true
}

// HasControl reports whether s holds an ASCII control character.
func HasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0
}
