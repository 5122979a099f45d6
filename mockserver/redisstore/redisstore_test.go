package redisstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/flashback/revoke-contract/internal/redistest"
	"github.com/flashback/revoke-contract/mockserver/journal"
	"github.com/flashback/revoke-contract/mockserver/scenario"
	"github.com/flashback/revoke-contract/mockserver/store"
)

// replica opens a store on srv as one replica of a mock would.
func replica(t *testing.T, url, prefix string, mode store.Mode, seed ...store.Seed) *Store {
	t.Helper()
	// A generous timeout: a loaded CI machine is slow; a stopped Redis
	// refuses connections at once.
	s, err := Open(context.Background(), Config{URL: url, Prefix: prefix, Mode: mode, Seed: seed, JournalSize: 50, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func client(t *testing.T, srv *redistest.Server) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(srv.URL(0))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

func lookup(t *testing.T, s *Store, token string) (store.Status, string) {
	t.Helper()
	st, user, err := s.Lookup(token)
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	return st, user
}

func mint(t *testing.T, s *Store, user string) string {
	t.Helper()
	tok, err := s.Mint(user)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func jwt(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(claims)) + ".c2ln"
}

// TestReplicasShareSessions: a session minted on A is live on B with its
// user; a revoke-all on B kills every session of that user on A, leaves
// other users alone; an opaque lazy token revoked on A is revoked on B; a
// JWT issued before its user's revoke-all is refused on the other replica,
// one issued after is accepted; a replica starting later does not revive a
// revoked seeded token.
func TestReplicasShareSessions(t *testing.T) {
	srv := redistest.Start(t, false)
	seed := store.Seed{User: "seeded", Token: "seeded-token-1"}
	a := replica(t, srv.URL(0), "", store.Lazy, seed)
	b := replica(t, srv.URL(0), "", store.Lazy, seed)

	laptop, phone, bob := mint(t, a, "alice"), mint(t, b, "alice"), mint(t, a, "bob")
	if st, u := lookup(t, b, laptop); st != store.Live || u != "alice" {
		t.Fatalf("a token minted on A, looked up on B: %v %q, want live alice", st, u)
	}
	if err := b.RevokeUser(phone); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{laptop, phone} {
		if st, _ := lookup(t, a, tok); st != store.Revoked {
			t.Errorf("after a revoke-all on B, alice's token on A is %v, want revoked", st)
		}
	}
	if st, _ := lookup(t, a, bob); st != store.Live {
		t.Errorf("bob's session after alice's revoke-all: %v, want live", st)
	}
	if st, _ := lookup(t, b, mint(t, a, "alice")); st != store.Live {
		t.Errorf("a new session of alice after her revoke-all: %v, want live", st)
	}

	if st, _ := lookup(t, a, "opaque-token-1"); st != store.Live {
		t.Fatalf("an unseen opaque token in mode lazy: %v", st)
	}
	if err := a.RevokeUser("opaque-token-1"); err != nil {
		t.Fatal(err)
	}
	if st, _ := lookup(t, b, "opaque-token-1"); st != store.Revoked {
		t.Errorf("an opaque token revoked on A, on B: %v, want revoked", st)
	}

	now := time.Now().Unix()
	old := jwt(fmt.Sprintf(`{"sub":"carol","iat":%d}`, now-3600))
	other := jwt(fmt.Sprintf(`{"sub":"carol","iat":%d,"jti":"x"}`, now-3600))
	if st, u := lookup(t, a, old); st != store.Live || u != "carol" {
		t.Fatalf("carol's JWT: %v %q", st, u)
	}
	if err := a.RevokeUser(old); err != nil {
		t.Fatal(err)
	}
	if st, _ := lookup(t, b, other); st != store.Revoked {
		t.Errorf("a JWT never seen, issued before its user's revoke-all on A, on B: %v, want revoked", st)
	}
	if st, _ := lookup(t, b, jwt(fmt.Sprintf(`{"sub":"carol","iat":%d}`, now+3600))); st != store.Live {
		t.Errorf("a JWT issued after the revoke-all: %v, want live", st)
	}

	if err := a.RevokeUser(seed.Token); err != nil {
		t.Fatal(err)
	}
	c := replica(t, srv.URL(0), "", store.Lazy, seed)
	if st, _ := lookup(t, c, seed.Token); st != store.Revoked {
		t.Errorf("a replica started after the seeded token was revoked revived it: %v", st)
	}

	issued := replica(t, srv.URL(0), "issued:", store.Issued)
	if st, _ := lookup(t, issued, "never-minted"); st != store.Unknown {
		t.Errorf("an unknown token in mode issued: %v, want unknown", st)
	}
}

// TestConcurrentRevokeAllsLeaveNoSession: alice's sessions are revoked
// with different tokens on A and on B at the same time, over and over;
// every session minted before is dead on both replicas each time.
func TestConcurrentRevokeAllsLeaveNoSession(t *testing.T) {
	srv := redistest.Start(t, false)
	a := replica(t, srv.URL(0), "", store.Issued)
	b := replica(t, srv.URL(0), "", store.Issued)
	for round := range 20 {
		var toks []string
		for i := range 10 {
			r := a
			if i%2 == 1 {
				r = b
			}
			toks = append(toks, mint(t, r, "alice"))
		}
		var wg sync.WaitGroup
		for i, r := range []*Store{a, b, a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := r.RevokeUser(toks[i]); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		for _, r := range []*Store{a, b} {
			for i, tok := range toks {
				if st, _ := lookup(t, r, tok); st != store.Revoked {
					t.Fatalf("round %d: session %d of alice is %v after concurrent revoke-alls, want revoked", round, i, st)
				}
			}
		}
	}
}

// TestScenarioTimesOneFiresOnceAcrossReplicas: 40 requests race on two
// replicas for a scenario of 3 uses: exactly 3 get it, and it is gone.
func TestScenarioTimesOneFiresOnceAcrossReplicas(t *testing.T) {
	srv := redistest.Start(t, false)
	a := replica(t, srv.URL(0), "", store.Lazy).Scenarios()
	b := replica(t, srv.URL(0), "", store.Lazy).Scenarios()
	for _, times := range []int{1, 3} {
		sc, err := a.TryAdd(scenario.Scenario{Method: "POST", Path: "/x", Status: "500", Times: times})
		if err != nil {
			t.Fatal(err)
		}
		var got atomic.Int64
		var wg sync.WaitGroup
		for i := range 40 {
			r := a
			if i%2 == 1 {
				r = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, ok, err := r.TryTake(scenario.Request{Method: "POST", Path: "/x"})
				if err != nil {
					t.Error(err)
				}
				if ok {
					if s.ID != sc.ID || s.Status != "500" {
						t.Errorf("took %+v, want %s", s, sc.ID)
					}
					got.Add(1)
				}
			}()
		}
		wg.Wait()
		if got.Load() != int64(times) {
			t.Errorf("a scenario of %d uses decided %d requests across two replicas", times, got.Load())
		}
		if list, err := b.TryList(); err != nil || len(list) != 0 {
			t.Errorf("after its uses: %v %v, want no scenario", list, err)
		}
	}

	first, _ := a.TryAdd(scenario.Scenario{Method: "GET", Path: "/y", Status: "500", Fault: scenario.Reset})
	second, _ := b.TryAdd(scenario.Scenario{Method: "GET", Path: "/y", Status: "401", Times: 2})
	if !a.HasFaults() {
		t.Error("HasFaults after adding a fault scenario on this replica: false")
	}
	list, err := b.TryList()
	if err != nil || len(list) != 2 || list[0].ID != first.ID || list[1].ID != second.ID || list[0].Remaining != -1 || list[1].Remaining != 2 {
		t.Fatalf("the list on B: %+v %v, want %s (until deleted) then %s (2 uses)", list, err, first.ID, second.ID)
	}
	if !b.HasFaults() {
		t.Error("HasFaults on B after listing a fault scenario added on A: false")
	}
	if ok, err := b.TryDelete(first.ID); !ok || err != nil {
		t.Fatalf("delete %s: %v %v", first.ID, ok, err)
	}
	if ok, _ := a.TryDelete(first.ID); ok {
		t.Error("a scenario deleted twice")
	}
	if s, ok, _ := a.TryTake(scenario.Request{Method: "GET", Path: "/y"}); !ok || s.ID != second.ID || s.Remaining != 1 {
		t.Errorf("take after the delete: %+v %v", s, ok)
	}
	if err := a.TryClear(); err != nil {
		t.Fatal(err)
	}
	if list, _ := b.TryList(); len(list) != 0 {
		t.Errorf("after Clear: %+v", list)
	}
}

// TestJournalShowsBothReplicas: entries written by A and B are listed by
// either, newest first, filtered, and capped at the journal's size.
func TestJournalShowsBothReplicas(t *testing.T) {
	srv := redistest.Start(t, false)
	a, b := replica(t, srv.URL(0), "", store.Lazy).Journal(), replica(t, srv.URL(0), "", store.Lazy).Journal()
	for i := range 60 {
		j, who := a, "a"
		if i%2 == 1 {
			j, who = b, "b"
		}
		if err := j.TryAdd(journal.Entry{Time: time.Now(), Method: "POST", Path: "/p", Status: 200 + i%2, Decision: who, Duration: time.Millisecond}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := a.TryList(journal.Filter{})
	if err != nil || len(all) != 50 {
		t.Fatalf("the journal: %d entries, %v; want the 50 it keeps", len(all), err)
	}
	seen := map[string]int{}
	for i, e := range all {
		seen[e.Decision]++
		if i > 0 && all[i-1].Seq <= e.Seq {
			t.Fatalf("not newest first: %d then %d", all[i-1].Seq, e.Seq)
		}
		if e.Duration != time.Millisecond {
			t.Fatalf("duration %v, want 1ms", e.Duration)
		}
	}
	if seen["a"] != 25 || seen["b"] != 25 {
		t.Errorf("entries by replica: %v, want 25 each", seen)
	}
	if got, _ := b.TryList(journal.Filter{Status: 201, Limit: 3}); len(got) != 3 || got[0].Decision != "b" {
		t.Errorf("filtered: %+v", got)
	}
	if err := b.TryClear(); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.TryList(journal.Filter{}); len(got) != 0 {
		t.Errorf("after Clear on B, A lists %d entries", len(got))
	}
}

// TestNoTokenInRedis: whatever a run did, no key or value in Redis holds a
// token, nor 12 characters in a row of one.
func TestNoTokenInRedis(t *testing.T) {
	srv := redistest.Start(t, false)
	s := replica(t, srv.URL(0), "", store.Lazy, store.Seed{User: "seeded", Token: "seeded-token-abcdefghijkl"})
	tokens := []string{mint(t, s, "alice"), mint(t, s, "bob"), "opaque-token-abcdefghijkl",
		jwt(`{"sub":"dave","iat":1700000000}`), "seeded-token-abcdefghijkl"}
	for _, tok := range tokens {
		lookup(t, s, tok)
	}
	if err := s.RevokeUser(tokens[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeUser(tokens[2]); err != nil {
		t.Fatal(err)
	}
	_ = s.Journal().TryAdd(journal.Entry{Method: "POST", Path: "/p", Headers: "Authorization: Bearer fp:0123"})
	dump := dumpAll(t, client(t, srv))
	if !strings.Contains(dump, digest(tokens[1])) {
		t.Fatalf("the dump holds no digest of a live session: the search below proves nothing:\n%.500s", dump)
	}
	for _, tok := range tokens {
		for i := 0; i+12 <= len(tok); i++ {
			if strings.Contains(dump, tok[i:i+12]) {
				t.Errorf("Redis holds 12 characters in a row of a token (from character %d)", i+1)
				break
			}
		}
	}
}

// dumpAll is every key and value in the server, as text.
func dumpAll(t *testing.T, c *redis.Client) string {
	t.Helper()
	ctx := context.Background()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "\n")
		switch c.Type(ctx, k).Val() {
		case "string":
			v, _ := c.Get(ctx, k).Result()
			b.WriteString(v + "\n")
		case "set":
			v, _ := c.SMembers(ctx, k).Result()
			b.WriteString(strings.Join(v, "\n") + "\n")
		case "hash":
			v, _ := c.HGetAll(ctx, k).Result()
			data, _ := json.Marshal(v)
			b.Write(data)
		case "list":
			v, _ := c.LRange(ctx, k, 0, -1).Result()
			b.WriteString(strings.Join(v, "\n") + "\n")
		}
	}
	return b.String()
}

// TestEveryKeyExpires: no key is left without a TTL, so an abandoned
// prefix disappears; sessions expire sooner than the state.
func TestEveryKeyExpires(t *testing.T) {
	srv := redistest.Start(t, false)
	s := replica(t, srv.URL(0), "", store.Lazy)
	tok := mint(t, s, "alice")
	mint(t, s, "alice")
	lookup(t, s, "opaque-token")
	lookup(t, s, jwt(`{"sub":"erin"}`))
	_ = s.RevokeUser(tok)
	_, _ = s.Scenarios().TryAdd(scenario.Scenario{Method: "GET", Path: "/x"})
	_ = s.Journal().TryAdd(journal.Entry{Method: "GET"})
	s.Check()
	c := client(t, srv)
	keys, _ := c.Keys(context.Background(), "*").Result()
	if len(keys) < 10 {
		t.Fatalf("only %d keys: %v", len(keys), keys)
	}
	for _, k := range keys {
		ttl := c.PTTL(context.Background(), k).Val()
		want := DefaultStateTTL
		if strings.HasPrefix(k, DefaultPrefix+"s:") || strings.HasPrefix(k, DefaultPrefix+"u:") {
			want = DefaultSessionTTL
		}
		if ttl <= 0 || ttl > want {
			t.Errorf("%s: TTL %v, want at most %v and more than 0", k, ttl, want)
		}
	}
}

// TestResetClearsOnlyItsPrefix: a reset under one prefix (glob characters
// in it) leaves another prefix and foreign keys alone, and restores seeds.
func TestResetClearsOnlyItsPrefix(t *testing.T) {
	srv := redistest.Start(t, false)
	seed := store.Seed{User: "seeded", Token: "seeded-token-2"}
	mine := replica(t, srv.URL(0), "team[a]*:", store.Issued, seed)
	theirs := replica(t, srv.URL(0), "team-ab:", store.Issued)
	c := client(t, srv)
	c.Set(context.Background(), "team-foreign", "x", 0)
	a, b := mint(t, mine, "alice"), mint(t, theirs, "alice")
	_ = mine.RevokeUser(seed.Token)
	if err := mine.Clear(); err != nil {
		t.Fatal(err)
	}
	if st, _ := lookup(t, mine, a); st != store.Unknown {
		t.Errorf("a session after the reset: %v, want unknown", st)
	}
	if st, _ := lookup(t, mine, seed.Token); st != store.Live {
		t.Errorf("the seeded session after the reset: %v, want live again", st)
	}
	if st, _ := lookup(t, theirs, b); st != store.Live {
		t.Errorf("another prefix's session after a reset: %v, want live", st)
	}
	if c.Get(context.Background(), "team-foreign").Val() != "x" {
		t.Error("a reset deleted a key outside its prefix")
	}
}

// TestUnreachableAtStart: Open fails, naming the store, never its password.
func TestUnreachableAtStart(t *testing.T) {
	srv := redistest.Start(t, false)
	srv.Kill()
	_, err := Open(context.Background(), Config{URL: "redis://:hunter2secret@" + srv.Addr + "/0", Mode: store.Lazy, Timeout: 2 * time.Second})
	if err == nil {
		t.Fatal("Open on a stopped Redis succeeded")
	}
	if !strings.Contains(err.Error(), srv.Addr) || strings.Contains(err.Error(), "hunter2secret") {
		t.Errorf("the error should name the store without its password: %v", err)
	}
}

// TestRedisLostWhileRunning: Redis killed: calls fail (never a status), and
// the status says so; restarted with its data, service resumes by itself
// and revocations hold.
func TestRedisLostWhileRunning(t *testing.T) {
	srv := redistest.Start(t, true)
	a := replica(t, srv.URL(0), "", store.Issued)
	b := replica(t, srv.URL(0), "", store.Issued)
	live, dead := mint(t, a, "alice"), mint(t, a, "bob")
	if err := b.RevokeUser(dead); err != nil {
		t.Fatal(err)
	}
	if st, _ := lookup(t, a, dead); st != store.Revoked {
		t.Fatalf("revoked before the restart: %v", st)
	}
	srv.Kill()
	_, _, err := a.Lookup(live)
	var down *store.UnavailableError
	if !errors.As(err, &down) || down.Lost || !strings.Contains(err.Error(), srv.Addr) {
		t.Fatalf("a lookup with Redis down: %v, want an UnavailableError naming %s", err, srv.Addr)
	}
	if err := a.RevokeUser(live); !errors.As(err, &down) {
		t.Fatalf("a revoke with Redis down: %v", err)
	}
	b.Check()
	if st := b.Status(); st.OK || st.Error == "" {
		t.Errorf("the status with Redis down: %+v", st)
	}
	srv.Restart()
	if st, _ := lookup(t, a, live); st != store.Live {
		t.Errorf("after the restart, the live session: %v", st)
	}
	if st, _ := lookup(t, b, dead); st != store.Revoked {
		t.Errorf("after the restart, the revoked session: %v", st)
	}
	b.Check()
	if st := b.Status(); !st.OK {
		t.Errorf("the status after the restart: %+v", st)
	}
}

// TestDataLossIsReported: Redis restarted empty is not a clean slate: both
// replicas, and one started afterwards, refuse to answer until a reset.
func TestDataLossIsReported(t *testing.T) {
	srv := redistest.Start(t, false)
	a := replica(t, srv.URL(0), "", store.Lazy)
	b := replica(t, srv.URL(0), "", store.Lazy)
	tok := mint(t, a, "alice")
	_ = a.RevokeUser(tok)
	srv.Kill()
	srv.Restart()
	var down *store.UnavailableError
	_, _, err := a.Lookup(tok)
	if !errors.As(err, &down) || !down.Lost {
		t.Fatalf("a revoked token looked up after Redis lost its data: %v, want a loss", err)
	}
	if _, err := b.Mint("bob"); !errors.As(err, &down) || !down.Lost {
		t.Fatalf("a mint on the other replica: %v, want a loss", err)
	}
	b.Check()
	if st := b.Status(); st.OK || !st.Lost {
		t.Errorf("B's status: %+v, want lost", st)
	}
	late := replica(t, srv.URL(0), "", store.Lazy)
	if _, _, err := late.Lookup(tok); !errors.As(err, &down) || !down.Lost {
		t.Errorf("a replica started after the loss: %v, want a loss", err)
	}
	if err := b.Clear(); err != nil {
		t.Fatal(err)
	}
	if st, _ := lookup(t, a, tok); st != store.Live {
		t.Errorf("after a reset on B, A: %v, want live (everything forgotten, as a reset does)", st)
	}
	a.Check()
	if st := a.Status(); !st.OK || st.Lost {
		t.Errorf("A's status after the reset: %+v", st)
	}

	// A replica that started on the empty Redis before anyone noticed:
	// the others see a start epoch that is not theirs.
	srv.Kill()
	srv.Restart()
	_ = replica(t, srv.URL(0), "", store.Lazy)
	if _, _, err := a.Lookup(tok); !errors.As(err, &down) || !down.Lost {
		t.Errorf("after a replica started on the emptied Redis: %v, want a loss", err)
	}
}

// TestTLSWithPassword: rediss:// reaches a Redis that speaks TLS only and
// requires a password given apart from the URL (REVOKE_MOCK_REDIS_PASSWORD).
func TestTLSWithPassword(t *testing.T) {
	srv := redistest.StartTLS(t, "--requirepass", "tls-pw-1")
	url := srv.URL(0) + "?skip_verify=true"
	if _, err := Open(context.Background(), Config{URL: url, Mode: store.Issued, Timeout: 30 * time.Second}); err == nil {
		t.Fatal("Open without the password succeeded")
	}
	s, err := Open(context.Background(), Config{URL: url, Password: "tls-pw-1", Mode: store.Issued, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tok := mint(t, s, "alice")
	if st, u := lookup(t, s, tok); st != store.Live || u != "alice" {
		t.Errorf("over TLS: %v %q", st, u)
	}
	if _, err := Open(context.Background(), Config{URL: "redis://" + srv.Addr + "/0", Password: "tls-pw-1", Mode: store.Issued, Timeout: 2 * time.Second}); err == nil {
		t.Error("plain redis:// to a TLS-only port succeeded")
	}
}

// capped opens a store with a cap on live sessions.
func capped(t *testing.T, url string, mode store.Mode, maxSessions int) *Store {
	t.Helper()
	s, err := Open(context.Background(), Config{URL: url, Mode: mode, MaxSessions: maxSessions, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// liveSessions counts the session keys in Redis.
func liveSessions(t *testing.T, c *redis.Client) int {
	t.Helper()
	n := 0
	iter := c.Scan(context.Background(), 0, DefaultPrefix+"s:*", 1000).Iterator()
	for iter.Next(context.Background()) {
		n++
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMaxSessionsOldestForgottenFirst: with --max-sessions 3, the oldest
// sessions are forgotten (unknown in mode issued, never revoked), the
// newest stay live, and a revoke-all still reaches a user's live ones.
func TestMaxSessionsOldestForgottenFirst(t *testing.T) {
	srv := redistest.Start(t, false)
	s := capped(t, srv.URL(0), store.Issued, 3)
	var toks []string
	for i := range 5 {
		toks = append(toks, mint(t, s, fmt.Sprint("user-", i%2)))
	}
	for i, want := range []store.Status{store.Unknown, store.Unknown, store.Live, store.Live, store.Live} {
		if got, _ := lookup(t, s, toks[i]); got != want {
			t.Errorf("session %d of 5 (cap 3): %v, want %v", i+1, got, want)
		}
	}
	if n := liveSessions(t, client(t, srv)); n != 3 {
		t.Errorf("%d session keys in Redis, want 3", n)
	}
	if err := s.RevokeUser(toks[4]); err != nil { // user-0: sessions 1 (forgotten), 3 and 5
		t.Fatal(err)
	}
	for i, want := range []store.Status{store.Unknown, store.Unknown, store.Revoked, store.Live, store.Revoked} {
		if got, _ := lookup(t, s, toks[i]); got != want {
			t.Errorf("after user-0's revoke-all, session %d: %v, want %v", i+1, got, want)
		}
	}
}

// TestRevokedNeverComesBackCapped is store.TestRevokedNeverComesBack on
// Redis, smaller (every call is a round trip): with a cap of 50 live
// sessions, a revoked opaque token and a revoked JWT are refused after
// 2000 other distinct tokens, half of them revoked, and so is a JWT never
// seen, issued before its user's revoke-all, although the user's logout
// time was forgotten on the way (the floor). Redis holds at most 50
// sessions and 50 logout times.
func TestRevokedNeverComesBackCapped(t *testing.T) {
	srv := redistest.Start(t, false)
	s := capped(t, srv.URL(0), store.Lazy, 50)
	const victim = "revoked-before-two-thousand-others"
	hourAgo := time.Now().Add(-time.Hour).Unix()
	jwtVictim := jwt(fmt.Sprintf(`{"sub":"victim","iat":%d}`, hourAgo))
	for _, tok := range []string{victim, jwtVictim} {
		if st, _ := lookup(t, s, tok); st != store.Live {
			t.Fatalf("%.20s...: %v on first use, want live", tok, st)
		}
		if err := s.RevokeUser(tok); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2000 {
		tok := fmt.Sprint("another-distinct-token-", i)
		if i%4 == 1 { // JWT users too, so that logout times overflow; issued after every logout
			tok = jwt(fmt.Sprintf(`{"sub":"other-%d","iat":%d}`, i, hourAgo+2*3600))
		}
		if st, _ := lookup(t, s, tok); st != store.Live {
			t.Fatalf("token %d, never seen before, is %v", i, st)
		}
		if i%2 == 1 {
			if err := s.RevokeUser(tok); err != nil {
				t.Fatal(err)
			}
		}
	}
	unseen := jwt(fmt.Sprintf(`{"sub":"victim","iat":%d,"jti":"never-seen"}`, hourAgo))
	for _, tok := range []string{victim, jwtVictim, unseen} {
		if st, _ := lookup(t, s, tok); st != store.Revoked {
			t.Errorf("%.20s...: %v after 2000 other tokens, want revoked", tok, st)
		}
	}
	c := client(t, srv)
	if n := liveSessions(t, c); n > 50 {
		t.Errorf("%d session keys in Redis, over the cap of 50", n)
	}
	if n := c.HLen(context.Background(), DefaultPrefix+"logouts").Val(); n > 50 {
		t.Errorf("%d logout times in Redis, over the cap of 50", n)
	}
}
