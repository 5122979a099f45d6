package contract

import (
	"mime"
	"strings"
)

// JSONMediaType reports whether a Content-Type value names JSON
// (application/json or application/*+json), parameters such as charset
// allowed. It returns the bare media type, lower-cased, for messages.
func JSONMediaType(contentType string) (mediaType string, ok bool) {
	if strings.TrimSpace(contentType) == "" {
		return "", false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", false
	}
	typ, sub, _ := strings.Cut(mt, "/")
	return mt, typ == "application" && (sub == "json" || strings.HasSuffix(sub, "+json"))
}

// CacheDirectives returns the lower-cased directive names of Cache-Control
// field values ("no-store", "max-age", ...).
func CacheDirectives(values []string) []string {
	var out []string
	for _, v := range values {
		for _, d := range splitOutsideQuotes(v, ',') {
			name, _, _ := strings.Cut(d, "=")
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
				out = append(out, name)
			}
		}
	}
	return out
}

// Challenge is one challenge of a WWW-Authenticate field (RFC 9110 §11.6.1).
type Challenge struct {
	Scheme  string            // as sent
	Token68 string            // when the challenge carries a token68 instead of params
	Params  map[string]string // names lower-cased, quoted values unquoted
}

// ParseChallenges parses WWW-Authenticate field values into challenges.
// It is lenient: a malformed element ends up as a scheme without params, so
// a check for "is there a Bearer challenge" still works.
func ParseChallenges(values []string) []Challenge {
	var out []Challenge
	for _, v := range values {
		for _, elem := range splitOutsideQuotes(v, ',') {
			elem = strings.TrimSpace(elem)
			if elem == "" {
				continue
			}
			// A new challenge starts with "scheme" or "scheme SP rest";
			// "name=value" continues the current one.
			first, rest, hasRest := strings.Cut(elem, " ")
			if !strings.Contains(first, "=") && isToken(first) {
				c := Challenge{Scheme: first, Params: map[string]string{}}
				if hasRest {
					rest = strings.TrimSpace(rest)
					if name, val, ok := param(rest); ok {
						c.Params[name] = val
					} else {
						c.Token68 = rest
					}
				}
				out = append(out, c)
				continue
			}
			if len(out) == 0 {
				continue
			}
			if name, val, ok := param(elem); ok {
				out[len(out)-1].Params[name] = val
			}
		}
	}
	return out
}

func param(s string) (name, value string, ok bool) {
	name, value, ok = strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || !isToken(name) {
		return "", "", false
	}
	value = strings.TrimSpace(value)
	if strings.HasPrefix(value, `"`) {
		if len(value) < 2 || !strings.HasSuffix(value, `"`) {
			return "", "", false
		}
		value = value[1 : len(value)-1]
		value = strings.ReplaceAll(value, `\"`, `"`)
		value = strings.ReplaceAll(value, `\\`, `\`)
	} else if strings.Trim(value, "=") == "" || !isToken(strings.TrimRight(value, "=")) {
		// "a=" is a token68 ending in "=", not a param with an empty value.
		return "", "", false
	}
	return strings.ToLower(name), value, true
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// splitOutsideQuotes splits s at sep where sep is not inside a quoted string.
func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	start, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == sep && !inQuote:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
