package controlclient

import (
	"context"
	"errors"
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

func TestClientDoSendsTheControlTokenAndDescribesProblems(t *testing.T) {
	const secret = "ctl-secret"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+secret {
			w.WriteHeader(401)
			return
		}
		if r.Method == http.MethodGet {
			_, _ = w.Write([]byte(`{"scenarios":[]}`))
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"type":"x","title":"Invalid control request","status":400,"detail":"see errors","errors":[{"field":"status","expected":"one of the available ones","received":"404","message":"no such code"}],"available":["200","500"]}`))
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL + "/", ControlToken: secret}
	body, err := c.Do(context.Background(), http.MethodGet, "/__mock/scenarios", nil)
	if err != nil || string(body) != `{"scenarios":[]}` {
		t.Fatalf("GET: %s, %v", body, err)
	}
	_, err = c.Do(context.Background(), http.MethodPost, "/__mock/scenarios", map[string]any{"status": 404})
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 400 {
		t.Fatalf("POST: %v, want a StatusError 400", err)
	}
	for _, want := range []string{"Invalid control request: see errors", "status: no such code (expected one of the available ones, received 404)", "available: 200, 500"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), secret) {
		t.Error("the error shows the control token")
	}
	c.ControlToken = "wrong"
	if _, err := c.Do(context.Background(), http.MethodGet, "/__mock/scenarios", nil); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("with a wrong token: %v", err)
	}
}
