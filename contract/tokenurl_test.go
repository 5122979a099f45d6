package contract

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/contract/internal/tokens"
	"github.com/flashback/revoke-contract/contract/internal/wire"
	"github.com/flashback/revoke-contract/mockserver"
	"github.com/flashback/revoke-contract/mockserver/controlclient"
)

// TestTokenURLWithControlToken: a mock started with --control-token
// mints for --token-url when the run's --header carries
// "Mock-Control-Token", and refuses without it.
func TestTokenURLWithControlToken(t *testing.T) {
	const secret = "ctl-secret-123"
	mock, err := mockserver.New(mockserver.Options{Sessions: mockserver.SessionsIssued, ControlToken: secret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mock)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := srv.URL + controlclient.SessionsPath
	cfg := Config{Timeout: 5 * time.Second}
	if _, err := tokens.URLMinter(url, tokenHTTPClient(cfg, wire.Settings{}))(ctx, Primary); err == nil {
		t.Fatal("minted without the control token")
	}
	cfg.Headers = [][2]string{{mockserver.ControlTokenHeader, secret}}
	tok, err := tokens.URLMinter(url, tokenHTTPClient(cfg, wire.Settings{}))(ctx, Primary)
	if err != nil || len(tok) < MinTokenLength {
		t.Fatalf("mint with --header %s: %q, %v", mockserver.ControlTokenHeader, tok, err)
	}
}
