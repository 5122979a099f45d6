// Package reqlog buffers the mock's request log: a busy mock makes one write
// system call per batch of lines instead of one per request.
package reqlog

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// Writer buffers what is written to it and flushes it on a timer. Lines
// reach the output at most one interval late; Close flushes. Safe for
// concurrent use.
type Writer struct {
	mu    sync.Mutex
	buf   *bufio.Writer
	stop  chan struct{}
	done  chan struct{}
	close sync.Once
}

// NewWriter starts a Writer over w that flushes every interval.
func NewWriter(w io.Writer, interval time.Duration) *Writer {
	lw := &Writer{buf: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(lw.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = lw.Flush()
			case <-lw.stop:
				return
			}
		}
	}()
	return lw
}

func (lw *Writer) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.buf.Write(p)
}

// Flush writes out what is buffered.
func (lw *Writer) Flush() error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.buf.Flush()
}

// Close stops the timer and flushes. It may be called more than once, from
// several goroutines.
func (lw *Writer) Close() error {
	lw.close.Do(func() { close(lw.stop) })
	<-lw.done
	return lw.Flush()
}
