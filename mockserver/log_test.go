package mockserver_test

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/internal/testkit"
	"github.com/flashback/revoke-contract/mockserver"
)

func TestOneLogLinePerRequestWithoutTokens(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			var out testkit.Buffer
			var h slog.Handler = slog.NewTextHandler(&out, nil)
			if format == "json" {
				h = slog.NewJSONHandler(&out, nil)
			}
			m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued, Logger: slog.New(h)})
			tok := m.mint("alice")
			m.revoke(tok, "Prefer", "code=500")
			m.do(http.MethodPost, revokeAll+"?access_token="+tok, http.Header{"Authorization": {"Basic " + tok}}, "")
			m.revoke("unknown" + tok)
			m.revoke(tok)
			m.revoke(tok)
			const requests = 6 // the mint and five revoke-alls

			logged := out.String()
			if strings.Contains(logged, tok) || strings.Contains(logged, tok[:8]) {
				t.Fatalf("the log contains the token (or a part of it):\n%s", logged)
			}
			var lines []string
			sc := bufio.NewScanner(strings.NewReader(logged))
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
			if len(lines) != requests {
				t.Fatalf("%d log lines for %d requests:\n%s", len(lines), requests, logged)
			}
			wantDecisions := []string{"control.mint", "example 500/server_error (Prefer code=500)", "auth.scheme -> example 401/invalid_token",
				"auth.unknown -> example 401/invalid_token", "example 200/success", "auth.revoked -> example 401/invalid_token"}
			for i, line := range lines {
				if format == "json" {
					var rec map[string]any
					if err := json.Unmarshal([]byte(line), &rec); err != nil {
						t.Fatalf("line %d is not JSON: %s", i, line)
					}
					for _, k := range []string{"method", "path", "status", "duration", "decision"} {
						if _, ok := rec[k]; !ok {
							t.Errorf("line %d lacks %s: %s", i, k, line)
						}
					}
					if rec["decision"] != wantDecisions[i] {
						t.Errorf("line %d decision %q, want %q", i, rec["decision"], wantDecisions[i])
					}
					if p, _ := rec["path"].(string); strings.Contains(p, "?") {
						t.Errorf("line %d logs a query string: %s", i, p)
					}
				} else {
					for _, k := range []string{"method=", "path=", "status=", "duration=", "decision="} {
						if !strings.Contains(line, k) {
							t.Errorf("line %d lacks %s: %s", i, k, line)
						}
					}
				}
			}
		})
	}
}
