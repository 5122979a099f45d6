package contract

import (
	"fmt"
	"sync"

	. "github.com/onsi/ginkgo/v2"
)

const revokedWhy = "revoke-all revoked every session of the user (seed doc: \"across all devices\")"

func revocationRules() {
	Context("after a successful revoke-all", func() {
		// revokeAll spends tok; false (and a violation) when it is not accepted.
		revokeAll := func(c *check, tok string) bool {
			return c.expectStatus(c.send(withBearer("revoke-all with a fresh token", tok)), "a fresh token is valid", 200)
		}

		rule("REV-001", "rejects the caller's token at once", func(c *check) {
			tok := c.fresh(Primary)
			if revokeAll(c, tok) {
				c.expectStatus(c.send(withBearer("the caller's token, right after", tok)), revokedWhy, 401)
			}
		})
		rule("REV-002", "rejects every other session of the same user", func(c *check) {
			tok := c.fresh(Primary)
			others := []string{c.fresh(Primary), c.fresh(Primary), c.fresh(Primary)}
			if revokeAll(c, tok) {
				for i, o := range others {
					c.expectStatus(c.send(withBearer(fmt.Sprintf("another session (device %d of 3) of the same user", i+1), o)), revokedWhy, 401)
				}
			}
		})
		rule("REV-003", "leaves a session of another user valid", func(c *check) {
			tok, theirs := c.fresh(Primary), c.fresh(Secondary)
			if revokeAll(c, tok) {
				c.expectStatus(c.send(withBearer("a session of user secondary", theirs)), "revoke-all is for the authenticated user only", 200)
			}
		})
		rule("REV-004", "accepts a session created afterwards for the same user", func(c *check) {
			tok := c.fresh(Primary)
			if revokeAll(c, tok) {
				c.expectStatus(c.send(withBearer("a new session of the same user, created after", c.fresh(Primary))), "revoke-all logs out; it does not ban the user", 200)
			}
		})
	})

	Context("with concurrent calls from sessions of one user", func() {
		rule("REV-005", "ends each in 200 or 401 and revokes all of them", func(c *check) {
			const n = ConcurrentRevokes
			toks := make([]string, n)
			for i := range toks {
				toks[i] = c.fresh(Primary)
			}
			answers := make([]*Exchange, n)
			var start, done sync.WaitGroup
			start.Add(1)
			for i := range toks {
				done.Add(1)
				go func() {
					defer GinkgoRecover()
					defer done.Done()
					start.Wait()
					answers[i] = env.client.Do(c.ctx, c.rule.ID, withBearer(fmt.Sprintf("concurrent revoke-all %d of %d", i+1, n), toks[i]))
				}()
			}
			start.Done()
			done.Wait()
			c.stopIfRateLimited(answers...)
			ok := 0
			for _, ex := range answers {
				fmt.Fprintf(GinkgoWriter, "  #%d %s %s [%s] -> %d %s%s\n", ex.Seq, ex.Method, ex.URL, ex.Name, ex.Status, ex.StatusText, ex.Err)
				if c.expectStatus(ex, "each concurrent call either revokes (200) or finds its session already revoked (401)", 200, 401) && ex.Status == 200 {
					ok++
				}
			}
			if ok == 0 {
				c.violate(nil, "none of the %d concurrent calls answered 200: at least the first one must succeed", n)
			}
			for i, tok := range toks {
				c.expectStatus(c.send(withBearer(fmt.Sprintf("session %d of %d, after the concurrent calls", i+1, n), tok)), revokedWhy, 401)
			}
		})
	})

	Context("after a new login of the same user", func() {
		rule("REV-006", "keeps a token revoked before it rejected", func(c *check) {
			tok := c.fresh(Primary)
			if !c.expectStatus(c.send(withBearer("revoke-all with a fresh token", tok)), "a fresh token is valid", 200) {
				return
			}
			c.fresh(Primary) // the new login
			c.expectStatus(c.send(withBearer("the revoked token, after a new login of the same user", tok)), "revocation is permanent; a new session does not revive old ones", 401)
		})
	})

	Context("for a user with many sessions", func() {
		rule("REV-007", fmt.Sprintf("revokes all %d of them, the caller's included", ManySessions), func(c *check) {
			const n = ManySessions
			toks := make([]string, n)
			for i := range toks {
				toks[i] = c.fresh(Secondary)
			}
			// The newest session calls, as the device the user is on would.
			if !c.expectStatus(c.send(withBearer(fmt.Sprintf("revoke-all with the newest of %d sessions of one user", n), toks[n-1])), "a fresh token is valid", 200) {
				return
			}
			for i, tok := range toks {
				ex := c.send(withBearer(fmt.Sprintf("session %d of %d, in the order they were created", i+1, n), tok))
				if c.expectStatus(ex, revokedWhy, 401) || !ex.Answered() || ex.Status != 200 {
					continue
				}
				// That 200 was a revoke-all of its own: the sessions after
				// it can no longer tell what the first one left alive.
				c.violate(nil, "session %d of %d survived the revoke-all (a backend that revokes a page or a batch at a time stops early); the check stops here, since its own 200 revoked the rest", i+1, n)
				return
			}
		})
	})
}

func crossCuttingRules() {
	// Defined last, in one Ordered container: they inspect every exchange
	// recorded by the rules above. Rules that send probes come first, so the
	// pure inspections see those too.
	Context("over every exchange of the run", func() {
		schema500Rule()
		authCrossCutting()
		documentedAnswersRule()
		httpCrossCutting()
	})
}
