package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flashback/revoke-contract/internal/redistest"
	"github.com/flashback/revoke-contract/mockserver"
	"github.com/flashback/revoke-contract/mockserver/redisstore"
	"github.com/flashback/revoke-contract/mockserver/store"
)

// BenchmarkStoreMemoryVsRedis is what one replica serves with its state in
// Redis (a redis-server on loopback, started here) against the in-memory
// store, measured in the same run, interleaved: 8 clients on keep-alive
// loopback connections each send 32 revoke-alls with a token never seen
// before (mode lazy: a session is created, the scenarios are asked, the
// session revoked, the journal written: the full stateful path), first to
// one mock, then to the other, round after round. It reports each store's
// throughput and p99, and the ratios redis/memory.
func BenchmarkStoreMemoryVsRedis(b *testing.B) {
	srv := redistest.Start(b, false)
	shared, err := redisstore.Open(context.Background(), redisstore.Config{URL: srv.URL(0), Mode: store.Lazy, JournalSize: mockserver.DefaultJournalSize, Timeout: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer shared.Close()
	mem := httptest.NewServer(newMock(b, mockserver.Options{Sessions: mockserver.SessionsLazy, RequestLog: discardRequestLog()}))
	defer mem.Close()
	red := httptest.NewServer(newMock(b, mockserver.Options{Sessions: mockserver.SessionsLazy, RequestLog: discardRequestLog(),
		SessionStore: shared, Scenarios: shared.Scenarios(), Journal: shared.Journal()}))
	defer red.Close()

	const clients, perClient = 8, 32
	var seq atomic.Uint64
	transport := &http.Transport{MaxIdleConnsPerHost: clients}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	// round sends clients*perClient requests to url and returns how long
	// the round took and each request's latency.
	round := func(url string, lat []time.Duration) (time.Duration, []time.Duration) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := time.Now()
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mine := make([]time.Duration, 0, perClient)
				for range perClient {
					req, _ := http.NewRequest(http.MethodPost, url+revokeAll, nil)
					req.Header.Set("Authorization", "Bearer bench-token-"+strconv.FormatUint(seq.Add(1), 36))
					t0 := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					mine = append(mine, time.Since(t0))
					if resp.StatusCode != http.StatusOK {
						b.Errorf("answered %d", resp.StatusCode)
						return
					}
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		return time.Since(start), lat
	}
	round(mem.URL, nil)
	round(red.URL, nil)
	var memTime, redTime time.Duration
	var memLat, redLat []time.Duration
	rounds := 0
	for b.Loop() {
		var d time.Duration
		d, memLat = round(mem.URL, memLat)
		memTime += d
		d, redLat = round(red.URL, redLat)
		redTime += d
		rounds++
	}
	n := float64(rounds * clients * perClient)
	p99 := func(l []time.Duration) float64 {
		slices.Sort(l)
		return float64(l[min(len(l)-1, len(l)*99/100)].Microseconds()) / 1000
	}
	memRate, redRate := n/memTime.Seconds(), n/redTime.Seconds()
	b.ReportMetric(memRate, "memory-req/s")
	b.ReportMetric(redRate, "redis-req/s")
	b.ReportMetric(redRate/memRate, "redis/memory-req/s")
	mp, rp := p99(memLat), p99(redLat)
	b.ReportMetric(mp, "memory-p99-ms")
	b.ReportMetric(rp, "redis-p99-ms")
	b.ReportMetric(rp/mp, "redis/memory-p99")
}
