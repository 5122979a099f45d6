package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// runToken mints one session through the control API and prints its token,
// so that `revoke-mock token ...` can serve as CONTRACT_TOKEN_CMD.
func runToken(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("revoke-mock token", flag.ContinueOnError)
	base := fs.String("url", envDefault("url", "http://127.0.0.1:4010"), "base URL of the mock")
	user := fs.String("user", "", "whose session to create (required)")
	timeout := fs.Duration("timeout", 10*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if strings.TrimSpace(*user) == "" {
		return usageError{errors.New("token: --user is required, as in --user alice")}
	}
	u, err := url.Parse(*base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError{fmt.Errorf("token: --url %q: want a base URL such as http://127.0.0.1:4010", *base)}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	body, _ := json.Marshal(map[string]string{"user": *user})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(u.String(), "/")+"/__mock/sessions", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("token: is the mock running at %s? %w", u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("token: reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("token: POST /__mock/sessions answered %s: %s", resp.Status, bytes.TrimSpace(data))
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.Token == "" {
		return fmt.Errorf("token: POST /__mock/sessions answered 201 without a token")
	}
	// The token is this command's output (CONTRACT_TOKEN_CMD reads it), never a log line.
	_, err = fmt.Fprintln(stdout, out.Token)
	return err
}
