package contract

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/flashback/revoke-contract/contract/internal/tokens"
)

// check is one running rule: it sends requests, collects violations and,
// at the end, settles them by the rule's level (settle is the only place
// that looks at levels).
type check struct {
	rule       Rule
	ctx        SpecContext
	rec        *ruleRecord
	violations []Violation
}

// rule declares the spec of one catalogue rule: text starts with [ID], the
// labels come from the catalogue.
func rule(id, text string, body func(c *check)) {
	r, ok := RuleByID(id)
	if !ok {
		panic("contract: rule " + id + " is not in the catalogue")
	}
	It(fmt.Sprintf("[%s] %s", id, text), Label(r.Labels()...), Offset(1), func(ctx SpecContext) {
		AddReportEntry("rule", r.ID+" "+string(r.Level), ReportEntryVisibilityNever)
		c := &check{rule: r, ctx: ctx, rec: registered.record(r.ID)}
		c.checkBudget()
		body(c)
		c.settle()
	})
}

// checkBudget skips the rule, before it sends anything, when the session
// budget (--sessions-per-user) has too few sessions left for it.
func (c *check) checkBudget() {
	if !env.tokens.CanMint() {
		return
	}
	for _, user := range users {
		need, left := c.rule.Sessions.Of(user), env.tokens.Remaining(user)
		if need > 0 && left >= 0 && left < need {
			Skip(fmt.Sprintf("needs %d fresh sessions of %s; the session budget (--sessions-per-user, CONTRACT_SESSIONS_PER_USER: %d per user) has %d left",
				need, user, env.cfg.SessionsPerUser, left))
		}
	}
}

func (c *check) settle() {
	c.rec.violations = c.violations
	switch out := Decide(c.rule.Level, env.cfg.Strict, len(c.violations)); out {
	case OutcomeFinding:
		text := Render(c.rule, out, c.violations)
		fmt.Fprint(GinkgoWriter, text)
		AddReportEntry(FindingEntry, text)
	case OutcomeFail:
		Fail(Render(c.rule, out, c.violations))
	}
}

// send makes one request and logs it (redacted) to GinkgoWriter. A
// backend that keeps rate limiting the suite ends the rule: it could not be
// checked, which is no contract failure.
func (c *check) send(r Request) *Exchange {
	ex := env.client.Do(c.ctx, c.rule.ID, r)
	c.log(ex)
	c.stopIfRateLimited(ex)
	return ex
}

func (c *check) log(ex *Exchange) {
	answer := fmt.Sprintf("%d %s", ex.Status, ex.StatusText)
	if ex.Err != "" {
		answer = "error: " + ex.Err
	}
	fmt.Fprintf(GinkgoWriter, "  #%d %s %s [%s] -> %s (%s)\n", ex.Seq, ex.Method, ex.URL, ex.Name, answer, ex.Elapsed)
}

func (c *check) stopIfRateLimited(exs ...*Exchange) {
	for _, ex := range exs {
		if ex.RateLimited {
			c.couldNotCheck(fmt.Sprintf("request #%d (%s): %s", ex.Seq, ex.Name, ex.Err))
		}
	}
}

// couldNotCheck ends the rule without a verdict: a failed spec whatever the
// level (a broken set-up must not look like a clean run), reported as
// could not check.
func (c *check) couldNotCheck(why string) {
	c.rec.violations = c.violations
	c.rec.couldNot = why
	Fail(fmt.Sprintf("[%s] %s cannot be checked: %s", c.rule.ID, c.rule.Level, why))
}

// fresh returns the token of a new session of user; the rule is skipped
// when the configuration cannot mint, and fails when minting fails.
func (c *check) fresh(user string) string {
	tok, err := env.tokens.Fresh(c.ctx, user)
	c.tokenError(err)
	c.rec.minted[user]++
	return tok
}

// users are the two users tokens are minted for: rules whose every valid
// call spends a session take them in turns, so that neither needs many.
var users = [2]string{Primary, Secondary}

// spendStatic returns a token for one successful call: a fresh one when
// possible, else the static CONTRACT_TOKEN, once per run.
func (c *check) spendStatic() string {
	canMint := env.tokens.CanMint()
	tok, err := env.tokens.SpendStatic(c.ctx)
	c.tokenError(err)
	if canMint {
		c.rec.minted[Primary]++
	}
	return tok
}

// freshOrRandom is a fresh token when tokens can be minted, else a random
// well-formed one: the rule still runs, with less bite.
func (c *check) freshOrRandom() string {
	if !env.tokens.CanMint() {
		return randomToken()
	}
	return c.fresh(Primary)
}

func (c *check) tokenError(err error) {
	if err == nil {
		return
	}
	var u *tokens.Unavailable
	if errors.As(err, &u) {
		Skip(u.Reason)
	}
	// Not a finding about the backend.
	c.couldNotCheck(fmt.Sprintf("no token: %v", err))
}

func (c *check) violate(ex *Exchange, format string, args ...any) {
	c.violations = append(c.violations, Violation{What: fmt.Sprintf(format, args...), Exchange: ex})
}

// answered records a violation and returns false when ex has no usable answer.
func (c *check) answered(ex *Exchange) bool {
	if ex.Err != "" {
		c.violate(ex, "no usable answer: %s", ex.Err)
		return false
	}
	return true
}

// expectStatus wants one of codes.
func (c *check) expectStatus(ex *Exchange, why string, codes ...int) bool {
	if !c.answered(ex) {
		return false
	}
	if slices.Contains(codes, ex.Status) {
		return true
	}
	c.violate(ex, "expected %s (%s), got %d", statusList(codes), why, ex.Status)
	return false
}

// expectNotClass wants a status outside class (2 for 2xx, 5 for 5xx).
func (c *check) expectNotClass(ex *Exchange, why string, classes ...int) bool {
	if !c.answered(ex) {
		return false
	}
	if slices.Contains(classes, ex.Status/100) {
		c.violate(ex, "got %d: %s", ex.Status, why)
		return false
	}
	return true
}

func statusList(codes []int) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = fmt.Sprint(c)
	}
	return strings.Join(s, " or ")
}

// endpointAnswers are the recorded answers to POST /sessions/revoke-all
// (a rate limiting 429 is not one).
func endpointAnswers() []*Exchange {
	var out []*Exchange
	for _, ex := range env.recorder.All() {
		if ex.Method == "POST" && ex.Endpoint && ex.Answered() {
			out = append(out, ex)
		}
	}
	return out
}

// ---- requests ----

func post(name string, header ...[2]string) Request {
	return Request{
		Name:   name,
		Method: "POST",
		Path:   EndpointPath,
		Header: append([][2]string{{"Accept", "application/json"}}, header...),
	}
}

func auth(value string) [2]string { return [2]string{"Authorization", value} }

// withHeader returns r with name set to value: every field of that name
// (in any case) is replaced by one, where the first stood.
func withHeader(r Request, name, value string) Request {
	var h [][2]string
	done := false
	for _, kv := range r.Header {
		if !strings.EqualFold(kv[0], name) {
			h = append(h, kv)
		} else if !done {
			h, done = append(h, [2]string{name, value}), true
		}
	}
	if !done {
		h = append(h, [2]string{name, value})
	}
	r.Header = h
	return r
}

// withBearer is the canonical valid call.
func withBearer(name, tok string) Request {
	r := post(name, auth("Bearer "+tok))
	r.Credentials, r.BearerToken = []string{tok}, true
	return r
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b) // 43 characters
}

// forgedJWT is an unsigned ("alg":"none") JWT claiming to be primary.
func forgedJWT() string {
	enc := base64.RawURLEncoding.EncodeToString
	now := time.Now().Unix()
	header := enc([]byte(`{"alg":"none","typ":"JWT"}`))
	claims := enc(fmt.Appendf(nil, `{"sub":%q,"userId":%q,"iat":%d,"exp":%d}`, Primary, Primary, now, now+3600))
	return header + "." + claims + "."
}

// basicRequests: AUTH-002.
func basicRequests() []Request {
	cred := base64.StdEncoding.EncodeToString([]byte(Primary + ":correct-horse-battery-staple"))
	r := post("Basic scheme (user:password)", auth("Basic "+cred))
	r.Credentials, r.Malformed = []string{cred}, true
	return []Request{r}
}

// otherSchemeRequests: AUTH-003, with tok under schemes that are not Bearer.
func otherSchemeRequests(tok func() string) []Request {
	var out []Request
	add := func(name string, value func(t string) string) {
		t := tok()
		r := post(name, auth(value(t)))
		r.Credentials, r.Malformed = []string{t}, true
		out = append(out, r)
	}
	add("Token scheme", func(t string) string { return "Token " + t })
	add("Digest scheme", func(t string) string {
		return fmt.Sprintf(`Digest username=%q, realm="flashback", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri=%q, response=%q`, Primary, EndpointPath, t)
	})
	add("bare token without a scheme", func(t string) string { return t })
	return out
}

// emptyBearerRequests: AUTH-004, written raw so trailing spaces go out.
func emptyBearerRequests() []Request {
	var out []Request
	for _, v := range []string{"Bearer", "Bearer ", "Bearer    "} {
		r := post(fmt.Sprintf("empty Bearer credential %q", v), auth(v))
		r.Raw, r.Malformed = true, true
		out = append(out, r)
	}
	return out
}

// unknownTokenRequests: AUTH-005.
func unknownTokenRequests() []Request {
	return []Request{
		withBearer("unknown random token (43 base64url characters)", randomToken()),
		withBearer(`forged unsigned JWT ("alg":"none") claiming user primary`, forgedJWT()),
	}
}

// elsewhereRequests: AUTH-008, tok anywhere but the Authorization header.
func elsewhereRequests(tok func() string) []Request {
	var out []Request
	add := func(r Request, t string) {
		r.Credentials = []string{t}
		out = append(out, r)
	}
	t := tok()
	r := post("token in the query (?access_token=)")
	r.Path += "?access_token=" + t
	add(r, t)
	t = tok()
	r = post("token in a form body (access_token=)", [2]string{"Content-Type", "application/x-www-form-urlencoded"})
	r.Body = []byte("access_token=" + t)
	add(r, t)
	t = tok()
	add(post("token in Cookie access_token", [2]string{"Cookie", "access_token=" + t}), t)
	t = tok()
	add(post("token in Cookie token", [2]string{"Cookie", "token=" + t}), t)
	t = tok()
	add(post("token in X-Access-Token header", [2]string{"X-Access-Token", t}), t)
	return out
}

// malformedRequests: AUTH-009. tok is used where a malformed credential
// wraps a token (tab separator, trailing junk).
func malformedRequests(tok func() string) []Request {
	var out []Request
	add := func(name, value string, raw bool, creds ...string) {
		r := post(name, auth(value))
		r.Raw, r.Malformed, r.Credentials = raw, true, creds
		out = append(out, r)
	}
	add(`two words after Bearer ("Bearer a b")`, "Bearer a b", false)
	add(`non-ASCII token ("Bearer ä", UTF-8)`, "Bearer ä", false)
	add(`punctuation only ("Bearer ,,,")`, "Bearer ,,,", false)
	add("8 KiB token", "Bearer "+strings.Repeat("a", 8192), false)
	add(`"Bearer" followed by a tab`, "Bearer\t", true)
	t := tok()
	add(`tab instead of the space ("Bearer<TAB>token")`, "Bearer\t"+t, true, t)
	t = tok()
	add(`junk after the token ("Bearer token junk")`, "Bearer "+t+" junk", false, t)
	return out
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}
