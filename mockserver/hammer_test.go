package mockserver_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/flashback/revoke-contract/mockserver"
)

// TestHammerEveryEndpoint sends to every endpoint at once from many
// goroutines: revoke-alls with fresh and spent tokens, mints, resets,
// health checks, CORS preflights, wrong methods and unknown control paths.
// Whatever the interleaving, each answer is one its endpoint allows (never
// a 5xx), and a token that revoke-all accepted is refused from then on (a
// reset forgets it: still refused, as unknown). make test runs it plainly;
// make race runs it under the race detector (docs/reliability.md).
func TestHammerEveryEndpoint(t *testing.T) {
	m := newMock(t, mockserver.Options{Sessions: mockserver.SessionsIssued, Seed: seeded()})
	client := m.ts.Client()
	send := func(method, path string, header http.Header, body string) (int, []byte, error) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, m.ts.URL+path, rd)
		if err != nil {
			return 0, nil, err
		}
		req.Header = header
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		return resp.StatusCode, data, err
	}
	expect := func(what string, status int, data []byte, err error, allowed ...int) {
		if err != nil {
			t.Errorf("%s: %v", what, err)
		} else if !slices.Contains(allowed, status) {
			t.Errorf("%s: %d %s, want one of %v", what, status, data, allowed)
		}
	}
	const rounds = 150
	workers := map[string]func(w int){
		"revoker": func(w int) {
			for i := range rounds {
				status, data, err := send("POST", "/__mock/sessions", http.Header{"Content-Type": {"application/json"}}, fmt.Sprintf(`{"user":"user-%d"}`, w%3))
				expect("mint", status, data, err, 201)
				var minted struct{ Token string }
				if json.Unmarshal(data, &minted) != nil || minted.Token == "" {
					t.Errorf("mint: no token in %s", data)
					return
				}
				bearer := http.Header{"Authorization": {"Bearer " + minted.Token}}
				status, data, err = send("POST", revokeAll, bearer, "")
				expect(fmt.Sprintf("revoke-all %d", i), status, data, err, 200, 401) // 401: a reset or another device's revoke-all came first
				if status == 200 {
					status, data, err = send("POST", revokeAll, bearer, "")
					expect("the same token after its 200", status, data, err, 401)
				}
			}
		},
		"resetter": func(int) {
			for range rounds / 5 {
				status, data, err := send("POST", "/__mock/reset", http.Header{}, "")
				expect("reset", status, data, err, 204)
			}
		},
		"reader": func(int) {
			for range rounds {
				status, data, err := send("GET", "/__mock/health", http.Header{}, "")
				expect("health", status, data, err, 200)
				status, data, err = send("OPTIONS", revokeAll, http.Header{"Origin": {"http://localhost:5173"}, "Access-Control-Request-Method": {"POST"},
					"Access-Control-Request-Headers": {"authorization"}}, "")
				expect("preflight", status, data, err, 204, 200)
			}
		},
		"stray": func(int) {
			for range rounds {
				status, data, err := send("GET", revokeAll, http.Header{"Authorization": {"Bearer not-a-session-at-all"}}, "")
				expect("GET on the endpoint", status, data, err, 401, 405)
				status, data, err = send("POST", "/__mock/nope", http.Header{}, "{")
				expect("unknown control path", status, data, err, 404)
				status, data, err = send("POST", "/__mock/sessions", http.Header{"Content-Type": {"application/json"}}, `{"user":`)
				expect("broken mint body", status, data, err, 400)
			}
		},
	}
	var wg sync.WaitGroup
	for _, work := range workers {
		for w := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				work(w)
			}()
		}
	}
	wg.Wait()
}
