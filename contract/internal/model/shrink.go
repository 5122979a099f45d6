package model

import (
	"context"
	"fmt"
	"time"
)

// shrink looks for the shortest history that still breaks the same rule:
// it removes chunks of steps (halving their size, as delta debugging
// does), then makes multi-session logins single and concurrent groups
// smaller, replaying each candidate once against the backend. Every
// decision depends only on the backend's answers, so a deterministic
// backend gets the same history every time; the replays are bounded by
// MaxReplays and the session budget.
func (r *replayer) shrink(ctx context.Context, h []Step, first outcome) *Violation {
	rule := first.v.rule
	from := len(h)
	r.replays = 0 // the exploration's attributions do not count against shrinking
	best, bestOut := h, first
	reproduced := false
	try := func(cand []Step) bool {
		if len(cand) == 0 || r.replays >= r.cfg.MaxReplays || !r.affordable(cand) || ctx.Err() != nil {
			return false
		}
		r.replays++
		got, o := r.run(ctx, cand, nil, 0, true)
		if o.v == nil || o.v.rule != rule && !(first.v.control && o.v.control) {
			return false
		}
		best, bestOut, reproduced = got, o, true
		return true
	}
	// The history as it was: does it show the violation again?
	try(best)
	// The slice first: the session's login, the step that revoked it, the
	// violating step, and the time between them.
	if v := bestOut.v; reproduced && v.killedAt >= 0 && v.sess > 0 {
		if cand, ok := slice(best, bestOut, v.sess, v.killedAt); ok {
			try(cand)
		}
	}

	for chunk := max(1, len(best)/2); chunk >= 1 && r.replays < r.cfg.MaxReplays; {
		progress := false
		for start := 0; start+1 < len(best); start += chunk {
			keep := make([]bool, len(best))
			for i := range keep {
				keep[i] = i < start || i >= start+chunk || i == len(best)-1
			}
			cand, _ := renumber(best, keep)
			if len(cand) < len(best) && try(cand) {
				progress = true
				break
			}
			// The same without the steps but with the time they took: a
			// violation that needs time to pass (a revocation that wears
			// off) keeps it.
			end := min(start+chunk, len(best)-1)
			if took := elapsed(bestOut, start, end); chunk > 1 && took >= 50*time.Millisecond {
				ext := append(append(append([]Step(nil), best[:start]...), Step{Kind: Wait, Wait: took}), best[start:]...)
				keep := make([]bool, len(ext))
				for i := range keep {
					keep[i] = i <= start || i > end
				}
				if cand, _ := renumber(ext, keep); len(cand) < len(best) && try(cand) {
					progress = true
					break
				}
			}
		}
		if !progress {
			if chunk == 1 {
				break
			}
			chunk /= 2
		} else {
			chunk = min(chunk, max(1, len(best)/2))
		}
	}
	// Simpler steps: one session per login, smaller groups.
	for i := 0; i < len(best) && r.replays < r.cfg.MaxReplays; i++ {
		s := best[i]
		switch {
		case s.Kind == Login && s.Count > 1:
			for _, n := range []int{1, s.Count / 2} {
				if n < 1 || n >= s.Count {
					continue
				}
				if cand, ok := withLoginCount(best, i, n); ok && try(cand) {
					i = -1
					break
				}
			}
		case s.Kind == Group:
			for j := range s.Calls {
				cand := append([]Step(nil), best...)
				g := s
				g.Calls = append(append([]Step(nil), s.Calls[:j]...), s.Calls[j+1:]...)
				if len(g.Calls) == 1 {
					cand[i] = g.Calls[0]
				} else {
					cand[i] = g
				}
				if try(cand) {
					i = -1
					break
				}
			}
		}
	}
	// A family's combined form replaced by one of its single forms.
	for i := 0; i < len(best)-1 && r.replays < r.cfg.MaxReplays; i++ {
		s := best[i]
		if s.Kind != Call || !s.Form.Combined {
			continue
		}
		for j := range Vocabulary {
			f := &Vocabulary[j]
			if f.Family != s.Form.Family || f.Class != s.Form.Class || f.Combined || f.Aux {
				continue
			}
			cand := append([]Step(nil), best...)
			cand[i].Form = f
			if try(cand) {
				break
			}
		}
	}
	// Adjacent waits, merged.
	for i := 0; i+1 < len(best) && r.replays < r.cfg.MaxReplays; i++ {
		if best[i].Kind == Wait && best[i+1].Kind == Wait {
			cand := append(append([]Step(nil), best[:i]...), Step{Kind: Wait, Wait: best[i].Wait + best[i+1].Wait})
			cand = append(cand, best[i+2:]...)
			if try(cand) {
				i--
			}
		}
	}
	v := bestOut.v
	if k := v.killedAt; !v.control && k >= 0 && k < len(best) && best[k].Kind == Call && best[k].Form.Other && best[k].Form.Class == AuthPOST && r.replays < r.cfg.MaxReplays+2 {
		// Blamed on the identity variation only when the history shows the
		// violation again now, and the documented call in its place does
		// not: a violation that needs time (a revocation that wears off)
		// shows either way.
		cand := append([]Step(nil), best...)
		cand[k].Form = &CanonicalForm
		r.replays += 2
		_, again := r.run(ctx, best, nil, 0, true)
		if _, o := r.run(ctx, cand, nil, 0, true); again.v != nil && again.v.rule == rule && o.v == nil && o.stopped == "" {
			v.rule = RuleIdentity
			v.what = "the revoke-all naming another user did not revoke the caller's sessions (the documented call in its place does): " + v.what
		}
	}
	if v.control && identityStep(best[:len(best)-1]) {
		// The step that ended another user's session named that user.
		v.rule = RuleIdentity
		v.what = "a request whose bearer is one user's, naming another user in a header or parameter, ended the other user's session: " + v.what
	}
	sc := r.cfg.Script
	lines := sc.Lines(best, bestOut.notes, usersOf(best))
	what := v.what
	if !reproduced {
		what += " (it did not show again when the history was replayed: the backend's answer depends on timing or on what came before the run)"
	}
	return &Violation{Rule: v.rule, What: what, Exchange: v.ex, Lines: lines, Script: sc.Text(lines),
		Steps: len(best), FromSteps: from, Reproduced: reproduced}
}

// slice is h reduced to the logins that created session n and the
// session of the step that revoked it, that step, the last step, and
// waits as long as the time between them.
func slice(h []Step, o outcome, n, killed int) ([]Step, bool) {
	last := len(h) - 1
	if killed >= last || killed < 0 {
		return nil, false
	}
	want := map[int]bool{n: true}
	for _, x := range h[killed].sessionsUsed() {
		want[x] = true
	}
	keep := make([]bool, len(h))
	sess := 0
	for i, s := range h {
		if s.Kind == Login {
			for range s.Count {
				sess++
				if want[sess] {
					keep[i] = true
				}
			}
		}
	}
	keep[killed], keep[last] = true, true
	// Waits where kept steps are apart, as long as what was removed took.
	var ext []Step
	var extKeep []bool
	gap := time.Duration(0)
	for i, s := range h {
		if !keep[i] {
			if i < len(o.took) {
				gap += o.took[i]
			}
			ext, extKeep = append(ext, s), append(extKeep, false)
			continue
		}
		if gap >= 50*time.Millisecond {
			ext, extKeep = append(ext, Step{Kind: Wait, Wait: gap.Round(time.Millisecond)}), append(extKeep, true)
		}
		gap = 0
		ext, extKeep = append(ext, s), append(extKeep, true)
	}
	cand, _ := renumber(ext, extKeep)
	return cand, len(cand) < len(h)
}

// elapsed is how long steps from to to (exclusive) took in o.
func elapsed(o outcome, from, to int) time.Duration {
	var d time.Duration
	for i := from; i < to && i < len(o.took); i++ {
		d += o.took[i]
	}
	return d.Round(time.Millisecond)
}

// identityStep: h has a call naming the other user.
func identityStep(h []Step) bool {
	for _, s := range h {
		if s.Kind == Call && s.Form.Other && s.Form.Class == AuthPOST {
			return true
		}
	}
	return false
}

// withLoginCount is h with step i logging in n sessions instead of its
// count: the sessions beyond the first n are gone, with the steps that
// used them.
func withLoginCount(h []Step, i, n int) ([]Step, bool) {
	before := 0
	for _, s := range h[:i] {
		if s.Kind == Login {
			before += s.Count
		}
	}
	removed := map[int]bool{}
	for k := before + n + 1; k <= before+h[i].Count; k++ {
		removed[k] = true
	}
	shift := h[i].Count - n
	m := func(x int) int {
		if x > before+h[i].Count {
			return x - shift
		}
		return x
	}
	var out []Step
	for j, s := range h {
		if j == i {
			s.Count = n
			out = append(out, s)
			continue
		}
		drop := false
		for _, x := range s.sessionsUsed() {
			drop = drop || removed[x]
		}
		if drop {
			if j == len(h)-1 {
				return nil, false
			}
			continue
		}
		mm := map[int]int{}
		for _, x := range s.sessionsUsed() {
			mm[x] = m(x)
		}
		out = append(out, remap(s, mm))
	}
	return out, true
}

// String renders a violation for a failure report.
func (v *Violation) String() string {
	s := fmt.Sprintf("%s\n  history (%d steps, shrunk from %d):\n", v.What, v.Steps, v.FromSteps)
	for _, l := range v.Lines {
		s += fmt.Sprintf("  %4s  %s\n        # %s\n", l.N+".", l.Command, l.Note)
	}
	return s
}
