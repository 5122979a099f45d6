package netlimit

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// TestLimit: with 2 slots, a third connection is accepted only once one of
// the first two is closed (twice, to prove a slot is freed once), a closed
// listener ends a waiting Accept, and the connections keep SetLinger.
func TestLimit(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := New(inner, 2)
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	for range 3 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first, second := <-accepted, <-accepted
	if _, ok := first.(interface{ SetLinger(int) error }); !ok {
		t.Errorf("an accepted TCP connection lost SetLinger: %T", first)
	}
	select {
	case c := <-accepted:
		t.Fatalf("a third connection was accepted with both slots taken: %v", c.RemoteAddr())
	case <-time.After(200 * time.Millisecond): // nothing can accept it: no slot is free
	}
	first.Close()
	first.Close() // twice: frees one slot, not two
	third := <-accepted
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := net.Dial("tcp", inner.Addr().String())
		if err == nil {
			defer c.Close()
		}
	}()
	wg.Wait()
	select {
	case c, ok := <-accepted:
		if ok {
			t.Fatalf("a fourth connection was accepted while second and third hold both slots: %v", c.RemoteAddr())
		}
	case <-time.After(200 * time.Millisecond):
	}
	if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatal(err)
	}
	if _, ok := <-accepted; ok {
		t.Error("Accept went on after Close")
	}
	second.Close()
	third.Close()
}
