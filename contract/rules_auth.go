package contract

import (
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
)

// reject401 is the answer to missing or unknown credentials.
const reject401 = "RFC 6750 §3: a request without valid credentials is answered 401"

// reject400or401 is the answer to malformed credentials.
const reject400or401 = "RFC 6750 §3.1: malformed credentials are answered 400 invalid_request or 401"

func authRules() {
	Context("without an Authorization header", func() {
		rule("AUTH-001", "answers 401", func(c *check) {
			c.expectStatus(c.send(post("no Authorization header")), reject401, 401)
		})
	})

	Context("with credentials of another scheme", func() {
		rule("AUTH-002", "rejects Basic credentials with 401 (or 400)", func(c *check) {
			for _, r := range basicRequests() {
				c.expectStatus(c.send(r), reject400or401, 401, 400)
			}
		})
		rule("AUTH-003", "rejects the Token and Digest schemes and a bare token with 401 (or 400)", func(c *check) {
			// With fresh tokens when they can be minted: a backend that ignores
			// the scheme is caught only with a token it would accept.
			// One session for every probe: none may be accepted, and the
			// first that is (and revokes it) is caught.
			tok := c.freshOrRandom()
			for _, r := range otherSchemeRequests(func() string { return tok }) {
				c.expectStatus(c.send(r), reject400or401+"; only the Bearer scheme is documented", 401, 400)
			}
		})
	})

	Context("with an empty Bearer credential", func() {
		rule("AUTH-004", "rejects it with 401 (or 400)", func(c *check) {
			for _, r := range emptyBearerRequests() {
				c.expectStatus(c.send(r), reject400or401, 401, 400)
			}
		})
	})

	Context("with a well-formed token that no session has", func() {
		rule("AUTH-005", "answers 401 to a random token and to a forged unsigned JWT", func(c *check) {
			for _, r := range unknownTokenRequests() {
				c.expectStatus(c.send(r), "RFC 6750 §3.1 invalid_token: a well-formed token that is not valid is answered 401 (400 is for malformed requests)", 401)
			}
		})
	})

	Context("with a revoked token", func() {
		rule("AUTH-006", "answers 401, every time", func(c *check) {
			tok := c.fresh(Primary)
			if !c.expectStatus(c.send(withBearer("fresh token: revoke-all", tok)), "a fresh token is valid", 200) {
				return
			}
			for i := 1; i <= 3; i++ {
				c.expectStatus(c.send(withBearer(fmt.Sprintf("revoked token, attempt %d of 3", i), tok)), "the token was revoked by the previous call", 401)
			}
		})
	})

	Context("after rejected requests", func() {
		rule("AUTH-007", "still accepts the caller's valid token: rejected requests revoke nothing", func(c *check) {
			// A token of the same user, revoked before the valid one exists:
			// a backend that maps a revoked token to its user must not log
			// that user out again.
			revoked := c.fresh(Primary)
			if ex := c.send(withBearer("a token of the same user, revoked before the valid one is minted", revoked)); !ex.Answered() || ex.Status != 200 {
				fmt.Fprintf(GinkgoWriter, "  the token to revoke was not accepted (see AUTH-006, REV-001): no revoked token among the rejected requests\n")
				revoked = ""
			}
			valid := c.fresh(Primary)
			bad := rejectedRequests(valid, revoked)
			var accepted []*Exchange
			for _, r := range bad {
				if ex := c.send(r); ex.Answered() && ex.Status/100 == 2 {
					accepted = append(accepted, ex)
				}
			}
			final := c.send(withBearer("the same valid token, after the rejected requests", valid))
			if c.expectStatus(final, fmt.Sprintf("%d requests with bad credentials were sent before; none may revoke anything", len(bad)), 200) {
				return
			}
			for _, ex := range accepted {
				c.violate(ex, "this request with bad credentials was accepted (%d) and may have spent the token", ex.Status)
			}
			if len(accepted) == 0 && final.Answered() && final.Status == 401 {
				// Every bad request was refused, yet the token is dead: name
				// the one that revoked it.
				c.findRevokingRequest(len(bad), revoked)
			}
		})
	})

	Context("with a token outside the Authorization header", func() {
		rule("AUTH-008", "ignores it and answers 401", func(c *check) {
			tok := c.fresh(Primary)
			for _, r := range elsewhereRequests(func() string { return tok }) {
				c.expectStatus(c.send(r), "the spec's BearerAuth is the Authorization header; without it the request carries no credentials (RFC 6750 §3)", 401)
			}
		})
	})

	Context("with malformed credentials", func() {
		rule("AUTH-009", "answers 400 or 401, never 2xx or 5xx", func(c *check) {
			tok := c.freshOrRandom()
			for _, r := range malformedRequests(func() string { return tok }) {
				c.expectStatus(c.send(r), reject400or401, 400, 401)
			}
		})
	})

	Context("with the scheme in another case", func() {
		rule("AUTH-011", `accepts "bearer" and "BEARER" (200)`, func(c *check) {
			for i, scheme := range []string{"bearer", "BEARER"} {
				tok := c.fresh(users[i%2])
				r := post(fmt.Sprintf("scheme written %q", scheme), auth(scheme+" "+tok))
				r.Credentials, r.BearerToken = []string{tok}, true
				c.expectStatus(c.send(r), "RFC 9110 §11.1: the auth-scheme is case-insensitive", 200)
			}
		})
	})

	Context("with a credential made from a valid token", func() {
		rule("AUTH-013", "accepts only the exact token: lookalikes of a valid token are answered 401 (or 400)", func(c *check) {
			tok := c.fresh(Primary)
			c.sendLookalikes(tok, exactMatchLookalikes(tok), "RFC 6750 §3.1: only the token that was issued is a credential; anything else is invalid_token")
		})
		rule("AUTH-014", "rejects a JWT with its signature stripped, set to none, re-signed or under an altered payload", func(c *check) {
			tok := c.fresh(Primary)
			forged, isJWT := jwtForgeries(tok)
			if !isJWT {
				Skip("applies only when " + c.rule.OnlyWhen + "; a fresh token of this backend is not one, so there is no signature to forge")
			}
			c.sendLookalikes(tok, forged, "RFC 8725 §3.1: a JWT is accepted only with a valid signature of an algorithm the backend chose, never \"none\"")
		})
	})
}

// sendLookalikes sends each lookalike of tok (a fresh token, still unused):
// none may be accepted; then tok itself must still work, which proves the
// lookalikes were tried against a live session and revoked nothing.
func (c *check) sendLookalikes(tok string, looks []lookalike, why string) {
	var accepted []*Exchange
	for _, l := range looks {
		env.redactor.AddSecret(l.value, l.placeholder)
		ex := c.send(withBearer(l.name, l.value))
		if c.expectStatus(ex, why, 401, 400) {
			continue
		}
		if ex.Answered() && ex.Status/100 == 2 {
			accepted = append(accepted, ex)
		}
	}
	final := c.send(withBearer("the token itself, after its lookalikes", tok))
	if !c.answered(final) || final.Status == 200 {
		return
	}
	switch {
	case len(accepted) > 0:
		c.violate(final, "the token itself answered %d: the lookalike accepted first (request #%d) acted on its session", final.Status, accepted[0].Seq)
	case final.Status == 401:
		c.violate(final, "the token itself answered 401 after its lookalikes were refused: one of them revoked the session, or the token was not valid to begin with")
	default:
		c.violate(final, "the token itself answered %d, not 200", final.Status)
	}
}

// rejectedRequests are the bad-credential requests of AUTH-007: those of
// AUTH-001..005, 008 and 009, with valid wherever they carry a token, and
// the revoked token of the same user (AUTH-006) unless revoked is "".
func rejectedRequests(valid, revoked string) []Request {
	same := func() string { return valid }
	var bad []Request
	bad = append(bad, post("no Authorization header"))
	bad = append(bad, basicRequests()...)
	bad = append(bad, otherSchemeRequests(same)...)
	bad = append(bad, emptyBearerRequests()...)
	bad = append(bad, unknownTokenRequests()...)
	if revoked != "" {
		bad = append(bad, withBearer("the revoked token of the same user", revoked))
	}
	bad = append(bad, elsewhereRequests(same)...)
	bad = append(bad, malformedRequests(same)...)
	return bad
}

// findRevokingRequest runs when the valid token died although every
// rejected request was refused: it replays them one at a time, each with a
// session of its own, to name the one that revokes (n fresh sessions more,
// on failure only).
func (c *check) findRevokingRequest(n int, revoked string) {
	if left := env.tokens.Remaining(Primary); left >= 0 && left < 2 {
		c.violate(nil, "no session budget (--sessions-per-user) left to replay the rejected requests one by one: the request that revoked the session is not named")
		return
	}
	control := c.fresh(Primary)
	if ex := c.send(withBearer("control: a fresh token, with no rejected request before it", control)); !ex.Answered() || ex.Status != 200 {
		c.violate(ex, "a fresh token is not accepted even without rejected requests before it: the token source or the backend rejects valid sessions, so the culprit cannot be isolated")
		return
	}
	found := false
	for i := 0; i < n; i++ {
		if left := env.tokens.Remaining(Primary); left >= 0 && left < 1 {
			c.violate(nil, "the session budget (--sessions-per-user) ran out after %d of %d replays: the request that revoked the session is not named", i, n)
			return
		}
		valid := c.fresh(Primary)
		suspect := c.send(rejectedRequests(valid, revoked)[i])
		after := c.send(withBearer("the valid token, right after "+suspect.Name, valid))
		if after.Answered() && after.Status == 401 {
			found = true
			c.violate(suspect, "this rejected request revoked the caller's sessions: the same user's valid token answered %d right after it (request #%d)", after.Status, after.Seq)
		}
	}
	if !found {
		c.violate(nil, "replayed one at a time, no single rejected request revokes the session: it takes several of them, or the backend expires sessions on its own")
	}
}

// authCrossCutting: rules over every answer of the run.
func authCrossCutting() {
	rule("AUTH-010", `challenges every 401 with WWW-Authenticate: Bearer, and error="invalid_token" when a token was sent`, func(c *check) {
		c.send(post("no Authorization header"))
		c.send(withBearer("unknown random token", randomToken()))
		n := 0
		for _, ex := range env.recorder.All() {
			if ex.Status != 401 {
				continue
			}
			n++
			values := ex.RespHeader.Values("WWW-Authenticate")
			if len(values) == 0 {
				c.violate(ex, "401 without a WWW-Authenticate header (RFC 9110 §15.5.2: a 401 MUST carry a challenge)")
				continue
			}
			var bearer *Challenge
			for _, ch := range ParseChallenges(values) {
				if strings.EqualFold(ch.Scheme, "Bearer") {
					bearer = &ch
					break
				}
			}
			switch {
			case bearer == nil:
				c.violate(ex, "WWW-Authenticate %q has no Bearer challenge (RFC 6750 §3)", strings.Join(values, ", "))
			case ex.BearerToken && bearer.Params["error"] != "invalid_token":
				c.violate(ex, `a Bearer token was sent and rejected, but the challenge %q lacks error="invalid_token" (RFC 6750 §3.1)`, strings.Join(values, ", "))
			}
		}
		if n == 0 {
			Skip("no 401 answer appeared in this run, not even to this rule's own requests: nothing to check")
		}
		fmt.Fprintf(GinkgoWriter, "checked %d answers with status 401\n", n)
	})

	rule("AUTH-012", "never repeats the credential it was sent, in any answer of the run", func(c *check) {
		probe := "echoprobe" + randomToken()
		c.send(withBearer("distinctive unknown token (echo probe)", probe))
		all := env.recorder.All()
		answered := 0
		for _, ex := range all {
			if ex.Status != 0 {
				answered++
			}
			if len(ex.Echoes) > 0 {
				c.violate(ex, "the answer repeats the credential that was sent, in: %s (RFC 6750 §5.3: tokens must not leak)", strings.Join(ex.Echoes, ", "))
			}
		}
		if answered == 0 {
			Skip("no request of this run was answered, not even this rule's own: nothing to check")
		}
		fmt.Fprintf(GinkgoWriter, "checked %d answers for echoed credentials\n", answered)
	})
}
