package model

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/flashback/revoke-contract/contract/internal/wire"
	"github.com/flashback/revoke-contract/spec/endpoint"
)

// Backend is what the checker talks to: the suite's client and token
// source.
type Backend interface {
	// Do sends r and records the exchange; never nil.
	Do(ctx context.Context, r wire.Request) *wire.Exchange
	// Mint returns the token of a new session of user.
	Mint(ctx context.Context, user string) (string, error)
	// Left is how many sessions of user the budget still allows; -1: no cap.
	Left(user string) int
}

// ProbeSpec is a read-only request of the backend's own whose 2xx or 401
// says whether a token is live (--probe 'GET /v1/me').
type ProbeSpec struct{ Method, Path string }

// ParseProbe reads "METHOD /path".
func ParseProbe(s string) (*ProbeSpec, error) {
	m, p, ok := strings.Cut(strings.TrimSpace(s), " ")
	p = strings.TrimSpace(p)
	switch {
	case !ok || m == "" || p == "":
		return nil, fmt.Errorf("want a method and a path, e.g. 'GET /v1/me'")
	case !slices.Contains([]string{"GET", "HEAD", "OPTIONS"}, m):
		return nil, fmt.Errorf("the probe must be read-only: GET, HEAD or OPTIONS, not %q", m)
	case !strings.HasPrefix(p, "/"):
		return nil, fmt.Errorf("the path must start with /")
	case strings.Split(p, "?")[0] == endpoint.Path:
		return nil, fmt.Errorf("the probe must not be the endpoint under test")
	}
	return &ProbeSpec{Method: m, Path: p}, nil
}

// Rules of the model (contract/RULES.md).
const (
	RuleIdentity   = "MODEL-001"
	RuleRevocation = "MODEL-002"
	RuleUnchanged  = "MODEL-003"
	RuleAnswers    = "MODEL-004"
)

// Config says how to explore.
type Config struct {
	Seed  uint64
	Steps int
	Probe *ProbeSpec
	// DurabilityWait passes after the last step, before every dead session
	// is tried once more.
	DurabilityWait time.Duration
	// MaxReplays bounds the replays that shrinking and attribution make.
	MaxReplays int
	Script     Script
	// CheckAnswer returns what is wrong with an answer to POST on the
	// path (the spec's schema); nil: fine.
	CheckAnswer func(*wire.Exchange) []string
	// Log receives one line per notable event (inferences, replays).
	Log func(format string, args ...any)
	// Trace: Log gets every step of the exploration too.
	Trace bool
}

// DefaultSteps is the length of the default exploration.
const DefaultSteps = 60

// DefaultMaxReplays bounds shrinking.
const DefaultMaxReplays = 100

// Violation is a broken invariant with the shortest history found that
// shows it.
type Violation struct {
	Rule     string
	What     string
	Exchange *wire.Exchange
	Lines    []Line
	Script   string
	// Steps is the shrunk history's length; FromSteps the first one's.
	Steps, FromSteps int
	// Reproduced: the shrunk history showed the violation again on replay.
	Reproduced bool
}

// Result is what a run of the checker did and found.
type Result struct {
	Seed                       uint64
	Histories, Steps, Requests int
	Sessions                   map[string]int
	Inferred                   []string
	Violation                  *Violation
	// Stopped says why the exploration ended early ("" when it did not):
	// the token source failed, or the backend kept rate limiting.
	Stopped string
	// CouldNotCheck: Stopped means no verdict (rate limited, token source
	// broken), not a shorter run (the session budget spent).
	CouldNotCheck bool
}

// Summary is the one-line account for the end of the run.
func (r Result) Summary() string {
	users := make([]string, 0, len(r.Sessions))
	total := 0
	for u, n := range r.Sessions {
		users = append(users, fmt.Sprintf("%s %d", u, n))
		total += n
	}
	sort.Strings(users)
	s := fmt.Sprintf("model: seed %d; %d histories, %d steps, %d requests, %d sessions (%s)", r.Seed, r.Histories, r.Steps, r.Requests, total, strings.Join(users, ", "))
	if r.Stopped != "" {
		s += "; stopped early: " + r.Stopped
	}
	return s
}

// State is what the model knows of a session.
type State int

const (
	Live    State = iota
	Dead          // revoked by a revoke-all of its user
	Ended         // rejected with no revoke-all to explain it: the backend ended it
	Unknown       // maybe revoked (a lenient spelling answered 2xx)
)

type session struct {
	n       int
	user    string
	token   string
	state   State
	created int // step index
	// minted is just before the login was asked for, at just after it
	// came back: the backend made the session between the two. A session's
	// age at a rejection is measured from minted (at least its age at the
	// backend), and a control history waits from at (at most): so the
	// control's session is at least as old at the backend as the rejected
	// one was, however slow either login was.
	minted, at time.Time
	diedAt     int    // step that killed it (Dead, Ended)
	killer     string // the family of the step that killed it
}

// replayer runs histories against the backend with the model's oracle.
type replayer struct {
	be      Backend
	cfg     Config
	res     *Result
	replays int
	ended   []endInfo
	// aliveMax: the most sessions of a user created after one that was
	// then seen working (a cap per user is above it).
	aliveMax map[string]int
}

type endInfo struct {
	user  string
	newer int // sessions of the user created after it, before it ended
	age   time.Duration
}

// outcome is one execution of a history.
type outcome struct {
	v         *found // nil: no violation
	notes     []string
	sessions  []*session
	stepAt    []time.Time
	took      []time.Duration
	attribs   int
	stopped   string
	couldNot  bool
	executed  int
	exchanges int
}

type found struct {
	rule string
	what string
	ex   *wire.Exchange
	step int
	// control: found by the control history (a session ended by a step
	// that must not affect it).
	control bool
	// sess is the session the violation is about, killedAt the step that
	// revoked it (-1: none): the slice that shrinking tries first.
	sess, killedAt int
}

// maxAttributions bounds the control histories of one execution: each
// costs sessions and as much time as the history so far.
const maxAttributions = 5

// run executes h; with gen, it extends h step by step (exploring) up to
// steps, and then the durability check.
func (r *replayer) run(ctx context.Context, h []Step, gen *generator, steps int, attribute bool) ([]Step, outcome) {
	r.res.Histories++
	o := outcome{}
	st := &runState{r: r, o: &o, attribute: attribute, start: time.Now()}
	i := 0
	for {
		if ctx.Err() != nil {
			o.stopped, o.couldNot = "interrupted", true
			return h, o
		}
		if i == len(h) {
			if gen == nil {
				break
			}
			if i >= steps {
				if gen.finalDone {
					break
				}
				h = append(h, gen.final(st)...)
				gen.finalDone = true
				if i == len(h) {
					break
				}
			} else {
				s, ok := gen.next(st)
				if !ok {
					steps = i // nothing more to do: the durability check
					continue
				}
				h = append(h, s)
			}
		}
		o.stepAt = append(o.stepAt, time.Now())
		note := st.apply(ctx, h, i)
		st.observe = h[i].Kind == Login || h[i].Kind == Call || h[i].Kind == Group
		o.took = append(o.took, time.Since(o.stepAt[i]))
		o.notes = append(o.notes, note)
		if gen != nil && r.cfg.Trace {
			notes := make([]string, i+1)
			notes[i] = note
			lines := r.cfg.Script.Lines(h[:i+1], notes, usersOf(h[:i+1]))
			r.log("model: step %d: %s", i+1, lines[i].Note)
		}
		o.executed++
		r.res.Steps++
		if o.v != nil || o.stopped != "" {
			return h[:i+1], o
		}
		i++
	}
	return h, o
}

// runState is the oracle's state during one execution.
type runState struct {
	r         *replayer
	o         *outcome
	attribute bool
	start     time.Time
	// followUps are the checks the exploration makes next, after an
	// answer that may have changed more than the model allows.
	followUps []Step
	// observe: the last step may have changed sessions (the probe looks).
	observe bool
}

// followUp schedules, after a 2xx that may have revoked the sessions of
// user (or, if the backend got it wrong, another user's), the documented
// call from the oldest and the newest other session of each user: dead
// ones must stay dead, live ones must still work.
func (st *runState) followUp(caller int) {
	for _, u := range []string{Primary, Secondary} {
		var live, dead []*session
		for _, s := range st.o.sessions {
			switch {
			case s.user != u || s.n == caller:
			case s.state == Live:
				live = append(live, s)
			case s.state == Dead:
				dead = append(dead, s)
			}
		}
		var picks []*session
		if len(live) > 0 {
			picks = append(picks, live[len(live)-1])
		}
		if len(dead) > 0 {
			picks = append(picks, dead[len(dead)-1])
		}
		if len(dead) > 1 {
			picks = append(picks, dead[0])
		}
		for _, p := range picks {
			st.followUps = append(st.followUps, Step{Kind: Call, Sess: p.n, Form: &CanonicalForm})
		}
	}
}

func (st *runState) sess(n int) *session { return st.o.sessions[n-1] }

func (st *runState) violate(rule string, ex *wire.Exchange, step int, format string, args ...any) string {
	what := fmt.Sprintf(format, args...)
	st.o.v = &found{rule: rule, what: what, ex: ex, step: step, killedAt: -1}
	if ex != nil && ex.Status != 0 {
		return fmt.Sprintf("got %d; VIOLATION: %s", ex.Status, what)
	}
	return "VIOLATION: " + what
}

// count is the number of sessions of user, in any state.
func (st *runState) count(user string) int {
	n := 0
	for _, s := range st.o.sessions {
		if s.user == user {
			n++
		}
	}
	return n
}

func (st *runState) liveOf(user string) []*session {
	var out []*session
	for _, s := range st.o.sessions {
		if s.user == user && s.state == Live {
			out = append(out, s)
		}
	}
	return out
}

// apply executes step i of h and checks the answers; the note says what
// came back.
func (st *runState) apply(ctx context.Context, h []Step, i int) string {
	s := h[i]
	switch s.Kind {
	case Login:
		for range s.Count {
			if left := st.r.be.Left(s.User); left == 0 {
				st.o.stopped = fmt.Sprintf("the session budget of %s is spent", s.User)
				return st.o.stopped
			}
			minted := time.Now()
			tok, err := st.r.be.Mint(ctx, s.User)
			if err != nil {
				st.o.stopped, st.o.couldNot = "the token source failed: "+err.Error(), true
				return st.o.stopped
			}
			st.r.res.Sessions[s.User]++
			st.o.sessions = append(st.o.sessions, &session{n: len(st.o.sessions) + 1, user: s.User, token: tok, state: Live, created: i, minted: minted, at: time.Now()})
		}
		return ""
	case Wait:
		select {
		case <-ctx.Done():
		case <-time.After(s.Wait):
		}
		return ""
	case Call, Probe:
		ex := st.send(ctx, s)
		if st.o.stopped != "" {
			return st.o.stopped
		}
		return st.judge(ctx, h, i, s, ex, nil)
	case Group:
		exs := make([]*wire.Exchange, len(s.Calls))
		var wg sync.WaitGroup
		for j, c := range s.Calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				exs[j] = st.r.be.Do(ctx, st.request(c))
			}()
		}
		wg.Wait()
		st.o.exchanges += len(exs)
		st.r.res.Requests += len(exs)
		for _, ex := range exs {
			if ex.RateLimited {
				st.o.stopped, st.o.couldNot = "the backend kept rate limiting: "+ex.Err, true
				return st.o.stopped
			}
		}
		// Which users did a call of the group revoke (a 200 from a session
		// that may be live)?
		revoked := map[string]bool{}
		for j, c := range s.Calls {
			if x := st.sess(c.Sess); exs[j].Status/100 == 2 && (x.state == Live || x.state == Unknown) {
				revoked[x.user] = true
			}
		}
		var notes []string
		for j, c := range s.Calls {
			note := st.judge(ctx, h, i, c, exs[j], revoked)
			notes = append(notes, fmt.Sprintf("%c: %s", 'a'+j, note))
			if st.o.v != nil {
				break
			}
		}
		return strings.Join(notes, "; ")
	}
	return ""
}

func (st *runState) send(ctx context.Context, s Step) *wire.Exchange {
	ex := st.r.be.Do(ctx, st.request(s))
	st.o.exchanges++
	st.r.res.Requests++
	if ex.RateLimited {
		st.o.stopped, st.o.couldNot = "the backend kept rate limiting: "+ex.Err, true
	}
	return ex
}

// request builds the wire request of a call or probe.
func (st *runState) request(s Step) wire.Request {
	x := st.sess(s.Sess)
	aux := ""
	if s.Aux != 0 {
		aux = st.sess(s.Aux).token
	}
	tpl := st.r.cfg.Script.template(s)
	var creds []string
	other := otherUser(x.user)
	r := wire.Request{Method: tpl.Method, Path: expand(tpl.Path, x.token, aux, other, &creds), Raw: tpl.Raw}
	r.Name = "model: " + tpl.Method + " " + tpl.Path
	if s.Form != nil {
		r.Name = "model: " + s.Form.Name
	}
	for _, kv := range tpl.Header {
		r.Header = append(r.Header, [2]string{kv[0], expand(kv[1], x.token, aux, other, &creds)})
	}
	if tpl.Body != "" {
		r.Body = []byte(expand(tpl.Body, x.token, aux, other, &creds))
	}
	r.Credentials = creds
	if s.Form != nil {
		switch s.Form.Class {
		case Canonical:
			r.BearerToken = true
		case DupAuth:
			r.Malformed = true
		case BadCred:
			r.BearerToken = true
		}
		if s.Form.Family == FamAuthSpelling && s.Form.Class == AuthPOST {
			r.BearerToken = true
		}
	}
	return r
}

func is2xx(status int) bool { return status/100 == 2 }

// judge checks one answer against the model and updates it.
func (st *runState) judge(ctx context.Context, h []Step, i int, s Step, ex *wire.Exchange, groupRevoked map[string]bool) string {
	x := st.sess(s.Sess)
	if !ex.Answered() {
		if s.Kind == Call && s.Form.Class == Canonical {
			return st.violate(RuleAnswers, ex, i, "no usable answer to the documented call: %s", ex.Err)
		}
		return "no answer: " + ex.Err
	}
	got := fmt.Sprintf("got %d", ex.Status)
	if s.Kind == Probe {
		return st.judgeProbe(ctx, h, i, x, ex, got)
	}
	f := s.Form
	if v := st.checkAnswer(ex, f, i); v != "" {
		return v
	}
	dead := x.state == Dead || x.state == Ended
	ok := is2xx(ex.Status)
	switch f.Class {
	case Canonical, AuthPOST:
		switch {
		case dead && ok:
			return st.acceptedDead(x, ex, i, f)
		case dead && f.Class == Canonical && ex.Status != 401:
			return st.violate(RuleAnswers, ex, i, "session %d (%s) is %s: its token must be answered 401, got %d", x.n, x.user, st.deadWhy(x), ex.Status)
		case dead:
			return got
		case ok:
			if x.state == Live {
				st.sawAlive(x)
			}
			st.revokeUser(x.user, i, f.Family)
			if f.Class == AuthPOST || st.count(x.user) > 20 || groupRevoked != nil {
				st.followUp(x.n)
			}
			return got + fmt.Sprintf(": every session of %s so far is revoked", x.user)
		case groupRevoked[x.user]:
			// Raced with a call of the same user in the group that won.
			x.state, x.diedAt, x.killer = Dead, i, FamCanonical
			return got + " (a concurrent call of the same user revoked it first)"
		case x.state == Unknown:
			if ex.Status == 401 {
				x.state = Dead
			}
			return got
		case f.Class == AuthPOST:
			return got + ": nothing revoked"
		case ex.Status == 401:
			return st.liveRejected(ctx, h, i, x, ex, got)
		default:
			return st.violate(RuleAnswers, ex, i, "the documented call with the live session %d (%s) must be answered 200 (or 401 once the backend has ended it), got %d", x.n, x.user, ex.Status)
		}
	case NoAuth:
		if ok {
			return st.violate(RuleIdentity, ex, i, "%q was answered %d: a request without a bearer credential was authenticated", f.Name, ex.Status)
		}
	case BadCred:
		if ok {
			return st.violate(RuleIdentity, ex, i, "%q was answered %d: a credential that was never issued was accepted", f.Name, ex.Status)
		}
	case OtherMethod:
		if ok && !f.AnyStatus {
			return st.violate(RuleAnswers, ex, i, "%q was answered %d: only POST is defined (HTTP-001); a request that is not an authenticated POST must change nothing", f.Name, ex.Status)
		}
		if x.state == Live && s.Kind == Call {
			// It must have changed nothing: the session still works.
			st.followUps = append(st.followUps, Step{Kind: Call, Sess: x.n, Form: &CanonicalForm})
		}
	case PathVariant, DupAuth:
		// A lenient router or header parser may have treated it as the
		// documented call: a dead token must not pass, a live one's user
		// may have lost its sessions.
		switch {
		case dead && ok:
			return st.acceptedDead(x, ex, i, f)
		case ok:
			st.maybeRevoked(x.user, i)
			st.followUp(x.n)
			return got + fmt.Sprintf(" (the backend may treat it as the documented call: sessions of %s may be revoked)", x.user)
		}
	}
	return got
}

// checkAnswer applies the answer checks of every generated request
// (MODEL-004): no 5xx, no redirect of the path itself, and the spec's
// schema for answers to POST on the path.
func (st *runState) checkAnswer(ex *wire.Exchange, f *Form, i int) string {
	switch {
	case ex.Status/100 == 5:
		return st.violate(RuleAnswers, ex, i, "%q was answered %d: a request the suite generated caused a server error", f.Name, ex.Status)
	case ex.Endpoint && ex.Status/100 == 3:
		return st.violate(RuleAnswers, ex, i, "%q was answered %d: the path itself must not redirect (HTTP-006)", f.Name, ex.Status)
	case ex.Endpoint && ex.Method == http.MethodPost && (ex.Status == 200 || ex.Status == 401) && st.r.cfg.CheckAnswer != nil:
		if p := st.r.cfg.CheckAnswer(ex); len(p) > 0 {
			return st.violate(RuleAnswers, ex, i, "%q: the %d answer does not match the spec: %s", f.Name, ex.Status, strings.Join(p, "; "))
		}
	}
	return ""
}

// killedByControl: the session was revoked by the revoke-all that ended a
// control history (which ran for the same user).
const killedByControl = "control"

// newer is how many sessions of x's user were created after x.
func (st *runState) newer(x *session) int {
	n := 0
	for _, s := range st.o.sessions {
		if s.user == x.user && s.n > x.n {
			n++
		}
	}
	return n
}

// sawAlive notes that x worked with newer sessions of its user after it.
func (st *runState) sawAlive(x *session) {
	if n := st.newer(x); n > st.r.aliveMax[x.user] {
		st.r.aliveMax[x.user] = n
	}
}

func (st *runState) deadWhy(x *session) string {
	if x.killer == killedByControl {
		return fmt.Sprintf("revoked (by the revoke-all that ended the control history run at step %d)", x.diedAt+1)
	}
	if x.state == Ended {
		return fmt.Sprintf("ended (answered 401 at step %d)", x.diedAt+1)
	}
	return fmt.Sprintf("revoked (by the revoke-all of step %d)", x.diedAt+1)
}

// acceptedDead: a dead token was accepted. The rule is the identity one
// when the step that should have revoked it was an identity variation
// (whose effect followed something else than the bearer).
func (st *runState) acceptedDead(x *session, ex *wire.Exchange, i int, f *Form) string {
	// MODEL-002; shrinking makes it MODEL-001 when the step that should
	// have revoked the session named another user and the documented call
	// in its place revokes for good.
	note := st.violate(RuleRevocation, ex, i, "session %d (%s) is %s, but %q with its token was answered %d at step %d", x.n, x.user, st.deadWhy(x), f.Name, ex.Status, i+1)
	st.o.v.sess, st.o.v.killedAt = x.n, x.diedAt
	return note
}

func (st *runState) revokeUser(user string, i int, family string) {
	for _, s := range st.o.sessions {
		if s.user == user && (s.state == Live || s.state == Unknown) && s.created < i {
			s.state, s.diedAt, s.killer = Dead, i, family
		}
	}
}

func (st *runState) maybeRevoked(user string, i int) {
	for _, s := range st.o.sessions {
		if s.user == user && s.state == Live && s.created < i {
			s.state, s.diedAt = Unknown, i
		}
	}
}

func (st *runState) judgeProbe(ctx context.Context, h []Step, i int, x *session, ex *wire.Exchange, got string) string {
	switch {
	case is2xx(ex.Status) && (x.state == Dead || x.state == Ended):
		return st.violate(RuleRevocation, ex, i, "session %d (%s) is %s, but the probe %s %s with its token was answered %d at step %d",
			x.n, x.user, st.deadWhy(x), ex.Method, st.r.cfg.Probe.Path, ex.Status, i+1)
	case is2xx(ex.Status) && x.state == Unknown:
		x.state = Live
	case is2xx(ex.Status) && x.state == Live:
		st.sawAlive(x)
	case ex.Status == 401 && x.state == Unknown:
		x.state = Dead
	case ex.Status == 401 && x.state == Live:
		return st.liveRejected(ctx, h, i, x, ex, got)
	}
	return got
}

// liveRejected: a session the model holds live was rejected. A backend
// may end sessions on its own (expiry, a cap per user); it must not end
// them because of a request that changes nothing for them. The same
// history without every step that cannot affect the session (other
// users' steps, other requests of any kind: only the user's logins and
// the waits stay, then the same check as late) tells which: when the
// session survives that, a removed step ended it.
func (st *runState) liveRejected(ctx context.Context, h []Step, i int, x *session, ex *wire.Exchange, got string) string {
	newer := st.newer(x)
	age := time.Since(x.minted)
	mark := func() {
		x.state, x.diedAt = Ended, i
		st.r.ended = append(st.r.ended, endInfo{user: x.user, newer: newer, age: age})
	}
	if !st.attribute || st.r.replays >= st.r.cfg.MaxReplays || st.o.attribs >= maxAttributions {
		mark()
		return got + " (ended by the backend)"
	}
	control, m := controlOf(h[:i+1], x)
	suspects := len(h[:i+1]) - len(control)
	if suspects == 0 {
		mark()
		return got + " (ended by the backend: no step of the history explains it)"
	}
	st.o.attribs++
	alive, ok := st.r.control(ctx, control, m[x.n], age)
	// The control history ran on the same backend, for the same user: its
	// logins may have ended this history's sessions of the user (a cap),
	// and its last call, when it worked, revoked them all.
	for _, s := range st.o.sessions {
		if s.user == x.user && s != x && (s.state == Live || s.state == Unknown) {
			if alive {
				s.state, s.diedAt, s.killer = Dead, i, killedByControl
			} else {
				s.state = Unknown
			}
		}
	}
	if !ok {
		mark()
		return got + " (ended by the backend; the control history could not run)"
	}
	if !alive {
		mark()
		st.r.log("model: session %d of %s ended on its own at step %d (the control history without the %d other steps ends it too)", x.n, x.user, i+1, suspects)
		return got + " (ended by the backend: it ends without the other steps too)"
	}
	note := st.violate(RuleUnchanged, ex, i, "session %d (%s) was rejected (%d) at step %d though no revoke-all of %s came before it; replayed without the %d steps that must not affect it (other users' steps, requests that are not the documented call), it stays live: one of those steps ended it",
		x.n, x.user, ex.Status, i+1, x.user, suspects)
	st.o.v.control = true
	return note
}

// controlOf is h without the steps that must not affect session x: it
// keeps the logins of x's user, the waits and the last step, turned into
// the documented call (or the probe) from x.
func controlOf(h []Step, x *session) ([]Step, map[int]int) {
	keep := make([]bool, len(h))
	for i, s := range h {
		keep[i] = s.Kind == Wait || s.Kind == Login && s.User == x.user
	}
	last := h[len(h)-1]
	check := Step{Kind: Call, Sess: x.n, Form: &CanonicalForm}
	if last.Kind == Probe {
		check = Step{Kind: Probe, Sess: x.n}
	}
	out, m := renumber(h[:len(h)-1], keep[:len(h)-1])
	return append(out, remap(check, m)), m
}

// control runs a control history and reports whether its last step found
// session n live; the last step waits until n is at least age old.
func (r *replayer) control(ctx context.Context, h []Step, n int, age time.Duration) (alive, ok bool) {
	if !r.affordable(h) {
		return false, false
	}
	r.replays++
	r.res.Histories++
	o := outcome{}
	st := &runState{r: r, o: &o, start: time.Now()}
	for i, s := range h {
		if i == len(h)-1 {
			if wait := age - time.Since(st.sess(n).at); wait > 0 {
				select {
				case <-ctx.Done():
					return false, false
				case <-time.After(wait):
				}
			}
			ex := st.send(ctx, s)
			return is2xx(ex.Status), ex.Answered()
		}
		st.apply(ctx, h, i)
		r.res.Steps++
		if o.stopped != "" {
			return false, false
		}
	}
	return false, false
}

// affordable: the budget allows the logins of h.
func (r *replayer) affordable(h []Step) bool {
	need := map[string]int{}
	for _, s := range h {
		if s.Kind == Login {
			need[s.User] += s.Count
		}
	}
	for u, n := range need {
		if left := r.be.Left(u); left >= 0 && left < n {
			return false
		}
	}
	return true
}

func (r *replayer) log(format string, args ...any) {
	if r.cfg.Log != nil {
		r.cfg.Log(format, args...)
	}
}

// users maps session numbers to users for rendering.
func usersOf(h []Step) map[int]string {
	m := map[int]string{}
	n := 0
	for _, s := range h {
		if s.Kind == Login {
			for range s.Count {
				n++
				m[n] = s.User
			}
		}
	}
	return m
}

// Run explores: it generates a history of cfg.Steps steps from cfg.Seed,
// checking every answer against the model, then the durability check; on
// a violation it shrinks the history and reports it.
func Run(ctx context.Context, be Backend, cfg Config) Result {
	if cfg.Steps <= 0 {
		cfg.Steps = DefaultSteps
	}
	if cfg.MaxReplays <= 0 {
		cfg.MaxReplays = DefaultMaxReplays
	}
	res := Result{Seed: cfg.Seed, Sessions: map[string]int{Primary: 0, Secondary: 0}}
	r := &replayer{be: be, cfg: cfg, res: &res, aliveMax: map[string]int{}}
	gen := newGenerator(cfg)
	h, o := r.run(ctx, nil, gen, cfg.Steps, true)
	res.Inferred = r.inferences()
	if o.stopped != "" {
		res.Stopped, res.CouldNotCheck = o.stopped, o.couldNot
	}
	if o.v == nil {
		return res
	}
	res.Violation = r.shrink(ctx, h, o)
	return res
}

// inferences says what the checker learnt of the backend's own ways.
func (r *replayer) inferences() []string {
	var out []string
	byUser := map[string][]endInfo{}
	for _, e := range r.ended {
		byUser[e.user] = append(byUser[e.user], e)
	}
	users := make([]string, 0, len(byUser))
	for u := range byUser {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, u := range users {
		es := byUser[u]
		minNewer, minAge := es[0].newer, es[0].age
		for _, e := range es {
			minNewer, minAge = min(minNewer, e.newer), min(minAge, e.age)
		}
		s := fmt.Sprintf("the backend ended %d session(s) of %s on its own (no revoke-all explains them)", len(es), u)
		if alive, seen := r.aliveMax[u]; minNewer > alive || !seen && minNewer > 0 {
			if minNewer == alive+1 {
				s += fmt.Sprintf("; each had at least %d newer sessions of the user, and one with %d newer still worked: it keeps at most %d live sessions per user", minNewer, alive, minNewer)
			} else {
				s += fmt.Sprintf("; each had at least %d newer sessions of the user, and one with %d newer still worked: it keeps between %d and %d live sessions per user", minNewer, alive, alive+1, minNewer)
			}
		} else {
			s += fmt.Sprintf("; not a cap per user (a session with %d newer ones still worked); the youngest was %s old: sessions may expire", alive, minAge.Round(100*time.Millisecond))
		}
		out = append(out, s)
	}
	return out
}
