// Package controlclient talks to the mock's control API from outside: it
// mints sessions (POST /__mock/sessions). It depends on net/http alone, so
// a program that only needs a token does not start the mock's OpenAPI
// libraries.
package controlclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// SessionsPath is the control endpoint that mints sessions.
const SessionsPath = "/__mock/sessions"

// Mint creates a new session (a new device) of user at the mock at baseURL
// and returns its token. Errors never contain a token.
func Mint(ctx context.Context, client *http.Client, baseURL, user string) (string, error) {
	return MintAt(ctx, client, strings.TrimRight(baseURL, "/")+SessionsPath, user)
}

// MintAt asks the endpoint at url for a new session of user: POST
// {"user": user}, answered 200 or 201 with a JSON object whose "token" is
// the new session's token (as the mock's POST /__mock/sessions does). The
// answer's body is quoted in an error only when it has no token.
func MintAt(ctx context.Context, client *http.Client, url, user string) (string, error) {
	body, err := json.Marshal(map[string]string{"user": user})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("minting a session of %s: %w", user, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("minting a session of %s: %w", user, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("minting a session of %s: reading the answer: %w", user, err)
	}
	var out struct {
		Token string `json:"token"`
	}
	tokenErr := json.Unmarshal(data, &out)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		if tokenErr == nil && out.Token != "" {
			data = []byte("(a body with a token, not shown)")
		}
		return "", &StatusError{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After"),
			msg: fmt.Sprintf("minting a session of %s: POST answered %s, want 200 or 201: %s", user, resp.Status, shorten(bytes.TrimSpace(data)))}
	}
	if tokenErr != nil || out.Token == "" {
		return "", fmt.Errorf("minting a session of %s: POST answered %d without a JSON \"token\"", user, resp.StatusCode)
	}
	return out.Token, nil
}

// StatusError is an answer other than 200 or 201 to a mint.
type StatusError struct {
	Status     int
	RetryAfter string // the answer's Retry-After, if any
	msg        string
}

func (e *StatusError) Error() string { return e.msg }

func shorten(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// Client calls the mock's control API (scenarios, the journal, reset).
type Client struct {
	HTTP    *http.Client // nil: http.DefaultClient
	BaseURL string       // such as http://127.0.0.1:4010
	// ControlToken is sent as "Authorization: Bearer ..." when the mock
	// was started with --control-token. It never appears in an error.
	ControlToken string
}

// Do sends method to the control path (such as "/__mock/scenarios") with
// body as JSON (nil: no body) and returns the answer's body when its status
// is 2xx; otherwise a *StatusError whose message has the mock's problem
// (title, detail, each field error and what is available).
func (c *Client) Do(ctx context.Context, method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.ControlToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.ControlToken)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return data, nil
	}
	return nil, &StatusError{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After"),
		msg: fmt.Sprintf("%s %s answered %s: %s", method, path, resp.Status, describeProblem(data))}
}

// describeProblem renders an RFC 9457 problem of the mock for a terminal.
func describeProblem(data []byte) string {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Errors []struct {
			Field, Expected, Received, Message string
		} `json:"errors"`
		Available []string `json:"available"`
	}
	if json.Unmarshal(data, &p) != nil || p.Title == "" {
		return shorten(bytes.TrimSpace(data))
	}
	var b strings.Builder
	b.WriteString(p.Title)
	if p.Detail != "" {
		b.WriteString(": " + p.Detail)
	}
	for _, e := range p.Errors {
		fmt.Fprintf(&b, "\n  %s: %s", e.Field, e.Message)
		if e.Expected != "" {
			fmt.Fprintf(&b, " (expected %s", e.Expected)
			if e.Received != "" {
				fmt.Fprintf(&b, ", received %s", e.Received)
			}
			b.WriteString(")")
		}
	}
	if len(p.Available) > 0 {
		b.WriteString("\n  available: " + strings.Join(p.Available, ", "))
	}
	return b.String()
}

// Mint creates a new session of user through the control API, as the
// package's Mint does, sending the control token.
func (c *Client) Mint(ctx context.Context, user string) (string, error) {
	data, err := c.Do(ctx, http.MethodPost, SessionsPath, map[string]string{"user": user})
	if err != nil {
		return "", fmt.Errorf("minting a session of %s: %w", user, err)
	}
	var out struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(data, &out) != nil || out.Token == "" {
		return "", fmt.Errorf("minting a session of %s: the answer has no JSON \"token\"", user)
	}
	return out.Token, nil
}
