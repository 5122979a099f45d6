package journal

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRingKeepsTheNewestNewestFirst(t *testing.T) {
	r := NewRing(3)
	for i := 1; i <= 5; i++ {
		r.Add(Entry{Method: "POST", Path: fmt.Sprintf("/p%d", i)})
	}
	got := r.List(Filter{})
	if len(got) != 3 || got[0].Path != "/p5" || got[1].Path != "/p4" || got[2].Path != "/p3" {
		t.Fatalf("List = %+v, want /p5, /p4, /p3", got)
	}
	r.Clear()
	if got := r.List(Filter{}); len(got) != 0 {
		t.Fatalf("List after Clear = %+v", got)
	}
	r.Add(Entry{Path: "/after"})
	if got := r.List(Filter{}); len(got) != 1 || got[0].Path != "/after" {
		t.Fatalf("List after Clear and Add = %+v", got)
	}
}

func TestFilters(t *testing.T) {
	r := NewRing(10)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r.Add(Entry{Time: t0, Method: "POST", Path: "/a", Status: 200, Operation: "op-a"})
	r.Add(Entry{Time: t0.Add(time.Second), Method: "GET", Path: "/a", Status: 405})
	r.Add(Entry{Time: t0.Add(2 * time.Second), Method: "POST", Path: "/b", Status: 401, Operation: "op-b"})
	r.Add(Entry{Time: t0.Add(3 * time.Second), Method: "POST", Path: "/a", Status: 500, Operation: "op-a"})
	for _, c := range []struct {
		f    Filter
		want string
	}{
		{Filter{Method: "POST"}, "/a 500,/b 401,/a 200"},
		{Filter{Path: "/a"}, "/a 500,/a 405,/a 200"},
		{Filter{Status: 401}, "/b 401"},
		{Filter{Operation: "op-a"}, "/a 500,/a 200"},
		{Filter{Since: t0.Add(2 * time.Second)}, "/a 500,/b 401"},
		{Filter{Limit: 2}, "/a 500,/b 401"},
		{Filter{Method: "DELETE"}, ""},
	} {
		var got []string
		for _, e := range r.List(c.f) {
			got = append(got, fmt.Sprintf("%s %d", e.Path, e.Status))
		}
		if strings.Join(got, ",") != c.want {
			t.Errorf("%+v: got %q, want %q", c.f, strings.Join(got, ","), c.want)
		}
	}
}

// TestConcurrentAdds: writers never lose the newest entries and readers
// see consistent ones (run under -race in make test).
func TestConcurrentAdds(t *testing.T) {
	r := NewRing(64)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				r.Add(Entry{Method: "POST", Path: "/p"})
				if i%100 == 0 {
					r.List(Filter{Limit: 5})
				}
			}
		}()
	}
	wg.Wait()
	got := r.List(Filter{})
	if len(got) != 64 {
		t.Fatalf("%d entries kept, want the ring's 64", len(got))
	}
	if got[0].Seq != 8*500 || got[63].Seq != 8*500-63 {
		t.Fatalf("kept Seq %d..%d, want the newest 64 (%d..%d)", got[63].Seq, got[0].Seq, 8*500-63, 8*500)
	}
}

// TestRingAcrossChunks: a ring of several chunks makes them as entries
// reach them, and keeps exactly the newest size entries once it wraps.
func TestRingAcrossChunks(t *testing.T) {
	const size = 2*ringChunk + 44
	r := NewRing(size)
	for i := 1; i <= ringChunk+1; i++ {
		r.Add(Entry{Path: fmt.Sprintf("/p%d", i)})
	}
	if r.chunks[1].Load() == nil || r.chunks[2].Load() != nil {
		t.Fatalf("after %d entries want chunks 0 and 1 made, 2 not", ringChunk+1)
	}
	for i := ringChunk + 2; i <= 3*size+7; i++ {
		r.Add(Entry{Path: fmt.Sprintf("/p%d", i)})
	}
	got := r.List(Filter{})
	if len(got) != size {
		t.Fatalf("%d entries kept, want %d", len(got), size)
	}
	for k, e := range got {
		if want := fmt.Sprintf("/p%d", 3*size+7-k); e.Path != want || e.Seq != uint64(3*size+7-k) {
			t.Fatalf("entry %d: %s (seq %d), want %s", k, e.Path, e.Seq, want)
		}
	}
}

func TestRedactorNeverKeepsACredential(t *testing.T) {
	red := NewRedactor()
	const token = "abcdEFGH1234-secret-token"
	h := http.Header{
		"Authorization": {"Bearer " + token},
		"Cookie":        {"sid=" + token},
		"X-Api-Key":     {token},
		"Accept":        {"application/json"},
	}
	got := red.Headers(h)
	var names []string
	for _, kv := range got {
		names = append(names, kv.Name)
		for i := 4; i <= len(token); i++ {
			for j := 0; j+i <= len(token); j += i {
				if strings.Contains(kv.Value, token[j:j+i]) {
					t.Fatalf("%s: %q keeps %q, a part of the credential", kv.Name, kv.Value, token[j:j+i])
				}
			}
		}
	}
	if strings.Join(names, ",") != "Accept,Authorization,Cookie,X-Api-Key" {
		t.Errorf("headers = %v, want sorted by name", names)
	}
	auth := got[1].Value
	if !strings.HasPrefix(auth, "Bearer fp:") || len(auth) != len("Bearer fp:12345678") {
		t.Errorf("Authorization = %q, want Bearer fp:<8 hex>", auth)
	}
	if again := red.Credential("bearer " + token); again != "bearer"+auth[len("Bearer"):] {
		t.Errorf("the same token has fingerprint %q, then %q", auth, again)
	}
	if other := red.Credential("Bearer other"); other == auth {
		t.Error("two tokens share a fingerprint")
	}
	if NewRedactor().Credential("Bearer "+token) == auth {
		t.Error("two processes share fingerprints: the key must be random")
	}
	for _, c := range []struct{ in, want, secret string }{
		{"", "", ""},
		{"Bearer", "fp:", "Bearer"},
		{"Bearer    ", "fp:", "Bearer"},
		{"Bear\x00er tok", "fp:", "tok"},
		{"Basic dXNlcjpw", "Basic fp:", "dXNlcjpw"},
	} {
		got := red.Credential(c.in)
		if !strings.HasPrefix(got, c.want) || (c.secret != "" && strings.Contains(got, c.secret)) {
			t.Errorf("Credential(%q) = %q, want %q and a fingerprint", c.in, got, c.want)
		}
	}
}

func TestRedactQuery(t *testing.T) {
	red := NewRedactor()
	got := red.Query("access_token=s3cret&page=2&api_key=k3y&flag&code=xyz&X-Amz-Signature=sig1")
	for _, secret := range []string{"s3cret", "k3y", "xyz", "sig1"} {
		if strings.Contains(got, secret) {
			t.Errorf("Query kept %q: %s", secret, got)
		}
	}
	if !strings.Contains(got, "page=2&") || !strings.HasPrefix(got, "access_token=fp:") || !strings.Contains(got, "&flag&") {
		t.Errorf("Query = %s, want the other parameters as sent", got)
	}
}

// TestFingerprintCacheAgreesWithTheComputation: a cached fingerprint is
// the computed one, for many credentials racing for few slots (run under
// -race in make test).
func TestFingerprintCacheAgreesWithTheComputation(t *testing.T) {
	red := NewRedactor()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				secret := fmt.Sprintf("token-%d", i%700)
				want := string(red.fingerprint(nil, secret))
				if got := red.Fingerprint(secret); got != want {
					t.Errorf("Fingerprint(%s) = %s, computed %s", secret, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestHeadersTextAgreesWithAppendHeaders: the cached text of a header set
// is the text AppendHeaders writes for it, for answers and for requests,
// over random sets drawn from a small alphabet (so that sets repeat, and
// differ from a cached one by one value, one name, one credential or one
// field more), from several goroutines at once, and after a cached set's
// values were changed in place.
func TestHeadersTextAgreesWithAppendHeaders(t *testing.T) {
	r := NewRedactor()
	names := []string{"Content-Type", "Vary", "Cache-Control", "Www-Authenticate", "Set-Cookie", "X-Api-Key", "Content-Length", "Authorization"}
	values := []string{"a", "b", "Bearer realm=\"x\"", "no-store", "s=1", "Origin", "62", "Bearer tok-1", "Bearer tok-2", "Basic dXNlcjpw"}
	for _, cached := range []struct {
		name string
		text func(http.Header) string
	}{{"HeadersText", r.HeadersText}, {"RequestHeadersText", r.RequestHeadersText}} {
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(g), 7))
				for range 3000 {
					h := http.Header{}
					for range rng.IntN(5) {
						name := names[rng.IntN(len(names))]
						for range 1 + rng.IntN(2) {
							h[name] = append(h[name], values[rng.IntN(len(values))])
						}
					}
					if got, want := cached.text(h), string(r.AppendHeaders(nil, h)); got != want {
						t.Errorf("%s(%v) = %q, want %q", cached.name, h, got, want)
						return
					}
				}
			}()
		}
		wg.Wait()
		h := http.Header{"Vary": {"Origin"}, "Cache-Control": {"no-store"}}
		first := cached.text(h)
		_ = cached.text(h)      // cached the second time
		h["Vary"][0] = "Accept" // the same map and slice, another value
		if got, want := cached.text(h), string(r.AppendHeaders(nil, h)); got != want || got == first {
			t.Fatalf("%s after a value changed in place: %q, want %q (not %q)", cached.name, got, want, first)
		}
		// The same names with another credential: another text.
		a, b := http.Header{"Authorization": {"Bearer first-token"}}, http.Header{"Authorization": {"Bearer second-token"}}
		for range 3 {
			if got, want := cached.text(a), string(r.AppendHeaders(nil, a)); got != want {
				t.Fatalf("%s(%v) = %q, want %q", cached.name, a, got, want)
			}
			if got, want := cached.text(b), string(r.AppendHeaders(nil, b)); got != want {
				t.Fatalf("%s(%v) = %q, want %q", cached.name, b, got, want)
			}
		}
		big := http.Header{}
		for i := range maxCachedFields + 1 {
			big[fmt.Sprintf("X-F%d", i)] = []string{"v"}
		}
		if got, want := cached.text(big), string(r.AppendHeaders(nil, big)); got != want {
			t.Fatalf("%s of a large set: %q, want %q", cached.name, got, want)
		}
	}
	// The caches never hold a secret's value, only its seeded hash: a set
	// with credentials is cached, and nothing of the credential is kept.
	const secret = "s3cret-value-of-a-credential"
	creds := http.Header{"Set-Cookie": {"session=" + secret}, "Authorization": {"Bearer " + secret}, "Vary": {"Origin"}}
	for range 3 {
		_ = r.HeadersText(creds)
		_ = r.RequestHeadersText(creds)
	}
	kept := 0
	for _, c := range []*textCache{&r.answers, &r.requests} {
		for i := range c.slots {
			e := c.slots[i].Load()
			if e == nil {
				continue
			}
			if strings.Contains(e.text, "s3cret") {
				t.Fatalf("a cached text keeps the secret: %q", e.text)
			}
			for _, f := range e.fields {
				if strings.Contains(strings.Join(f.values, ","), "s3cret") {
					t.Fatalf("the cache kept a secret's value: %+v", f)
				}
				if f.name == "Set-Cookie" || f.name == "Authorization" {
					kept++
					if !f.secret || f.values != nil || len(f.hashes) != 1 {
						t.Fatalf("a secret header is not kept as a hash: %+v", f)
					}
				}
			}
		}
	}
	if kept == 0 {
		t.Fatal("the set with credentials was never cached: the check above checked nothing")
	}
}

// TestTextMemo: every caller gets the text formatted for the first, from
// several goroutines at once, and it is formatted once when nobody races.
func TestTextMemo(t *testing.T) {
	var m TextMemo
	var formatted atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if got := m.Get(func() string { formatted.Add(1); return "Vary: Origin" }); got != "Vary: Origin" {
					t.Errorf("Get = %q", got)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := formatted.Load(); n < 1 || n > 8 {
		t.Errorf("formatted %d times by 8 goroutines", n)
	}
	var once TextMemo
	calls := 0
	for range 3 {
		_ = once.Get(func() string { calls++; return "x" })
	}
	if calls != 1 {
		t.Errorf("a memo without a race formatted %d times", calls)
	}
}
