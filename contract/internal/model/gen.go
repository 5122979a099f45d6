package model

import (
	"math/rand/v2"
	"time"
)

// generator draws the next step from the seed and what the model knows
// so far: the same seed against a backend that answers the same way gives
// the same history.
type generator struct {
	rng       *rand.Rand
	cfg       Config
	finalDone bool
	// The vocabulary is dealt like cards: families in a shuffled order,
	// and within each family its forms in a shuffled order, so that a run
	// of n variations covers n families' worth before any repeats.
	families []string
	famPos   int
	decks    map[string][]*Form
	deckPos  map[string]int
}

func newGenerator(cfg Config) *generator {
	g := &generator{rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), cfg: cfg,
		decks: map[string][]*Form{}, deckPos: map[string]int{}}
	g.families = Families()
	for i := range Vocabulary {
		f := &Vocabulary[i]
		g.decks[f.Family] = append(g.decks[f.Family], f)
	}
	// In a fixed order: the same seed deals the same cards.
	for _, f := range g.families {
		g.shuffleForms(g.decks[f])
	}
	g.shuffle(g.families)
	return g
}

func (g *generator) shuffle(s []string) {
	g.rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}

func (g *generator) shuffleForms(s []*Form) {
	g.rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}

// deal is the next form of the vocabulary.
func (g *generator) deal() *Form {
	if g.famPos == len(g.families) {
		g.famPos = 0
		g.shuffle(g.families)
	}
	fam := g.families[g.famPos]
	g.famPos++
	d := g.decks[fam]
	if g.deckPos[fam] == len(d) {
		g.deckPos[fam] = 0
		g.shuffleForms(d)
	}
	f := d[g.deckPos[fam]]
	g.deckPos[fam]++
	// Half the time, a family's combined form, when it has one.
	if g.pick(2) == 0 {
		var combined []*Form
		for _, c := range d {
			if c.Combined {
				combined = append(combined, c)
			}
		}
		if len(combined) > 0 {
			return combined[g.pick(len(combined))]
		}
	}
	return f
}

// capPerUser is the most live sessions per user the checker inferred the
// backend keeps (0: none inferred): it creates no more than that.
func (st *runState) capPerUser() int {
	c := 0
	for _, e := range st.r.ended {
		if e.newer > st.r.aliveMax[e.user] && (c == 0 || e.newer < c) {
			c = e.newer
		}
	}
	return c
}

func (g *generator) pick(n int) int { return g.rng.IntN(n) }

// next is the next step; false when nothing can be done any more.
func (g *generator) next(st *runState) (Step, bool) {
	users := [2]string{Primary, Secondary}
	canLogin := func(u string) bool {
		if left := st.r.be.Left(u); left == 0 {
			return false
		}
		c := st.capPerUser()
		return c == 0 || len(st.liveOf(u)) < c
	}
	var live, any []int
	for _, s := range st.o.sessions {
		any = append(any, s.n)
		if s.state == Live || s.state == Unknown {
			live = append(live, s.n)
		}
	}
	login := func() (Step, bool) {
		u := users[g.pick(2)]
		if !canLogin(u) {
			u = otherUser(u)
			if !canLogin(u) {
				return Step{}, false
			}
		}
		count := 1
		switch r := g.pick(100); {
		case r < 8:
			count = 2 + g.pick(2)
		case r < 12:
			count = 12 + g.pick(100)
		}
		if left := st.r.be.Left(u); left >= 0 {
			count = min(count, left)
		}
		if c := st.capPerUser(); c > 0 {
			count = min(count, max(1, c-len(st.liveOf(u))))
		}
		return Step{Kind: Login, User: u, Count: count}, true
	}
	var dead []int
	for _, s := range st.o.sessions {
		if s.state == Dead || s.state == Ended {
			dead = append(dead, s.n)
		}
	}
	// pickLive is a live session with probability pLive (of 10), else a
	// dead one, whichever exists.
	pickLive := func(pLive int) int {
		switch {
		case len(live) > 0 && (len(dead) == 0 || g.pick(10) < pLive):
			return live[g.pick(len(live))]
		case len(dead) > 0:
			return dead[g.pick(len(dead))]
		}
		return any[g.pick(len(any))]
	}
	session := func() int { return pickLive(5) }
	// With a probe, every session that may have changed is observed after
	// each step that can change one: the oldest and the newest few of
	// each user (the oldest and the newest 12: a cap shows at its edge).
	if g.cfg.Probe != nil && st.observe {
		st.observe = false
		for _, u := range [2]string{Primary, Secondary} {
			var mine []int
			for _, x := range st.o.sessions {
				if x.user == u && (x.state == Live || x.state == Unknown) {
					mine = append(mine, x.n)
				}
			}
			if len(mine) > 13 {
				mine = append(mine[:1], mine[len(mine)-12:]...)
			}
			for _, n := range mine {
				st.followUps = append(st.followUps, Step{Kind: Probe, Sess: n})
			}
		}
	}
	// Follow-ups first: the checks a suspicious answer calls for.
	for len(st.followUps) > 0 {
		f := st.followUps[0]
		st.followUps = st.followUps[1:]
		if f.Sess <= len(st.o.sessions) {
			return f, true
		}
	}
	if len(any) == 0 || len(live) == 0 && g.pick(3) > 0 {
		if s, ok := login(); ok {
			return s, true
		}
		if len(any) == 0 {
			return Step{}, false
		}
	}
	weights := []struct {
		w    int
		kind string
	}{{3, "login"}, {3, "call"}, {10, "variant"}, {1, "wait"}, {1, "group"}}
	if g.cfg.Probe != nil {
		weights = append(weights, struct {
			w    int
			kind string
		}{2, "probe"})
	}
	total := 0
	for _, w := range weights {
		total += w.w
	}
	r := g.pick(total)
	kind := ""
	for _, w := range weights {
		if r < w.w {
			kind = w.kind
			break
		}
		r -= w.w
	}
	switch kind {
	case "login":
		if s, ok := login(); ok {
			return s, true
		}
		return Step{Kind: Call, Sess: session(), Form: &CanonicalForm}, true
	case "call":
		return Step{Kind: Call, Sess: session(), Form: &CanonicalForm}, true
	case "wait":
		return Step{Kind: Wait, Wait: time.Duration(20+g.pick(180)) * time.Millisecond}, true
	case "probe":
		return Step{Kind: Probe, Sess: session()}, true
	case "group":
		if len(any) >= 2 {
			n := 2 + g.pick(2)
			seen := map[int]bool{}
			var calls []Step
			for range n {
				s := session()
				if !seen[s] {
					seen[s] = true
					calls = append(calls, Step{Kind: Call, Sess: s, Form: &CanonicalForm})
				}
			}
			if len(calls) >= 2 {
				return Step{Kind: Group, Calls: calls}, true
			}
		}
	}
	f := g.deal()
	s := Step{Kind: Call, Sess: pickLive(liveOdds[f.Class]), Form: f}
	if f.Aux {
		// Preferably a revoked token of the other user: an attacker's
		// leaked old token of the victim.
		var dead, theirs []int
		for _, x := range st.o.sessions {
			if x.state == Dead && x.n != s.Sess {
				dead = append(dead, x.n)
				// ... of a user who has live sessions to lose.
				if x.user != st.sess(s.Sess).user && len(st.liveOf(x.user)) > 0 {
					theirs = append(theirs, x.n)
				}
			}
		}
		if len(theirs) > 0 && g.pick(10) < 7 {
			dead = theirs
		}
		if len(dead) == 0 {
			return Step{Kind: Call, Sess: s.Sess, Form: &CanonicalForm}, true
		}
		s.Aux = dead[g.pick(len(dead))]
	}
	// An attack on another user shows only when that user has a session
	// to lose: log one in first.
	if other := otherUser(st.sess(s.Sess).user); (f.Other || f.Aux) && len(st.liveOf(other)) == 0 && canLogin(other) {
		st.followUps = append(st.followUps, s)
		return Step{Kind: Login, User: other, Count: 1}, true
	}
	if f.Family == FamLookalike && f.Tpl.Header[1][1] == "Bearer {{T~}}" && isHex(st.sess(s.Sess).token) {
		// A hex token's case decodes to the same bytes: not a lookalike.
		s.Form = &CanonicalForm
	}
	return s, true
}

// liveOdds is how often (of 10) a form is sent with a live session rather
// than a dead one: forms whose defects need a live token mostly with one,
// those that test what a dead token can still do half the time.
var liveOdds = map[Class]int{Canonical: 5, AuthPOST: 8, NoAuth: 8, BadCred: 5, OtherMethod: 8, PathVariant: 5, DupAuth: 9}

// final is the durability check: the wait, then every session the model
// holds dead, once more.
func (g *generator) final(st *runState) []Step {
	var out []Step
	for _, s := range st.o.sessions {
		if s.state == Dead || s.state == Ended {
			out = append(out, Step{Kind: Call, Sess: s.n, Form: &CanonicalForm, Final: true})
		}
	}
	if len(out) > 0 && g.cfg.DurabilityWait > 0 {
		out = append([]Step{{Kind: Wait, Wait: g.cfg.DurabilityWait, Final: true}}, out...)
	}
	return out
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
