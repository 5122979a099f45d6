package journal

import (
	"net/http"
	"testing"
	"time"
)

// BenchmarkRecord is what the mock adds to a request when the journal is
// on: the headers redacted into one string and one entry added to the ring.
func BenchmarkRecord(b *testing.B) {
	red := NewRedactor()
	ring := NewRing(1000)
	h := http.Header{"Authorization": {"Bearer bench-not-a-secret"}, "Accept": {"application/json"}, "User-Agent": {"bench"}}
	b.ReportAllocs()
	for b.Loop() {
		var buf [1024]byte
		hs := red.AppendHeaders(buf[:0], h)
		ring.Add(Entry{Time: time.Now(), Method: "POST", Path: "/sessions/revoke-all", Headers: string(hs), Status: 200})
	}
}

// BenchmarkRecordParallel records from every core at once, as a mock
// under load does: what a lock all requests share would cost shows here.
func BenchmarkRecordParallel(b *testing.B) {
	red := NewRedactor()
	ring := NewRing(1000)
	h := http.Header{"Authorization": {"Bearer bench-not-a-secret"}, "Accept": {"application/json"}, "User-Agent": {"bench"}}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var buf [1024]byte
			hs := red.AppendHeaders(buf[:0], h)
			ring.Add(Entry{Time: time.Now(), Method: "POST", Path: "/sessions/revoke-all", Headers: string(hs), Status: 200})
		}
	})
}

func BenchmarkFingerprint(b *testing.B) {
	red := NewRedactor()
	var out [64]byte
	b.ReportAllocs()
	for b.Loop() {
		red.appendCredential(out[:0], "Bearer bench-not-a-secret")
	}
}
