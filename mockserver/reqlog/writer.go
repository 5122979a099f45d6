// Package reqlog buffers the mock's request log: a busy mock makes one write
// system call per batch of lines instead of one per request.
package reqlog

import (
	"io"
	"sync"
	"time"
)

// Lines are handed to the output in batches of about flushAt bytes, by the
// flusher; a writer that finds maxBuffered bytes waiting writes them itself
// (an output slower than the requests holds them back rather than growing
// the buffer without end). A buffer starts with room for bufCap bytes: the
// lines that come while the flusher is being scheduled fit without growing
// it (a grown buffer is live heap, which the collector's target triples).
const (
	flushAt     = 32 << 10
	bufCap      = 48 << 10
	maxBuffered = 1 << 20
)

// Writer buffers what is written to it and flushes it on a timer, or
// sooner once a batch is full. Lines reach the output at most one interval
// late; Close flushes. Safe for concurrent use.
//
// Two buffers take turns: a flush swaps them under the lock and writes the
// full one outside it, so a request adding its line never waits for the
// output's system call (with one buffer, every 64 KiB a request wrote to
// the file while the others queued on the lock).
type Writer struct {
	mu  sync.Mutex // guards cur and err
	cur []byte
	err error // the output's first error; later lines are dropped

	out   io.Writer
	wmu   sync.Mutex // serialises the writes to out, in order; guards spare
	spare []byte

	kick  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	close sync.Once
}

// NewWriter starts a Writer over w that flushes every interval.
func NewWriter(w io.Writer, interval time.Duration) *Writer {
	lw := &Writer{out: w, cur: make([]byte, 0, bufCap), spare: make([]byte, 0, bufCap),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(lw.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
			case <-lw.kick:
			case <-lw.stop:
				return
			}
			_ = lw.Flush()
		}
	}()
	return lw
}

func (lw *Writer) Write(p []byte) (int, error) {
	lw.mu.Lock()
	if lw.err != nil {
		err := lw.err
		lw.mu.Unlock()
		return 0, err
	}
	lw.cur = append(lw.cur, p...)
	n := len(lw.cur)
	lw.mu.Unlock()
	switch {
	case n >= maxBuffered:
		if err := lw.Flush(); err != nil {
			return 0, err
		}
	case n >= flushAt:
		select {
		case lw.kick <- struct{}{}:
		default: // the flusher is already asked
		}
	}
	return len(p), nil
}

// Flush writes out what is buffered.
func (lw *Writer) Flush() error {
	lw.wmu.Lock()
	defer lw.wmu.Unlock()
	lw.mu.Lock()
	b, err := lw.cur, lw.err
	lw.cur = lw.spare[:0]
	lw.mu.Unlock()
	if err == nil && len(b) > 0 {
		if _, err = lw.out.Write(b); err != nil {
			lw.mu.Lock()
			lw.err = err
			lw.mu.Unlock()
		}
	}
	if cap(b) > bufCap {
		b = make([]byte, 0, bufCap) // a burst grew it: do not keep it
	}
	lw.spare = b[:0]
	return err
}

// Close stops the timer and flushes. It may be called more than once, from
// several goroutines.
func (lw *Writer) Close() error {
	lw.close.Do(func() { close(lw.stop) })
	<-lw.done
	return lw.Flush()
}
