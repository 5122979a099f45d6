// Package redisstore keeps the mock's state in Redis, so that several
// replicas of one mock (a team's shared mock behind a load balancer) share
// sessions and revocations, scenarios and the journal. Redis is the
// distributed engine: every change is one Lua script, atomic on the server,
// so two replicas never interleave inside a revoke-all or inside the spending
// of a scenario's use. Nothing here replicates or agrees on anything itself.
//
// The keys, all under the prefix (default "revoke-mock:"):
//
//	epoch           "start:<id>", "reset:<id>" or "lost:<id>": whose data this is (below)
//	s:<sha256>      a live session: its user key ("user:<name>", or "token" for an
//	                opaque lazy token, its own user); sliding SessionTTL
//	u:<user key>    the digests of a user's live sessions (a set); sliding SessionTTL
//	revoked         a Bloom filter (a bitmap of 2^27 bits, 16 MiB at most) of the
//	                digests of every revoked token; StateTTL
//	order, order:seq the live sessions' digests by age (a sorted set, numbered by the
//	                counter): past MaxSessions the oldest are forgotten (not revoked)
//	logouts         user key -> the time of their last revoke-all, in ms (a hash); StateTTL
//	logouts:order   the same users by that time (a sorted set), at most
//	                min(MaxSessions, store.MaxLogoutTimes); StateTTL
//	logouts:floor   the latest logout time forgotten: a JWT of a user not in logouts
//	                issued before it is refused; StateTTL
//	sc, sc:left     scenario id -> its JSON, and -> its remaining uses (hashes); StateTTL
//	sc:seq, j:seq   the counters of scenario ids and journal entries; StateTTL
//	j               the journal, newest first, capped at the journal size (a list); StateTTL
//
// Tokens are never stored: a session is known by the SHA-256 of its token
// (hex), and so is a revocation. User names are stored as given (a minted
// session's user, a JWT's userId or sub claim).
//
// TTLs: sessions expire SessionTTL (24 h) after their last use. Everything
// else is state that every running replica refreshes (Watch), so nothing
// of it is forgotten while a replica runs, and all of it expires StateTTL
// (30 days) after the last replica stopped: an abandoned shared mock does
// not keep its data for ever. Revocations are in a Bloom filter of fixed
// size, as in the in-memory store: they outlive the sessions they revoke
// (which are deleted at once) and never have to be forgotten one by one.
//
// Data loss: the epoch key says whose data the prefix holds. Each replica
// reads it at start (creating "start:<id>" when there is none) and every
// script checks it first. A missing epoch under a running replica means
// Redis lost its data (a restart without persistence, a flush): the replica
// writes "lost:<id>", and every replica then answers 503 naming the loss,
// instead of taking an empty Redis for a clean slate in which every revoked
// token is valid again. POST /__mock/reset (Clear) writes "reset:<id>",
// which every replica adopts: service resumes. A "start:" epoch other than
// the replica's own means another replica started on an empty Redis after
// the loss: that is a loss too.
package redisstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/flashback/revoke-contract/mockserver/journal"
	"github.com/flashback/revoke-contract/mockserver/scenario"
	"github.com/flashback/revoke-contract/mockserver/store"
)

// Defaults of Config.
const (
	DefaultPrefix     = "revoke-mock:"
	DefaultTimeout    = 2 * time.Second
	DefaultSessionTTL = 24 * time.Hour
	DefaultStateTTL   = 30 * 24 * time.Hour
	DefaultInterval   = time.Second
)

// Config says which Redis and how to use it.
type Config struct {
	URL      string // redis://[user:password@]host:port/db or rediss:// (TLS)
	Password string // used when URL has none (REVOKE_MOCK_REDIS_PASSWORD)
	Prefix   string // "": DefaultPrefix
	Mode     store.Mode
	Seed     []store.Seed
	// JournalSize caps the shared journal (0: no journal).
	JournalSize int
	// MaxSessions caps the live sessions (--max-sessions; 0:
	// store.DefaultMaxSessions), as store.Memory does: the oldest are
	// forgotten, a revoked token stays revoked. Replicas with different
	// caps each trim to their own when they add a session.
	MaxSessions int
	Timeout     time.Duration // every call, connecting included; 0: DefaultTimeout
	SessionTTL  time.Duration // 0: DefaultSessionTTL
	StateTTL    time.Duration // 0: DefaultStateTTL
	// OnChange, when set, is called when the store goes down, comes back
	// or is found lost (the mock logs it), with the new status.
	OnChange func(Status)
}

// Store is the shared store. It implements store.Sessions; Scenarios and
// Journal return the other two. Safe for concurrent use.
type Store struct {
	c           *redis.Client
	url, prefix string
	name        string
	mode        store.Mode
	seed        []store.Seed
	timeout     time.Duration
	sessionTTL  int64 // ms
	stateTTL    int64 // ms
	journalSize int
	maxSessions int
	onChange    func(Status)

	epoch  atomic.Pointer[string]
	faults atomic.Bool // an active scenario has a fault, as last seen

	mu     sync.Mutex
	status Status
}

// Status is what the store reports of itself (GET /__mock/health).
type Status struct {
	URL       string // without a password
	Prefix    string
	OK        bool
	Lost      bool // Redis lost the data: POST /__mock/reset starts over
	Error     string
	ErrorAt   time.Time
	CheckedAt time.Time
}

var _ store.Sessions = (*Store)(nil)

// Open connects, reads (or creates) the epoch and adds the seeded sessions.
// An unreachable Redis is an error that names it.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	opts, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("--store %q: want memory, redis://host:port/db or rediss://host:port/db: %w", redactURL(cfg.URL), err)
	}
	if opts.Password == "" && cfg.Password != "" {
		opts.Password = cfg.Password
	}
	s := &Store{url: redactURL(cfg.URL), prefix: cfg.Prefix, mode: cfg.Mode, seed: cfg.Seed, timeout: cfg.Timeout,
		journalSize: cfg.JournalSize, maxSessions: cfg.MaxSessions, onChange: cfg.OnChange}
	if s.maxSessions < 1 {
		s.maxSessions = store.DefaultMaxSessions
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	s.sessionTTL, s.stateTTL = ms(cfg.SessionTTL, DefaultSessionTTL), ms(cfg.StateTTL, DefaultStateTTL)
	s.name = s.url + " (prefix " + s.prefix + ")"
	s.status = Status{URL: s.url, Prefix: s.prefix}
	// Every call is bounded: connecting, reading, writing, waiting for a
	// connection of the pool. No retries: a script that spends a scenario's
	// use must not run twice.
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout, opts.PoolTimeout = s.timeout, s.timeout, s.timeout, s.timeout
	opts.ContextTimeoutEnabled = true
	opts.MaxRetries = -1
	opts.DialerRetries = 1
	opts.DisableIdentity = true
	opts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	quietOnce.Do(func() { redis.SetLogger(quiet{}) })
	s.c = redis.NewClient(opts)
	if err := s.start(ctx); err != nil {
		_ = s.c.Close()
		return nil, fmt.Errorf("cannot use the store %s: %w", s.name, err)
	}
	return s, nil
}

// quiet drops go-redis's own log lines (unstructured, on stderr): the
// store's failures reach the mock's log through OnChange, its health and
// its 503s.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

var quietOnce sync.Once

func ms(d, def time.Duration) int64 {
	if d <= 0 {
		d = def
	}
	return max(d.Milliseconds(), 1)
}

// redactURL drops the password of a Redis URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an unparsable URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	return u.String()
}

// Name names the store: its URL (without a password) and prefix.
func (s *Store) Name() string { return s.name }

// Close closes the connections.
func (s *Store) Close() error { return s.c.Close() }

// Mode implements store.Sessions.
func (s *Store) Mode() store.Mode { return s.mode }

func (s *Store) key(k string) string { return s.prefix + k }

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// start reads the epoch, creating it on an empty prefix, and seeds.
func (s *Store) start(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.c.Ping(ctx).Err(); err != nil {
		return err
	}
	fresh := "start:" + newID()
	ok, err := s.c.SetNX(ctx, s.key("epoch"), fresh, time.Duration(s.stateTTL)*time.Millisecond).Result()
	if err != nil {
		return err
	}
	if ok {
		s.epoch.Store(&fresh)
	} else {
		cur, err := s.c.Get(ctx, s.key("epoch")).Result()
		if err != nil {
			return err
		}
		if strings.HasPrefix(cur, "lost:") {
			none := "none" // never an epoch: every script reports the loss
			s.epoch.Store(&none)
			s.setLost(errors.New("it was found lost at start-up"))
			return nil // served as 503 until a reset: health says why
		}
		s.epoch.Store(&cur)
	}
	if err := s.addSeeds(); err != nil {
		return err
	}
	s.setOK()
	return nil
}

func (s *Store) addSeeds() error {
	for _, sd := range s.seed {
		if _, err := s.run(seedScript, []string{s.key("epoch"), s.key("s:" + digest(sd.Token)), s.key("revoked")},
			digest(sd.Token), "user:"+sd.User, s.sessionTTL, s.prefix, s.maxSessions); err != nil {
			return err
		}
	}
	return nil
}

// digest is how a token is known in Redis: never the token itself.
func digest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// epochError is a script's answer when the epoch is not the expected one.
const epochError = "EPOCH "

// run runs a script whose first key is the epoch and whose first argument
// the expected epoch. An epoch that changed because of a reset is adopted
// and the script run again; any other change is a loss.
func (s *Store) run(sc *redis.Script, keys []string, args ...any) (any, error) {
	for range 3 {
		// Lost, the script still runs: it finds the loss again, or the
		// reset that ended it (adopted: service resumes at once).
		ep := *s.epoch.Load()
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		v, err := sc.Run(ctx, s.c, keys, append([]any{ep}, args...)...).Result()
		cancel()
		if err == nil || errors.Is(err, redis.Nil) {
			s.setOK()
			return v, nil
		}
		if seen, ok := strings.CutPrefix(err.Error(), epochError); ok {
			if s.epochChanged(ep, seen) {
				continue
			}
			st := s.Status()
			return nil, &store.UnavailableError{Store: s.name, Lost: true, Err: errors.New(st.Error)}
		}
		s.setDown(err)
		return nil, &store.UnavailableError{Store: s.name, Err: err}
	}
	err := errors.New("the epoch kept changing (resets in a row)")
	s.setDown(err)
	return nil, &store.UnavailableError{Store: s.name, Err: err}
}

// epochChanged handles an epoch other than ours: a reset's is adopted (true:
// try again); anything else means the data was lost, which is recorded in
// Redis for every replica to see.
func (s *Store) epochChanged(ours, seen string) bool {
	switch {
	case strings.HasPrefix(seen, "reset:"):
		s.epoch.CompareAndSwap(s.epoch.Load(), &seen)
		s.clearLost()
		return true
	case seen == ours:
		return true // adopted meanwhile
	}
	why := "its epoch key is gone (a restart without persistence, or a flush)"
	switch {
	case strings.HasPrefix(seen, "lost:"):
		why = "another replica found it lost"
	case strings.HasPrefix(seen, "start:"):
		why = "a replica started on it empty since"
	}
	if !strings.HasPrefix(seen, "lost:") {
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		defer cancel()
		_ = markLostScript.Run(ctx, s.c, []string{s.key("epoch")}, seen, "lost:"+newID(), s.stateTTL).Err()
	}
	s.setLost(errors.New(why))
	return false
}

// Status is the store's health as last seen.
func (s *Store) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// update changes the status and reports a change of OK or Lost.
func (s *Store) update(change func(st *Status)) {
	s.mu.Lock()
	before := s.status
	change(&s.status)
	after := s.status
	s.mu.Unlock()
	if s.onChange != nil && (before.OK != after.OK || before.Lost != after.Lost) {
		s.onChange(after)
	}
}

func (s *Store) setOK() {
	s.update(func(st *Status) {
		st.OK, st.CheckedAt = !st.Lost, time.Now().UTC()
		if !st.Lost {
			st.Error = ""
		}
	})
}

func (s *Store) setDown(err error) {
	s.update(func(st *Status) {
		now := time.Now().UTC()
		st.OK, st.Error, st.ErrorAt, st.CheckedAt = false, err.Error(), now, now
	})
}

func (s *Store) setLost(err error) {
	s.update(func(st *Status) {
		now := time.Now().UTC()
		if !st.Lost { // the first reason is the one worth keeping
			st.Error, st.ErrorAt = err.Error(), now
		}
		st.OK, st.Lost, st.CheckedAt = false, true, now
	})
}

func (s *Store) clearLost() {
	s.update(func(st *Status) { st.Lost, st.Error = false, "" })
}

// Check asks Redis once whether the store serves, refreshing the TTLs of
// the shared state (a running replica keeps it alive), and adopts a reset
// made elsewhere (which ends a loss).
func (s *Store) Check() {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	ep := *s.epoch.Load()
	keys := []string{s.key("epoch")}
	for _, k := range stateKeys {
		keys = append(keys, s.key(k))
	}
	err := checkScript.Run(ctx, s.c, keys, ep, s.stateTTL).Err()
	switch {
	case err == nil:
		s.setOK()
	case strings.HasPrefix(err.Error(), epochError):
		if s.epochChanged(ep, strings.TrimPrefix(err.Error(), epochError)) {
			s.setOK() // a reset made elsewhere, adopted
		} // else: lost, recorded by epochChanged
	default:
		s.setDown(err)
	}
}

// stateKeys are the keys that every running replica keeps alive.
var stateKeys = []string{"revoked", "logouts", "logouts:order", "logouts:floor", "order", "order:seq", "sc", "sc:left", "sc:seq", "j", "j:seq"}

// Watch checks the store every interval until ctx ends.
func (s *Store) Watch(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Check()
		}
	}
}

// Mint implements store.Sessions.
func (s *Store) Mint(user string) (string, error) {
	if user == "" {
		return "", fmt.Errorf("minting a session: the user is empty")
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("minting a token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	d := digest(token)
	if _, err := s.run(mintScript, []string{s.key("epoch"), s.key("s:" + d)}, d, "user:"+user, s.sessionTTL, s.prefix, s.maxSessions); err != nil {
		return "", err
	}
	return token, nil
}

// Lookup implements store.Sessions.
func (s *Store) Lookup(token string) (store.Status, string, error) {
	if s.mode == store.Off {
		return store.Live, "", nil
	}
	user, iat := "token", int64(-1)
	if s.mode == store.Lazy {
		key, at := store.LazyIdentity(token)
		if strings.HasPrefix(key, "user:") {
			user = key
			if !at.IsZero() {
				iat = at.Unix()
			}
		}
	}
	d := digest(token)
	v, err := s.run(lookupScript, []string{s.key("epoch"), s.key("s:" + d), s.key("revoked"), s.key("logouts")},
		d, string(s.mode), user, iat, s.sessionTTL, s.prefix, s.maxSessions)
	if err != nil {
		return store.Unknown, "", err
	}
	r, _ := v.([]any)
	if len(r) != 2 {
		return store.Unknown, "", &store.UnavailableError{Store: s.name, Err: fmt.Errorf("unexpected answer %v", v)}
	}
	code, _ := r[0].(int64)
	name, _ := r[1].(string)
	switch code {
	case 0:
		return store.Live, store.UserName(name), nil
	case 2:
		return store.Revoked, "", nil
	}
	return store.Unknown, "", nil
}

// RevokeUser implements store.Sessions: one script, so that revoke-alls of
// one user on two replicas never interleave.
func (s *Store) RevokeUser(token string) error {
	if s.mode == store.Off {
		return nil
	}
	d := digest(token)
	_, err := s.run(revokeScript, []string{s.key("epoch"), s.key("s:" + d), s.key("revoked"), s.key("logouts")},
		d, time.Now().UnixMilli(), s.stateTTL, s.prefix, min(s.maxSessions, store.MaxLogoutTimes))
	return err
}

// Clear implements store.Sessions, and is POST /__mock/reset: a new epoch
// (which every replica adopts, ending a loss), every other key under the
// prefix deleted (nothing outside it), the seeds added again.
func (s *Store) Clear() error {
	ctx, cancel := context.WithTimeout(context.Background(), 4*s.timeout)
	defer cancel()
	fail := func(err error) error {
		s.setDown(err)
		return &store.UnavailableError{Store: s.name, Err: err}
	}
	ep := "reset:" + newID()
	if err := s.c.Set(ctx, s.key("epoch"), ep, time.Duration(s.stateTTL)*time.Millisecond).Err(); err != nil {
		return fail(err)
	}
	s.epoch.Store(&ep)
	s.clearLost()
	keep := map[string]bool{s.key("epoch"): true, s.key("sc:seq"): true, s.key("j:seq"): true}
	iter := s.c.Scan(ctx, 0, globEscape(s.prefix)+"*", 1000).Iterator()
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.c.Unlink(ctx, batch...).Err()
		batch = batch[:0]
		return err
	}
	for iter.Next(ctx) {
		if k := iter.Val(); !keep[k] {
			batch = append(batch, k)
		}
		if len(batch) >= 500 {
			if err := flush(); err != nil {
				return fail(err)
			}
		}
	}
	if err := iter.Err(); err != nil {
		return fail(err)
	}
	if err := flush(); err != nil {
		return fail(err)
	}
	s.faults.Store(false)
	if err := s.addSeeds(); err != nil {
		return err
	}
	s.setOK()
	return nil
}

// globEscape escapes the glob characters of SCAN's MATCH.
func globEscape(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Scenarios returns the shared scenario store.
func (s *Store) Scenarios() *Scenarios { return &Scenarios{s: s} }

// Scenarios keeps scenarios in Redis; Take spends a use in one script, so
// a scenario with Times 1 decides exactly one request across replicas.
type Scenarios struct{ s *Store }

var _ scenario.Backend = (*Scenarios)(nil)

// TryAdd implements scenario.Backend.
func (c *Scenarios) TryAdd(sc scenario.Scenario) (scenario.Scenario, error) {
	s := c.s
	sc.Created = time.Now().UTC()
	sc.Remaining = -1
	if sc.Times > 0 {
		sc.Remaining = sc.Times
	}
	sc.ID = ""
	data, err := json.Marshal(sc)
	if err != nil {
		return sc, err
	}
	v, err := s.run(scenarioAddScript, []string{s.key("epoch"), s.key("sc"), s.key("sc:left"), s.key("sc:seq")}, data, sc.Remaining, s.stateTTL)
	if err != nil {
		return sc, err
	}
	n, _ := v.(int64)
	sc.ID = "sc-" + strconv.FormatInt(n, 10)
	if sc.Fault != "" {
		s.faults.Store(true)
	}
	return sc, nil
}

// TryList implements scenario.Backend.
func (c *Scenarios) TryList() ([]scenario.Scenario, error) {
	s := c.s
	v, err := s.run(scenarioListScript, []string{s.key("epoch"), s.key("sc"), s.key("sc:left")})
	if err != nil {
		return nil, err
	}
	r, _ := v.([]any)
	type seqd struct {
		n  int64
		sc scenario.Scenario
	}
	var all []seqd
	faults := false
	for i := 0; i+2 < len(r); i += 3 {
		id, _ := r[i].(string)
		data, _ := r[i+1].(string)
		left, _ := r[i+2].(string)
		var sc scenario.Scenario
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || json.Unmarshal([]byte(data), &sc) != nil {
			continue
		}
		sc.ID = "sc-" + id
		if sc.Remaining, err = strconv.Atoi(left); err != nil || sc.Remaining == 0 {
			continue
		}
		faults = faults || sc.Fault != ""
		all = append(all, seqd{n, sc})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n < all[j].n })
	c.s.faults.Store(faults)
	out := make([]scenario.Scenario, len(all))
	for i, x := range all {
		out[i] = x.sc
	}
	return out, nil
}

// TryDelete implements scenario.Backend.
func (c *Scenarios) TryDelete(id string) (bool, error) {
	s := c.s
	n, ok := strings.CutPrefix(id, "sc-")
	if !ok {
		return false, nil
	}
	v, err := s.run(scenarioDeleteScript, []string{s.key("epoch"), s.key("sc"), s.key("sc:left")}, n)
	if err != nil {
		return false, err
	}
	d, _ := v.(int64)
	return d > 0, nil
}

// TryClear implements scenario.Backend.
func (c *Scenarios) TryClear() error {
	s := c.s
	_, err := s.run(delScript, []string{s.key("epoch"), s.key("sc"), s.key("sc:left")})
	if err == nil {
		s.faults.Store(false)
	}
	return err
}

// TryTake implements scenario.Backend: the matching scenarios, oldest
// first, are offered to one script that spends a use of the first one
// still active.
func (c *Scenarios) TryTake(r scenario.Request) (scenario.Scenario, bool, error) {
	list, err := c.TryList()
	if err != nil {
		return scenario.Scenario{}, false, err
	}
	var ids []any
	byID := map[string]scenario.Scenario{}
	for _, sc := range list {
		if sc.Matches(r) {
			n := strings.TrimPrefix(sc.ID, "sc-")
			ids = append(ids, n)
			byID[n] = sc
		}
	}
	if len(ids) == 0 {
		return scenario.Scenario{}, false, nil
	}
	s := c.s
	v, err := s.run(scenarioTakeScript, []string{s.key("epoch"), s.key("sc"), s.key("sc:left")}, ids...)
	if err != nil {
		return scenario.Scenario{}, false, err
	}
	res, _ := v.([]any)
	if len(res) != 2 {
		return scenario.Scenario{}, false, nil // used up by other requests meanwhile
	}
	id, _ := res[0].(string)
	left, _ := res[1].(int64)
	sc := byID[id]
	sc.Remaining = int(left)
	return sc, true, nil
}

// HasFaults implements scenario.Backend, from what the store last saw (a
// fault added on another replica is seen from the next request on).
func (c *Scenarios) HasFaults() bool { return c.s.faults.Load() }

// Journal returns the shared journal, nil when JournalSize is 0.
func (s *Store) Journal() *Journal {
	if s.journalSize <= 0 {
		return nil
	}
	return &Journal{s: s}
}

// Journal keeps the request journal in a Redis list capped at the journal
// size, newest first: every replica's requests in one journal.
type Journal struct{ s *Store }

var _ journal.Backend = (*Journal)(nil)

type storedEntry struct {
	journal.Entry
	DurationNs int64 `json:"durationNs"`
}

// TryAdd implements journal.Backend. While the store is down the entry
// is dropped at once: the request it records has had its 503, and waiting
// for another timeout would only delay that answer.
func (j *Journal) TryAdd(e journal.Entry) error {
	s := j.s
	if st := s.Status(); !st.OK {
		return &store.UnavailableError{Store: s.name, Lost: st.Lost, Err: errors.New(st.Error)}
	}
	data, err := json.Marshal(storedEntry{Entry: e, DurationNs: int64(e.Duration)})
	if err != nil {
		return err
	}
	_, err = s.run(journalAddScript, []string{s.key("epoch"), s.key("j"), s.key("j:seq")}, data, s.journalSize, s.stateTTL)
	return err
}

// TryList implements journal.Backend.
func (j *Journal) TryList(f journal.Filter) ([]journal.Entry, error) {
	s := j.s
	v, err := s.run(journalListScript, []string{s.key("epoch"), s.key("j")})
	if err != nil {
		return nil, err
	}
	r, _ := v.([]any)
	out := []journal.Entry{}
	for _, x := range r {
		line, _ := x.(string)
		seq, data, ok := strings.Cut(line, " ")
		var se storedEntry
		if !ok || json.Unmarshal([]byte(data), &se) != nil {
			continue
		}
		e := se.Entry
		e.Seq, _ = strconv.ParseUint(seq, 10, 64)
		e.Duration = time.Duration(se.DurationNs)
		if f.Keeps(&e) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Seq > out[b].Seq })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// TryClear implements journal.Backend.
func (j *Journal) TryClear() error {
	s := j.s
	_, err := s.run(delScript, []string{s.key("epoch"), s.key("j")})
	return err
}
