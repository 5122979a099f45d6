package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/flashback/revoke-contract/mockserver/controlclient"
)

// runToken mints one session through the control API and prints its token,
// so that `revoke-mock token ...` can serve as CONTRACT_TOKEN_CMD.
func runToken(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("revoke-mock token", flag.ContinueOnError)
	base := fs.String("url", envDefault("url", "http://127.0.0.1:4010"), "base URL of the mock")
	user := fs.String("user", "", "whose session to create (required)")
	timeout := fs.Duration("timeout", 10*time.Second, "give up after this long")
	controlToken := fs.String("control-token", envDefault("control-token", ""), "the mock's --control-token, if it has one")
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
	var token string
	if *controlToken == "" {
		token, err = controlclient.Mint(ctx, http.DefaultClient, u.String(), *user)
	} else {
		token, err = (&controlclient.Client{BaseURL: u.String(), ControlToken: *controlToken}).Mint(ctx, *user)
	}
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("token: is the mock running at %s? %w", u, err)
		}
		return fmt.Errorf("token: %w", err)
	}
	// The token is this command's output (CONTRACT_TOKEN_CMD reads it), never a log line.
	_, err = fmt.Fprintln(stdout, token)
	return err
}
