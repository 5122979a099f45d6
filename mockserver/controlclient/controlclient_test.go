package controlclient

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMintAt(t *testing.T) {
	tests := []struct {
		name, status, body string
		want               string // token, or "ERR substring"
	}{
		{"mock's 201", "201", `{"user":"alice","token":"tok-123456789"}`, "tok-123456789"},
		{"a login endpoint's 200", "200", `{"token":"tok-abcdefghi","expiresIn":3600}`, "tok-abcdefghi"},
		{"refused", "403", `{"error":"test logins are off"}`, `ERR 403 Forbidden, want 200 or 201: {"error":"test logins are off"}`},
		{"a token in an error answer is not quoted", "500", `{"token":"tok-secret-99"}`, "ERR (a body with a token, not shown)"},
		{"no token", "201", `{"user":"alice"}`, `ERR without a JSON "token"`},
		{"not JSON", "200", `<html>`, `ERR without a JSON "token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if r.Method != http.MethodPost || string(body) != `{"user":"alice"}` || r.URL.Path != "/login/test" {
					t.Errorf("got %s %s %s", r.Method, r.URL.Path, body)
				}
				code := map[string]int{"200": 200, "201": 201, "403": 403, "500": 500}[tt.status]
				w.WriteHeader(code)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			tok, err := MintAt(context.Background(), srv.Client(), srv.URL+"/login/test", "alice")
			if want, isErr := strings.CutPrefix(tt.want, "ERR "); isErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("err %v, want %q", err, want)
				}
				if strings.Contains(err.Error(), "tok-secret-99") {
					t.Fatal("the error shows a token")
				}
				return
			}
			if err != nil || tok != tt.want {
				t.Fatalf("got %q, %v", tok, err)
			}
		})
	}
}
