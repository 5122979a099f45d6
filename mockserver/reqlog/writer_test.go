package reqlog

import (
	"errors"
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

// blockingOut holds every write until released, and counts the bytes.
type blockingOut struct {
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	n       int
}

func (o *blockingOut) Write(p []byte) (int, error) {
	o.entered <- struct{}{}
	<-o.release
	o.mu.Lock()
	o.n += len(p)
	o.mu.Unlock()
	return len(p), nil
}

// TestFullBatchGoesOutWithoutWaitingForIt: a full batch is handed to the
// output before the timer (set to an hour) fires, by the flusher: while
// the output is stuck in that write, lines are still taken, up to the
// limit; past it the writer waits for the output, and nothing is lost.
func TestFullBatchGoesOutWithoutWaitingForIt(t *testing.T) {
	out := &blockingOut{entered: make(chan struct{}), release: make(chan struct{})}
	w := NewWriter(out, time.Hour)
	line := []byte(strings.Repeat("x", 1023) + "\n")
	for range flushAt / len(line) {
		if _, err := w.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	<-out.entered // the flusher writes the batch, and is stuck in it
	written := flushAt
	for range (maxBuffered - len(line)) / len(line) { // these do not wait
		if _, err := w.Write(line); err != nil {
			t.Fatal(err)
		}
		written += len(line)
	}
	blocked := make(chan struct{})
	go func() {
		defer close(blocked)
		_, _ = w.Write(line) // the limit: this one writes (and waits for) the output
	}()
	select {
	case <-blocked:
		t.Fatal("a write past the limit returned while the output was stuck")
	case <-time.After(20 * time.Millisecond):
	}
	go func() {
		for range out.entered {
		}
	}()
	close(out.release)
	<-blocked
	written += len(line)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if out.n != written {
		t.Fatalf("%d bytes reached the output, want %d", out.n, written)
	}
}

type failingOut struct{}

func (failingOut) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestOutputErrorIsReported: the output's error comes back from Flush, from
// the writes after it and from Close.
func TestOutputErrorIsReported(t *testing.T) {
	w := NewWriter(failingOut{}, time.Hour)
	if _, err := w.Write([]byte("a\n")); err != nil {
		t.Fatalf("the first write failed before any output: %v", err)
	}
	if err := w.Flush(); err == nil || err.Error() != "disk full" {
		t.Fatalf("Flush: %v, want disk full", err)
	}
	if _, err := w.Write([]byte("b\n")); err == nil {
		t.Fatal("a write after the output failed succeeded")
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close after the output failed succeeded")
	}
}
