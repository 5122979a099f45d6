package reload

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func text(s string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, s) })
}

func get(t *testing.T, h http.Handler) string {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	return w.Body.String()
}

func TestHandlerSwapsWhileServing(t *testing.T) {
	h := NewHandler(text("one"))
	if got := get(t, h); got != "one" {
		t.Fatal(got)
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				if got := get(t, h); got != "one" && got != "two" {
					t.Errorf("served %q", got)
					return
				}
			}
		}()
	}
	h.Swap(text("two"))
	wg.Wait()
	if got := get(t, h); got != "two" {
		t.Fatal(got)
	}
}

// waitState waits (at most 20 s) until the status satisfies cond.
func waitState(t *testing.T, st *Status, what string, cond func(State) bool) State {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond(st.Get()) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 20s: %+v", what, st.Get())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return st.Get()
}

// TestWatchSeesWritesAndRenamesAndKeepsTheLastGoodContent: a valid write,
// an invalid one (refused: the last good content stays, the error is
// reported), and a save by rename are each seen.
func TestWatchSeesWritesAndRenamesAndKeepsTheLastGoodContent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "openapi.yaml")
	if err := os.WriteFile(path, []byte("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := NewStatus(State{Source: path, SHA256: Hash([]byte("v1")), Watching: true})
	var mu sync.Mutex
	var served []string
	load := func(data []byte) error {
		// Refused like spec.Load refuses them: a broken edit, and the empty
		// file os.WriteFile leaves for a moment before it writes (the
		// watcher may read it then; served, it would make this test flaky).
		if strings.HasPrefix(string(data), "bad") || len(data) == 0 {
			return errors.New(path + ": line 3: paths: broken")
		}
		mu.Lock()
		served = append(served, string(data))
		mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); Watch(ctx, path, 5*time.Millisecond, Hash([]byte("v1")), st, load) }()
	defer func() { cancel(); <-done }()

	if err := os.WriteFile(path, []byte("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitState(t, st, "reload of v2", func(s State) bool { return s.SHA256 == Hash([]byte("v2")) })

	if err := os.WriteFile(path, []byte("bad v3"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := waitState(t, st, "refused v3", func(s State) bool { return s.LastError != "" })
	if s.SHA256 != Hash([]byte("v2")) || !strings.Contains(s.LastError, "line 3") || s.LastErrorAt == nil {
		t.Fatalf("after an invalid edit: %+v, want v2 still loaded and the error with its line", s)
	}

	tmp := filepath.Join(dir, ".openapi.yaml.swp")
	if err := os.WriteFile(tmp, []byte("v4 saved by rename"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	s = waitState(t, st, "reload of v4", func(s State) bool { return s.SHA256 == Hash([]byte("v4 saved by rename")) })
	if s.LastError != "" || !s.Watching {
		t.Fatalf("after a good reload: %+v, want the error cleared, still watching", s)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(served, ",") != "v2,v4 saved by rename" {
		t.Fatalf("loaded %q", served)
	}
}
