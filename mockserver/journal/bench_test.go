package journal

import (
	"net/http"
	"testing"
	"time"
)

// BenchmarkRecord is what the mock adds to a request when the journal is
// on: the headers' redacted text (from the cache, as for a client that
// repeats its headers) and one entry added to the ring.
func BenchmarkRecord(b *testing.B) {
	red := NewRedactor()
	ring := NewRing(1000)
	h := http.Header{"Authorization": {"Bearer bench-not-a-secret"}, "Accept": {"application/json"}, "User-Agent": {"bench"}}
	b.ReportAllocs()
	for b.Loop() {
		ring.Add(Entry{Time: time.Now(), Method: "POST", Path: "/sessions/revoke-all", Headers: red.RequestHeadersText(h), Status: 200})
	}
}

// BenchmarkFormatHeaders is the headers' text formatted every time (a
// client whose headers never repeat).
func BenchmarkFormatHeaders(b *testing.B) {
	red := NewRedactor()
	h := http.Header{"Authorization": {"Bearer bench-not-a-secret"}, "Accept": {"application/json"}, "User-Agent": {"bench"}}
	b.ReportAllocs()
	for b.Loop() {
		var buf [1024]byte
		_ = red.AppendHeaders(buf[:0], h)
	}
}

// BenchmarkRingAddParallel adds entries from every core at once: the
// ring's slots are written in turn by different cores.
func BenchmarkRingAddParallel(b *testing.B) {
	ring := NewRing(1000)
	e := Entry{Time: time.Now(), Method: "POST", Path: "/sessions/revoke-all", Headers: "Authorization: Bearer fp:12345678", Status: 200,
		Decision: "example 200/success", Operation: "post__sessions_revoke-all", ResponseHeaders: "Cache-Control: no-store"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ring.Add(e)
		}
	})
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
			ring.Add(Entry{Time: time.Now(), Method: "POST", Path: "/sessions/revoke-all", Headers: red.RequestHeadersText(h), Status: 200})
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
