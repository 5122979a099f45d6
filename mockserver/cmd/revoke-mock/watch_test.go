package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/spec"
)

type health struct {
	Status string `json:"status"`
	Spec   struct {
		Source    string `json:"source"`
		SHA256    string `json:"sha256"`
		LoadedAt  string `json:"loadedAt"`
		Watching  bool   `json:"watching"`
		LastError string `json:"lastError"`
	} `json:"spec"`
}

func getHealth(t *testing.T, base string) health {
	t.Helper()
	resp, err := http.Get(base + "/__mock/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

func waitHealth(t *testing.T, base, what string, cond func(health) bool) health {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		h := getHealth(t, base)
		if cond(h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 20s: %+v", what, h)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func revokeBody(t *testing.T, base, token string) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(newReq(t, http.MethodPost, base+"/sessions/revoke-all", "Bearer "+token))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestWatchReloadsTheSpecAndKeepsTheState: with --watch, an edit is served
// from the next request on with sessions and scenarios kept; a broken edit
// is refused, logged with its line, reported by health, and the last good
// spec keeps serving; a save by rename is seen.
func TestWatchReloadsTheSpecAndKeepsTheState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "openapi.yaml")
	if err := os.WriteFile(path, spec.OpenAPI, 0o644); err != nil {
		t.Fatal(err)
	}
	base, out, _, _ := serve(t, "--spec", path, "--watch", "--sessions", "issued")
	h := getHealth(t, base)
	if h.Status != "ok" || h.Spec.Source != path || !h.Spec.Watching || len(h.Spec.SHA256) != 64 || h.Spec.LoadedAt == "" || h.Spec.LastError != "" {
		t.Fatalf("health at start: %+v", h)
	}
	first := h.Spec.SHA256
	token := mintOK(t, base, "alice")
	resp, err := http.Post(base+"/__mock/scenarios", "application/json", strings.NewReader(`{"operation":"post__sessions_revoke-all","status":500,"user":"nobody"}`))
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("adding a scenario: %v %v", resp, err)
	}
	resp.Body.Close()

	const oldMsg, newMsg = "All sessions revoked successfully", "Every session is gone"
	if !bytes.Contains(spec.OpenAPI, []byte(oldMsg)) {
		t.Fatalf("the spec has no %q to edit", oldMsg)
	}
	if err := os.WriteFile(path, bytes.ReplaceAll(spec.OpenAPI, []byte(oldMsg), []byte(newMsg)), 0o644); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, base, "reload", func(h health) bool { return h.Spec.SHA256 != first })
	if st, body := revokeBody(t, base, token); st != 200 || !strings.Contains(body, newMsg) {
		t.Fatalf("after the edit, with a session minted before it: %d %s; want 200 with %q", st, body, newMsg)
	}
	resp, _ = http.Get(base + "/__mock/scenarios")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"user":"nobody"`) {
		t.Fatalf("the scenario did not survive the reload: %s", b)
	}

	if err := os.WriteFile(path, []byte("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /x: [broken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h = waitHealth(t, base, "a reload error", func(h health) bool { return h.Spec.LastError != "" })
	if !strings.Contains(h.Spec.LastError, path) || !strings.Contains(h.Spec.LastError, "line") {
		t.Errorf("lastError %q, want the file and the line", h.Spec.LastError)
	}
	token2 := mintOK(t, base, "bob")
	if st, body := revokeBody(t, base, token2); st != 200 || !strings.Contains(body, newMsg) {
		t.Fatalf("after a broken edit: %d %s; want the last good spec", st, body)
	}

	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, spec.OpenAPI, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	h = waitHealth(t, base, "reload after a rename", func(h health) bool { return h.Spec.SHA256 == first })
	if h.Spec.LastError != "" {
		t.Errorf("lastError after a good reload: %q", h.Spec.LastError)
	}
	token3 := mintOK(t, base, "carol")
	if st, body := revokeBody(t, base, token3); st != 200 || !strings.Contains(body, oldMsg) {
		t.Fatalf("after the rename: %d %s", st, body)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "spec reload refused") {
		if time.Now().After(deadline) {
			t.Fatalf("the refused reload was not logged:\n%s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
