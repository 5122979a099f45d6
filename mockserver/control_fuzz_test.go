package mockserver_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/mockserver"
)

var b64token = regexp.MustCompile(`^[A-Za-z0-9\-._~+/]+=*$`)

// FuzzControlSessions: the control API's JSON body (POST /__mock/sessions),
// in issued mode. Properties: the answer is 201 or the 400
// invalid-control-request problem, nothing else; a 201 is exactly
// {"user","token"} with the body's user (as encoding/json reads it: a
// non-blank string of at most 256 bytes) and an RFC 6750 token; that token
// is a session of that user: revoke-all with it answers 200, after which it
// answers 401.
func FuzzControlSessions(f *testing.F) {
	for _, s := range []string{
		`{"user":"alice"}`, `{"user":""}`, `{"user":"  "}`, `{"user":null}`, `{"user":42}`, `{}`, `[]`, `null`, ``, `{`,
		`{"user":"a","user":"b"}`, `{"USER":"carol"}`, `{"user":"\u0000\ud800é"}`, `{"user":"alice"} trailing`,
		`{"user":"` + strings.Repeat("x", 256) + `"}`, `{"user":"` + strings.Repeat("x", 257) + `"}`,
		`{"user":"bob","token":"chosen-by-caller"}`, `{"user":"\"><script>"}`,
	} {
		f.Add([]byte(s))
	}
	srv, err := mockserver.New(mockserver.Options{Sessions: mockserver.SessionsIssued})
	if err != nil {
		f.Fatal(err)
	}
	post := func(path, auth, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := post("/__mock/sessions", "", string(body))
		var want struct {
			User *string `json:"user"`
		}
		valid := json.Unmarshal(body, &want) == nil && want.User != nil && strings.TrimSpace(*want.User) != "" && len(*want.User) <= 256
		if rec.Code != http.StatusCreated {
			var p struct{ Type string }
			_ = json.Unmarshal(rec.Body.Bytes(), &p)
			if valid || rec.Code != http.StatusBadRequest || p.Type != "urn:revoke-mock:problem:invalid-control-request" {
				t.Fatalf("%q: %d %s", body, rec.Code, rec.Body)
			}
			return
		}
		if !valid {
			t.Fatalf("%q: minted a session for a body that names no valid user: %s", body, rec.Body)
		}
		var got map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got) != 2 {
			t.Fatalf("%q: answer %s", body, rec.Body)
		}
		token, _ := got["token"].(string)
		if got["user"] != *want.User || !b64token.MatchString(token) {
			t.Fatalf("%q: answer %s, want user %q and an RFC 6750 token", body, rec.Body, *want.User)
		}
		if c := post(mockserver.RevokeAllPath, token, "").Code; c != http.StatusOK {
			t.Fatalf("%q: revoke-all with the minted token: %d", body, c)
		}
		if c := post(mockserver.RevokeAllPath, token, "").Code; c != http.StatusUnauthorized {
			t.Fatalf("%q: the minted token after revoke-all: %d", body, c)
		}
	})
}
