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
