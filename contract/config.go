package contract

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/flashback/revoke-contract/contract/internal/model"
)

// DefaultTimeout bounds each request when CONTRACT_TIMEOUT is unset.
const DefaultTimeout = 10 * time.Second

// DefaultSessionsPerUser is how many sessions a run may create for each of
// the two users when CONTRACT_SESSIONS_PER_USER is unset: what every rule
// of the catalogue needs (RULES.md lists each rule's share, 38 at most),
// and what is left for the model's generated histories (about 26).
const DefaultSessionsPerUser = 64

// Config is the suite's configuration: the CONTRACT_* variables, or the
// flags of revoke-contract that stand for them.
type Config struct {
	// BaseURL is the backend under test; nil means the in-process mock.
	BaseURL *url.URL
	// TokenCmd mints a token of a new session (run with sh -c).
	TokenCmd string
	// TokenURL mints a token of a new session with one POST (no process).
	TokenURL *url.URL
	// StaticToken is one token of primary. Never print it.
	StaticToken string
	Timeout     time.Duration
	Strict      bool
	SpecPath    string // "": the embedded spec
	JUnitPath   string // "": no extra JUnit file
	JSONPath    string // "": no JSON report
	HTMLPath    string // "": no HTML report
	// WaitFor is how long to wait for the backend to answer before the
	// first rule (services start slowly in CI); 0: try once.
	WaitFor time.Duration
	// SessionsPerUser caps the sessions the run creates for each user; a
	// rule that needs more than what is left is skipped with the reason.
	SessionsPerUser int
	// CACert, ClientCert and ClientKey are PEM files for backends behind
	// private TLS or mutual TLS.
	CACert, ClientCert, ClientKey string
	// Headers go with every request (a gateway's API key, a tenant): they
	// are secrets, redacted in every report like a token.
	Headers [][2]string
	// LabelFilter and Focus select rules (Ginkgo's label filter and focus).
	LabelFilter, Focus string

	// The model-based checker (the MODEL rules, label model).
	//
	// Seed chooses the generated history (the same seed against a backend
	// that answers the same way gives the same history); SeedRandom: the
	// user asked for "random" and Seed was drawn (the run prints it).
	Seed       uint64
	SeedRandom bool
	// Steps is the length of the generated history; 0: DefaultSteps.
	Steps int
	// DurabilityWait passes after the last step before every revoked
	// session is tried once more; 0: none (ParseConfig's default is
	// DefaultDurabilityWait).
	DurabilityWait time.Duration
	// Probe is "METHOD /path": a read-only request of the backend's own
	// whose 2xx or 401 says whether a token is live; "": none.
	Probe string
}

// DefaultSeed is the seed of the model's history when CONTRACT_SEED is
// unset: CI sees the same history on every run.
const DefaultSeed = 1

// DefaultDurabilityWait is CONTRACT_DURABILITY_WAIT's default.
const DefaultDurabilityWait = 5 * time.Second

// Setting is one configuration key as the user gave it: its value and how
// to name it in a message ("--base-url" or "CONTRACT_BASE_URL").
type Setting struct{ Value, Name string }

// LoadConfig reads the CONTRACT_* variables through getenv; see
// ParseConfig.
func LoadConfig(getenv func(string) string) (Config, error) {
	return ParseConfig(func(key string) Setting {
		return Setting{Value: getenv("CONTRACT_" + key), Name: "CONTRACT_" + key}
	})
}

// ParseConfig builds a Config from get, which answers for each key
// (BASE_URL, TOKEN_CMD, TOKEN_URL, TOKEN, TIMEOUT, STRICT, SPEC, JUNIT,
// JSON, HTML, WAIT_FOR, SESSIONS_PER_USER, CA_CERT, CLIENT_CERT, CLIENT_KEY,
// HEADERS (one "Name: value" per line), LABEL_FILTER, FOCUS). It reports
// every problem at once, each naming the setting as the user gave it; the
// returned Config is usable for its report paths even then. Messages never
// contain a token or a header value.
func ParseConfig(get func(key string) Setting) (Config, error) {
	val := func(key string) (string, string) {
		s := get(key)
		return strings.TrimSpace(s.Value), s.Name
	}
	c := Config{Timeout: DefaultTimeout, SessionsPerUser: DefaultSessionsPerUser, Seed: DefaultSeed, DurabilityWait: DefaultDurabilityWait}
	c.TokenCmd, _ = val("TOKEN_CMD")
	c.StaticToken, _ = val("TOKEN")
	c.SpecPath, _ = val("SPEC")
	c.JUnitPath, _ = val("JUNIT")
	c.JSONPath, _ = val("JSON")
	c.HTMLPath, _ = val("HTML")
	c.LabelFilter, _ = val("LABEL_FILTER")
	c.Focus, _ = val("FOCUS")
	var errs []error
	bad := func(name, raw, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s=%q: "+format, append([]any{name, raw}, args...)...))
	}

	if raw, name := val("BASE_URL"); raw != "" {
		u, err := parseBaseURL(raw)
		if err != nil {
			bad(name, displayURL(raw), "%v", err)
		}
		c.BaseURL = u
	}
	if raw, name := val("TOKEN_URL"); raw != "" {
		u, err := url.Parse(raw)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			bad(name, displayURL(raw), `want an http:// or https:// URL that answers POST {"user": ...} with {"token": ...}`)
		case u.User != nil:
			bad(name, displayURL(raw), "must not carry user:password")
		case c.TokenCmd != "":
			_, cmdName := val("TOKEN_CMD")
			errs = append(errs, fmt.Errorf("%s and %s are both set: choose one way to mint tokens", cmdName, name))
		default:
			c.TokenURL = u
		}
	}
	for _, d := range []struct {
		key      string
		to       *time.Duration
		positive bool
	}{{"TIMEOUT", &c.Timeout, true}, {"WAIT_FOR", &c.WaitFor, false}, {"DURABILITY_WAIT", &c.DurabilityWait, false}} {
		raw, name := val(d.key)
		if raw == "" {
			continue
		}
		v, err := time.ParseDuration(raw)
		switch {
		case err != nil:
			bad(name, raw, "not a Go duration (examples: 10s, 1500ms, 1m)")
		case v < 0 || d.positive && v == 0:
			bad(name, raw, "must be positive")
		default:
			*d.to = v
		}
	}
	if raw, name := val("STRICT"); raw != "" {
		switch strings.ToLower(raw) {
		case "0", "false", "no":
		case "1", "true", "yes":
			c.Strict = true
		default:
			bad(name, raw, "use 1 (SHOULD rules fail the run) or 0")
		}
	}
	if raw, name := val("SEED"); raw != "" {
		if strings.EqualFold(raw, "random") {
			var b [8]byte
			_, _ = rand.Read(b[:])
			c.Seed, c.SeedRandom = binary.BigEndian.Uint64(b[:])>>1, true
		} else if n, err := strconv.ParseUint(raw, 10, 63); err != nil {
			bad(name, raw, "want a number (0 to 2^63-1) or random")
		} else {
			c.Seed = n
		}
	}
	if raw, name := val("STEPS"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 1000000 {
			bad(name, raw, "want a number of steps from 1 to 1000000")
		} else {
			c.Steps = n
		}
	}
	if raw, name := val("PROBE"); raw != "" {
		if _, err := model.ParseProbe(raw); err != nil {
			bad(name, raw, "%v", err)
		} else {
			c.Probe = raw
		}
	}
	if raw, name := val("SESSIONS_PER_USER"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 1000 {
			bad(name, raw, "want a number of sessions from 1 to 1000")
		} else {
			c.SessionsPerUser = n
		}
	}
	if t := c.StaticToken; t != "" {
		_, name := val("TOKEN")
		if strings.ContainsAny(t, " \t\r\n") {
			errs = append(errs, fmt.Errorf("%s contains whitespace: give the token alone, without the \"Bearer \" prefix (value not shown)", name))
		} else if len(t) < MinTokenLength {
			errs = append(errs, fmt.Errorf("%s is shorter than %d characters, too short to be redacted reliably from reports (value not shown)", name, MinTokenLength))
		}
	}
	for _, key := range []string{"CA_CERT", "CLIENT_CERT", "CLIENT_KEY"} {
		if raw, name := val(key); raw != "" {
			if _, err := os.Stat(raw); err != nil {
				bad(name, raw, "%v", errors.Unwrap(err))
			}
		}
	}
	c.CACert, _ = val("CA_CERT")
	c.ClientCert, _ = val("CLIENT_CERT")
	c.ClientKey, _ = val("CLIENT_KEY")
	if (c.ClientCert == "") != (c.ClientKey == "") {
		_, certName := val("CLIENT_CERT")
		_, keyName := val("CLIENT_KEY")
		errs = append(errs, fmt.Errorf("%s and %s go together: give both or neither", certName, keyName))
	}
	if raw, name := val("HEADERS"); raw != "" {
		for _, line := range strings.Split(raw, "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			h, err := parseHeader(line)
			if err != nil {
				// The value may be a secret: only the name is quoted.
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				continue
			}
			c.Headers = append(c.Headers, h)
		}
	}
	return c, errors.Join(errs...)
}

// reservedHeaders are the suite's own: each rule sets them as it needs.
var reservedHeaders = []string{"Authorization", "Host", "Content-Length", "Transfer-Encoding", "Connection", "Content-Type", "Accept"}

// parseHeader reads "Name: value" (RFC 9110 field syntax).
func parseHeader(line string) ([2]string, error) {
	name, value, ok := strings.Cut(line, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	switch {
	case !ok || name == "":
		return [2]string{}, fmt.Errorf("want 'Name: value', got a line without a name and a colon (value not shown)")
	case !isToken(name):
		return [2]string{}, fmt.Errorf("header name %q is not an RFC 9110 token", name)
	case strings.ContainsAny(value, "\r\n\x00"):
		return [2]string{}, fmt.Errorf("header %s: the value holds a line break or NUL (value not shown)", name)
	}
	for _, r := range reservedHeaders {
		if strings.EqualFold(name, r) {
			return [2]string{}, fmt.Errorf("header %s is the suite's own: every rule sets it as the rule needs", name)
		}
	}
	return [2]string{name, value}, nil
}

// String describes the configuration without any credential.
func (c Config) String() string {
	target := "the in-process mock (sessions: issued)"
	if c.BaseURL != nil {
		target = c.BaseURL.String()
	}
	spec := "embedded spec/openapi.yaml"
	if c.SpecPath != "" {
		spec = c.SpecPath
	}
	s := fmt.Sprintf("target: %s; tokens: %s; timeout: %s per request; strict: %t; spec: %s; sessions per user: %d",
		target, c.TokenSource(), c.Timeout, c.Strict, spec, c.SessionsPerUser)
	if len(c.Headers) > 0 {
		names := make([]string, len(c.Headers))
		for i, h := range c.Headers {
			names[i] = h[0]
		}
		s += "; extra headers (values not shown): " + strings.Join(names, ", ")
	}
	return s
}

// TokenSource says where tokens come from, without a credential.
func (c Config) TokenSource() string {
	switch {
	case c.TokenCmd != "":
		return "CONTRACT_TOKEN_CMD"
	case c.TokenURL != nil:
		return "CONTRACT_TOKEN_URL " + displayURL(c.TokenURL.String())
	case c.StaticToken != "":
		return "CONTRACT_TOKEN (one static token: spent by SCHEMA-001 only)"
	case c.BaseURL == nil:
		return "minted by the in-process mock's control API"
	}
	return "none (rules that need a valid token are skipped)"
}

func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL, user:password included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("not a URL: %v", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("must start with http:// or https://")
	case u.Host == "":
		return nil, errors.New("has no host")
	case u.User != nil:
		return nil, errors.New("must not carry user:password (credentials go through CONTRACT_TOKEN_CMD)")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, errors.New("must not have a query or fragment")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// displayURL is raw without what may be a secret, for error messages: a
// user:password becomes "***" and a query or fragment "…".
func displayURL(raw string) string {
	s := raw
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			s = s[:i+3] + "***@" + rest[at+1:]
		}
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i+1] + "…"
	}
	return s
}
