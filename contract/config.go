package contract

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds each request when CONTRACT_TIMEOUT is unset.
const DefaultTimeout = 10 * time.Second

// Config is the suite's configuration, read from CONTRACT_* variables.
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
}

// String describes the configuration without any credential.
func (c Config) String() string {
	target := "the in-process mock (sessions: issued)"
	if c.BaseURL != nil {
		target = c.BaseURL.String()
	}
	tokens := "none (rules that need a valid token are skipped)"
	switch {
	case c.TokenCmd != "":
		tokens = "CONTRACT_TOKEN_CMD"
	case c.TokenURL != nil:
		tokens = "CONTRACT_TOKEN_URL " + displayURL(c.TokenURL.String())
	case c.StaticToken != "":
		tokens = "CONTRACT_TOKEN (one static token: spent by SCHEMA-001 only)"
	case c.BaseURL == nil:
		tokens = "minted by the in-process mock's control API"
	}
	spec := "embedded spec/openapi.yaml"
	if c.SpecPath != "" {
		spec = c.SpecPath
	}
	return fmt.Sprintf("target: %s; tokens: %s; timeout: %s per request; strict: %t; spec: %s", target, tokens, c.Timeout, c.Strict, spec)
}

// LoadConfig reads the CONTRACT_* variables through getenv. It reports every
// problem at once; the returned Config is usable for JUnitPath even then.
// Messages never contain the value of CONTRACT_TOKEN.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		TokenCmd:    strings.TrimSpace(getenv("CONTRACT_TOKEN_CMD")),
		StaticToken: strings.TrimSpace(getenv("CONTRACT_TOKEN")),
		Timeout:     DefaultTimeout,
		SpecPath:    strings.TrimSpace(getenv("CONTRACT_SPEC")),
		JUnitPath:   strings.TrimSpace(getenv("CONTRACT_JUNIT")),
	}
	var errs []error

	if raw := strings.TrimSpace(getenv("CONTRACT_BASE_URL")); raw != "" {
		u, err := parseBaseURL(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("CONTRACT_BASE_URL=%q: %w", displayURL(raw), err))
		}
		c.BaseURL = u
	}
	if raw := strings.TrimSpace(getenv("CONTRACT_TOKEN_URL")); raw != "" {
		u, err := url.Parse(raw)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			errs = append(errs, fmt.Errorf("CONTRACT_TOKEN_URL=%q: want an http:// or https:// URL that answers POST {\"user\": ...} with {\"token\": ...}", displayURL(raw)))
		case u.User != nil:
			errs = append(errs, fmt.Errorf("CONTRACT_TOKEN_URL=%q: must not carry user:password", displayURL(raw)))
		case c.TokenCmd != "":
			errs = append(errs, errors.New("CONTRACT_TOKEN_CMD and CONTRACT_TOKEN_URL are both set: choose one way to mint tokens"))
		default:
			c.TokenURL = u
		}
	}
	if raw := strings.TrimSpace(getenv("CONTRACT_TIMEOUT")); raw != "" {
		d, err := time.ParseDuration(raw)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("CONTRACT_TIMEOUT=%q is not a Go duration (examples: 10s, 1500ms, 1m)", raw))
		case d <= 0:
			errs = append(errs, fmt.Errorf("CONTRACT_TIMEOUT=%q must be positive", raw))
		default:
			c.Timeout = d
		}
	}
	switch raw := strings.TrimSpace(getenv("CONTRACT_STRICT")); strings.ToLower(raw) {
	case "", "0", "false", "no":
	case "1", "true", "yes":
		c.Strict = true
	default:
		errs = append(errs, fmt.Errorf("CONTRACT_STRICT=%q: use 1 (SHOULD rules fail the run) or 0", raw))
	}
	if t := c.StaticToken; t != "" {
		if strings.ContainsAny(t, " \t\r\n") {
			errs = append(errs, errors.New("CONTRACT_TOKEN contains whitespace: give the token alone, without the \"Bearer \" prefix (value not shown)"))
		} else if len(t) < MinTokenLength {
			errs = append(errs, fmt.Errorf("CONTRACT_TOKEN is shorter than %d characters, too short to be redacted reliably from reports (value not shown)", MinTokenLength))
		}
	}
	return c, errors.Join(errs...)
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
