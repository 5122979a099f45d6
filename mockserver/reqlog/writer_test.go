package reqlog

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/internal/testkit"
)

// TestConcurrentWritesAndCloses: lines written from many goroutines all
// come out whole, the timer flushes without Close, and Close may be called
// again and concurrently (under -race in make test).
func TestConcurrentWritesAndCloses(t *testing.T) {
	var out testkit.Buffer
	w := NewWriter(&out, time.Millisecond)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if _, err := w.Write([]byte(strings.Repeat(string(rune('a'+g)), 10) + "\n")); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	// The timer flushes on its own: wait (generously) for the lines.
	for deadline := time.Now().Add(30 * time.Second); strings.Count(out.String(), "\n") < 800 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := strings.Count(out.String(), "\n"); n != 800 {
		t.Fatalf("%d lines flushed by the timer, want 800", n)
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if len(line) != 10 || strings.Trim(line, line[:1]) != "" {
			t.Fatalf("a line came out torn: %q", line)
		}
	}
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Close(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}
