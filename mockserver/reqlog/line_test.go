package reqlog

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

// slogLine is what log/slog writes for l: the format Append must match, so
// that scripts reading the mock's log see no difference.
func slogLine(t *testing.T, l Line, f Format) string {
	t.Helper()
	var buf bytes.Buffer
	var h slog.Handler = slog.NewTextHandler(&buf, nil)
	if f == JSON {
		h = slog.NewJSONHandler(&buf, nil)
	}
	r := slog.NewRecord(l.Time, slog.LevelInfo, "request", 0)
	r.AddAttrs(slog.String("method", l.Method), slog.String("path", l.Path), slog.Int("status", l.Status),
		slog.Duration("duration", l.Duration), slog.Int("bytes", l.Bytes), slog.String("decision", l.Decision))
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestAppendIsSlogsFormat compares Append with slog's handlers on chosen
// and random lines: quoting, escaping, times and durations (the random
// strings reach every path of appendText: as they are, quoted as they are,
// and quoted by strconv).
func TestAppendIsSlogsFormat(t *testing.T) {
	zone := time.FixedZone("X", 5*3600+30*60)
	lines := []Line{
		{time.Date(2026, 11, 26, 7, 30, 0, 123456789, time.UTC), "POST", "/sessions/revoke-all", 200, 1234567 * time.Nanosecond, 62, "example 200/success"},
		{time.Date(2026, 1, 2, 3, 4, 5, 0, zone), "GET", "/__mock/health", 200, 0, 15, "control.health"},
		{time.Date(2026, 1, 2, 3, 4, 5, 999999999, time.UTC), "PO ST", "/a b=c\"d\\e", 401, time.Hour, 0, "auth.unknown -> example 401/invalid_token"},
		{time.Time{}, "", "", 0, -time.Second, -1, ""},
		{time.Date(2026, 5, 5, 5, 5, 5, 1e6, time.UTC), "GET", "/ä/\u2028/\t/\x00/\x7f/\xff/日本", 404, 999, 3, "route.not-found"},
		// The same second again (the formatted second is reused), the same
		// instant in another zone (it is not), and the second after.
		{time.Date(2026, 5, 5, 5, 5, 5, 998e6, time.UTC), "GET", "/", 200, 1, 1, "a \"b\""},
		{time.Date(2026, 5, 5, 5, 5, 5, 998e6, time.UTC).In(zone), "GET", "/", 200, 1, 1, "a\tb"},
		{time.Date(2026, 5, 5, 5, 5, 6, 0, time.UTC).In(zone), "GET", "/", 200, 1, 1, "a b"},
		{time.Date(1969, 12, 31, 23, 59, 59, 5e8, time.UTC), "GET", "/", 200, 1, 1, "~ !"},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", "0", " ", "=", "\"", "\\", "\n", "\t", "\x01", "\x7f", "ä", "\u2028", "\u2029", "\xff", "日", "/", "?", "<", "&", "\u00a0", "\u200b"}
	random := func() string {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for range 3000 {
		lines = append(lines, Line{
			Time:   time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).In(zone),
			Method: random(), Path: random(), Status: rng.IntN(600), Duration: time.Duration(rng.Int64N(1e11)),
			Bytes: rng.IntN(1 << 20), Decision: random(),
		})
	}
	for _, f := range []Format{Text, JSON} {
		for _, l := range lines {
			if got, want := string(l.Append(nil, f)), slogLine(t, l, f); got != want {
				t.Fatalf("format %d:\n got %q\nwant %q", f, got, want)
			}
		}
	}
}

func TestLoggerWritesOneLinePerCall(t *testing.T) {
	var out bytes.Buffer
	lg := NewLogger(&out, JSON)
	for i := range 3 {
		lg.Log(Line{Method: "GET", Path: "/x", Status: 200 + i, Decision: "d"})
	}
	if n := strings.Count(out.String(), "\n"); n != 3 || !strings.Contains(out.String(), `"status":202`) {
		t.Errorf("got %q", out.String())
	}
}

func BenchmarkAppend(b *testing.B) {
	l := Line{time.Now(), "POST", "/sessions/revoke-all", 200, 1234567, 62, "example 200/success"}
	buf := make([]byte, 0, 256)
	for _, f := range []Format{Text, JSON} {
		b.Run([]string{"text", "json"}[f], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf = l.Append(buf[:0], f)
			}
		})
	}
}

// lineSink keeps every Write, one line each.
type lineSink struct {
	mu    sync.Mutex
	lines []string
}

func (s *lineSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.lines = append(s.lines, string(p))
	s.mu.Unlock()
	return len(p), nil
}

// TestLoggerCachedPartsAgreeWithAppend: the lines a Logger writes from its
// cached heads and tails are the lines Append writes, for lines that
// repeat, alternate and differ by one field, logged from several
// goroutines at once, in both formats.
func TestLoggerCachedPartsAgreeWithAppend(t *testing.T) {
	methods := []string{"POST", "GET", "PO ST"}
	paths := []string{"/sessions/revoke-all", "/a b", "/x=\"y\"", "/ä"}
	decisions := []string{"example 200/success", "auth.unknown -> example 401/invalid_token", "", "a\tb"}
	for _, f := range []Format{Text, JSON} {
		sink := &lineSink{}
		lg := NewLogger(sink, f)
		want := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(g), 3))
				for range 2000 {
					l := Line{Time: time.Unix(1_800_000_000+rng.Int64N(3), rng.Int64N(1e9)).UTC(),
						Method: methods[rng.IntN(len(methods))], Path: paths[rng.IntN(len(paths))], Status: 200 + rng.IntN(2),
						Duration: time.Duration(rng.Int64N(1e7)), Bytes: 60 + rng.IntN(2), Decision: decisions[rng.IntN(len(decisions))]}
					if rng.IntN(4) > 0 { // mostly the same line again
						l.Method, l.Path, l.Status, l.Bytes, l.Decision = "POST", "/sessions/revoke-all", 200, 62, "example 200/success"
					}
					lg.Log(l)
					mu.Lock()
					want[string(l.Append(nil, f))]++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		got := map[string]int{}
		for _, l := range sink.lines {
			got[l]++
		}
		if len(sink.lines) != 8000 || !maps.Equal(got, want) {
			for l, n := range got {
				if want[l] != n {
					t.Fatalf("format %d: %q written %d times, Append gives it %d times", f, l, n, want[l])
				}
			}
			t.Fatalf("format %d: %d lines written, want 8000", f, len(sink.lines))
		}
	}
}
