package scenario

import (
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var revoke = Request{Method: "POST", Path: "/sessions/revoke-all", User: "alice", Header: http.Header{}}

func TestTakeSpendsUsesAndDropsUsedUp(t *testing.T) {
	m := NewMemory()
	a := m.Add(Scenario{Method: "POST", Path: "/sessions/revoke-all", Status: "500", Times: 2})
	if a.ID == "" || a.Remaining != 2 {
		t.Fatalf("Add = %+v, want an ID and 2 remaining", a)
	}
	for want := 1; want >= 0; want-- {
		got, ok := m.Take(revoke)
		if !ok || got.ID != a.ID || got.Remaining != want {
			t.Fatalf("Take = %+v, %v; want %s with %d left", got, ok, a.ID, want)
		}
	}
	if got, ok := m.Take(revoke); ok {
		t.Fatalf("a used-up scenario applied again: %+v", got)
	}
	if l := m.List(); len(l) != 0 {
		t.Fatalf("List after the last use = %+v, want empty", l)
	}
}

func TestUnlimitedUntilDeleted(t *testing.T) {
	m := NewMemory()
	a := m.Add(Scenario{Method: "POST", Path: "/sessions/revoke-all", Fault: Reset})
	for i := 0; i < 5; i++ {
		if got, ok := m.Take(revoke); !ok || got.Remaining != -1 {
			t.Fatalf("use %d: %+v, %v", i, got, ok)
		}
	}
	if !m.HasFaults() {
		t.Error("HasFaults is false with a reset scenario active")
	}
	if !m.Delete(a.ID) || m.Delete(a.ID) {
		t.Fatal("Delete should report true once, then false")
	}
	if _, ok := m.Take(revoke); ok {
		t.Fatal("a deleted scenario applied")
	}
	if m.HasFaults() {
		t.Error("HasFaults is true with no scenario")
	}
}

func TestOldestFirstAndScopes(t *testing.T) {
	m := NewMemory()
	bob := m.Add(Scenario{Method: "POST", Path: "/sessions/revoke-all", Status: "500", User: "bob", Times: 1})
	tagged := m.Add(Scenario{Method: "POST", Path: "/sessions/revoke-all", Status: "500", Header: &HeaderScope{Name: "X-Dev", Value: "ann"}, Times: 1})
	first := m.Add(Scenario{Method: "POST", Path: "/sessions/revoke-all", Status: "500", Times: 1})
	second := m.Add(Scenario{Method: "POST", Path: "/sessions/revoke-all", Fault: Close, Times: 1})
	other := m.Add(Scenario{Method: "GET", Path: "/other", Times: 1})

	if got, _ := m.Take(revoke); got.ID != first.ID {
		t.Fatalf("alice's first request took %s, want the oldest unscoped %s", got.ID, first.ID)
	}
	if got, _ := m.Take(revoke); got.ID != second.ID {
		t.Fatalf("alice's second request took %s, want %s", got.ID, second.ID)
	}
	if got, ok := m.Take(revoke); ok {
		t.Fatalf("alice's third request took %s; bob's and the tagged one are not hers", got.ID)
	}
	tag := revoke
	tag.Header = http.Header{"X-Dev": {"ann"}}
	if got, _ := m.Take(tag); got.ID != tagged.ID {
		t.Fatalf("tagged request took %q, want %s", got.ID, tagged.ID)
	}
	b := revoke
	b.User = "bob"
	if got, _ := m.Take(b); got.ID != bob.ID {
		t.Fatalf("bob's request took %q, want %s", got.ID, bob.ID)
	}
	if l := m.List(); len(l) != 1 || l[0].ID != other.ID {
		t.Fatalf("List = %+v, want only %s", l, other.ID)
	}
	m.Clear()
	if l := m.List(); len(l) != 0 {
		t.Fatalf("List after Clear = %+v", l)
	}
}

// TestConcurrentTakeSpendsEachUseOnce: 200 requests race for a scenario of
// 50 uses; exactly 50 get it (run under -race in make test).
func TestConcurrentTakeSpendsEachUseOnce(t *testing.T) {
	m := NewMemory()
	m.Add(Scenario{Method: "POST", Path: "/sessions/revoke-all", Times: 50})
	var got atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok := m.Take(revoke); ok {
				got.Add(1)
			}
			if i%20 == 0 {
				m.List()
				m.Add(Scenario{Method: "GET", Path: "/x"})
			}
		}()
	}
	wg.Wait()
	if got.Load() != 50 {
		t.Fatalf("%d requests took the scenario, want exactly 50", got.Load())
	}
}

func TestJSONRoundTrip(t *testing.T) {
	s := Scenario{ID: "sc-1", Method: "POST", Path: "/p", Status: "500", Delay: 1500 * time.Millisecond, Fault: Drip, Remaining: -1,
		Header: &HeaderScope{Name: "X-Dev", Value: "ann"}, Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if m["delay"] != "1.5s" {
		t.Errorf("delay = %v in %s, want \"1.5s\"", m["delay"], b)
	}
	var back Scenario
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Delay != s.Delay || back.ID != s.ID || back.Header.Value != "ann" || !back.Created.Equal(s.Created) {
		t.Errorf("round trip = %+v, want %+v", back, s)
	}
	if !Drip.Valid() || Fault("explode").Valid() {
		t.Error("Valid")
	}
}
