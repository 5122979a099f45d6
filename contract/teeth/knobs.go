package teeth

// The knobs. Each defect names the rule the suite must fail it on.
const (
	AcceptsNoHeader           Knob = "accepts a request without an Authorization header"
	AcceptsBasic              Knob = "accepts Basic credentials"
	AcceptsBareToken          Knob = "accepts a bare token without a scheme"
	AcceptsEmptyBearer        Knob = "accepts an empty bearer token"
	AcceptsAnyToken           Knob = "accepts any well-formed token (no session lookup)"
	Forbidden403              Knob = "answers 403 instead of 401 for an unknown token"
	RevokedTokenWorks         Knob = "keeps accepting revoked tokens"
	RejectedRequestRevokes    Knob = "revokes the sessions of a token sent under a non-Bearer scheme, then answers 401"
	RevokedTokenRevokesAgain  Knob = "logs the user out again when a revoked token is presented, then answers 401"
	AcceptsQueryToken         Knob = "accepts the token from ?access_token="
	Malformed500              Knob = "crashes (500) on a malformed bearer token"
	NoWWWAuthenticate         Knob = "sends no WWW-Authenticate on 401"
	CaseSensitiveScheme       Knob = "matches the Bearer scheme case-sensitively"
	EchoesToken               Knob = "echoes the credential in the 401 body"
	Answers202                Knob = "answers 202 instead of 200"
	TextPlain                 Knob = "answers text/plain"
	SuccessAsString           Knob = `sends "success": "true" (a string)`
	Bad500Body                Knob = "sends a 500 whose body breaks the 500 schema"
	Bad401Body                Knob = "sends 401 bodies that break the 401 schema"
	RevokedBodyBreaksSchema   Knob = "answers a revoked token with a 401 body that breaks the 401 schema"
	SuccessFalseOn200         Knob = `sends "success": false with a 200`
	ErrorBodyWithoutSuccess   Knob = `sends error bodies without "success"`
	NoCacheControl            Knob = "sends no Cache-Control: no-store"
	GetAnswers200             Knob = "answers 200 to GET without revoking"
	GetRevokes                Knob = "revokes on GET (and answers 405)"
	NoAllowOn405              Knob = "sends 405 without Allow"
	InvalidJSONBody500        Knob = "crashes (500) on a JSON request body"
	AcceptHTML500             Knob = "crashes (500) on Accept: text/html"
	RedirectsToLogin          Knob = "redirects an anonymous call to /login (302)"
	TrailingSlashBypass       Knob = "serves /sessions/revoke-all/ without authentication"
	RevokesNothing            Knob = "answers 200 but revokes nothing"
	RevokesOnlyCurrent        Knob = "revokes only the calling session"
	RevokesEveryone           Knob = "revokes every user's sessions"
	BansUser                  Knob = "refuses the user's new sessions after a revoke-all"
	ConcurrentRevoke500       Knob = "fails (500) when revoke-alls of one user overlap"
	RevokedComeBackAfterLogin Knob = "restores revoked sessions when the user logs in again"
	Hangs                     Knob = "never answers a valid call"
	DripsBody                 Knob = "drips the 200 body a byte every 200 ms"
	ResetsConnection          Knob = "resets the connection on a valid call"
	HugeBody                  Knob = "sends a 5 MiB body"
	InvalidJSON200            Knob = "sends invalid JSON with a 200"
	AcceptsTokenPrefix        Knob = "finds sessions by prefix (LIKE 'token%'): a part of a token works"
	CaseInsensitiveTokenMatch Knob = "compares tokens case-insensitively (a _ci collation)"
	ComparesFirst16Bytes      Knob = "compares only the first 16 bytes of a token (a truncating hash or column)"
	AcceptsAlgNone            Knob = `issues HS256 JWTs but accepts one whose header says "alg":"none" without a signature`
	RevokesFirstPage          Knob = "revokes one page (20, oldest first) of the user's sessions"

	// What a hostile server does on a valid call (the rows of REPORT.md's
	// exit-status table; no rule in particular).
	StallsAfterHeaders Knob = "sends the 200's headers, then nothing"
	ResetsMidBody      Knob = "resets the connection in the middle of the 200's body"
	EndlessHeader      Knob = "sends header lines without end"
	HugeContentLength  Knob = "announces a 1 GB body and closes after a few bytes"
	RedirectLoop       Knob = "redirects a valid call to itself"

	// Defects no rule lists, which the model-based checker (the MODEL
	// rules) finds: one or more per family of contract/THREATS.md.
	HonoursMethodOverride   Knob = "honours X-HTTP-Method-Override, X-HTTP-Method and ?_method=POST on a GET (method-override middleware)"
	OverrideRevokesSilently Knob = "revokes on a GET whose X-HTTP-Method-Override says POST, then answers 405"
	OptionsRevokes          Knob = "runs the handler for OPTIONS too: a CORS preflight with a token revokes (204)"
	SessionCookieAuth       Knob = "authenticates from a framework's session cookie (session, sessionid, connect.sid, _session_id, laravel_session, JSESSIONID)"
	APIKeyHeaderAuth        Knob = "accepts the token from X-Auth-Token, X-Api-Key, Token or X-Token"
	TrustsForwardedUser     Knob = "trusts X-Forwarded-User, X-Remote-User and Remote-User without a bearer (an authenticating proxy's header, reachable directly)"
	UserIDHeaderWins        Knob = "revokes the sessions of the user X-User-Id names, not the bearer's"
	BodyUserIDWins          Knob = `revokes the sessions of the user a JSON body's "userId" or "user_id" names (mass assignment)`
	SuffixSkipsDenylist     Knob = "routes /sessions/revoke-all.json and ;params to the handler but checks the revocation list on the exact path only"
	RevocationExpires       Knob = "forgets every revocation after a second without requests (an in-memory denylist on an instance that scales to zero)"
	LastAuthorizationWins   Knob = "authenticates with the first Authorization header, revokes the user of the last one"
	RevokedLookalikeWorks   Knob = "finds sessions case-insensitively but keeps revoked tokens in a case-sensitive denylist"
	RevokesAtMost50         Knob = "revokes at most 50 of a user's sessions per call (LIMIT 50, no loop)"

	// Legitimate ways of a correct backend the model must be fair to.
	RateLimits        Knob = "answers every 40th request 429 with Retry-After: 1"
	Slow              Knob = "answers every request after 15 ms"
	RedirectsVariants Knob = "redirects the path with a trailing slash or in another case to the canonical path (308)"
	LenientPaths      Knob = "serves the path with a trailing slash or in another case as the endpoint, authentication included"
	CapsSessions      Knob = "keeps at most 10 live sessions per user: the 11th login ends the oldest"
	ExpiresSessions   Knob = "ends every session 1.5 s after it was created"
	StreamsBody       Knob = "streams the 200 body in two chunks (Transfer-Encoding: chunked)"

	// Legitimate variations: the suite must pass them in strict mode.
	ExtraFields            Knob = "adds extra fields to every body"
	Charset                Knob = "sends application/json; charset=utf-8"
	BadRequestForMalformed Knob = "answers 400 invalid_request to malformed credentials"
	OtherMessages          Knob = "uses other message texts"
	ErrorDescription       Knob = "adds error_description to the challenge"
	LowerCaseChallenge     Knob = `writes the challenge's scheme in lower case ("bearer realm=...")`
	IgnoresBody            Knob = "never reads the request body"
	ReadsPartOfBody        Knob = "reads only the first KiB of the request body"
	SignedJWTs             Knob = `issues HS256 JWTs ({"sub", "sid"}) and verifies them`
)

// Defect is a knob and what the suite must say about it.
type Defect struct {
	Knob   Knob
	Rule   string // the rule ID that must fail
	Should bool   // a SHOULD rule: fails only in strict mode, a finding otherwise
	Only   bool   // no other rule may fail: the rule catches what the others miss
	Slow   bool   // needs a short CONTRACT_TIMEOUT (hangs or drips)
	Waits  bool   // its run mostly waits (a call held until the client gives up), as Slow ones do
	Says   string // when set, the failure report must contain it
}

// Defects is the catalogue of broken backends, across every rule group and
// the failures a network can add.
var Defects = []Defect{
	// Auth, MUST
	{Knob: AcceptsNoHeader, Rule: "AUTH-001"},
	{Knob: AcceptsBasic, Rule: "AUTH-002"},
	{Knob: AcceptsBareToken, Rule: "AUTH-003"},
	{Knob: AcceptsEmptyBearer, Rule: "AUTH-004"},
	{Knob: AcceptsAnyToken, Rule: "AUTH-005"},
	{Knob: Forbidden403, Rule: "AUTH-005"},
	{Knob: RevokedTokenWorks, Rule: "AUTH-006"},
	{Knob: RejectedRequestRevokes, Rule: "AUTH-007", Says: "case:      Token scheme"},
	{Knob: RevokedTokenRevokesAgain, Rule: "AUTH-007", Says: "case:      the revoked token of the same user"},
	{Knob: AcceptsQueryToken, Rule: "AUTH-008"},
	{Knob: Malformed500, Rule: "AUTH-009"},
	{Knob: AcceptsTokenPrefix, Rule: "AUTH-013", Only: true, Says: "case:      the token without its last character"},
	{Knob: CaseInsensitiveTokenMatch, Rule: "AUTH-013", Only: true, Says: "case:      the token with every letter in the other case"},
	{Knob: ComparesFirst16Bytes, Rule: "AUTH-013", Only: true, Says: "case:      the token with a character appended"},
	{Knob: AcceptsAlgNone, Rule: "AUTH-014", Only: true, Says: `case:      the token's payload under "alg":"none", unsigned`},
	// Auth, SHOULD
	{Knob: NoWWWAuthenticate, Rule: "AUTH-010", Should: true},
	{Knob: CaseSensitiveScheme, Rule: "AUTH-011", Should: true},
	{Knob: EchoesToken, Rule: "AUTH-012", Should: true},
	// Schema, MUST
	{Knob: Answers202, Rule: "SCHEMA-001"},
	{Knob: TextPlain, Rule: "SCHEMA-001"},
	{Knob: SuccessAsString, Rule: "SCHEMA-001"},
	{Knob: Bad401Body, Rule: "SCHEMA-002"},
	{Knob: Bad500Body, Rule: "SCHEMA-003"},
	{Knob: RevokedBodyBreaksSchema, Rule: "SCHEMA-004", Says: "case:      revoked token, attempt 1 of 3"},
	{Knob: Forbidden403, Rule: "SCHEMA-004"},
	// Schema, SHOULD
	{Knob: SuccessFalseOn200, Rule: "SCHEMA-005", Should: true},
	{Knob: ErrorBodyWithoutSuccess, Rule: "SCHEMA-006", Should: true},
	{Knob: NoCacheControl, Rule: "SCHEMA-007", Should: true},
	// HTTP
	{Knob: GetAnswers200, Rule: "HTTP-001"},
	{Knob: GetRevokes, Rule: "HTTP-002"},
	{Knob: NoAllowOn405, Rule: "HTTP-003", Should: true},
	{Knob: InvalidJSONBody500, Rule: "HTTP-004"},
	{Knob: AcceptHTML500, Rule: "HTTP-005"},
	{Knob: RedirectsToLogin, Rule: "HTTP-006"},
	{Knob: TrailingSlashBypass, Rule: "HTTP-007"},
	// Revocation
	{Knob: RevokesNothing, Rule: "REV-001"},
	{Knob: RevokesOnlyCurrent, Rule: "REV-002"},
	{Knob: RevokesEveryone, Rule: "REV-003"},
	{Knob: BansUser, Rule: "REV-004"},
	{Knob: ConcurrentRevoke500, Rule: "REV-005", Waits: true},
	{Knob: RevokedComeBackAfterLogin, Rule: "REV-006"},
	{Knob: RevokesFirstPage, Rule: "REV-007", Only: true, Says: "of 30 survived the revoke-all"},
	// What a network or a crashing server adds
	{Knob: Hangs, Rule: "SCHEMA-001", Slow: true},
	{Knob: DripsBody, Rule: "SCHEMA-001", Slow: true},
	{Knob: ResetsConnection, Rule: "SCHEMA-001"},
	{Knob: HugeBody, Rule: "SCHEMA-001"},
	{Knob: InvalidJSON200, Rule: "SCHEMA-001"},
}

// Variations are legitimate: a conforming backend may do each.
// IgnoresBody and ReadsPartOfBody answer before the suite has sent a large
// body and then close the connection (RFC 9112 §9.6 allows it): the verdict
// must not depend on when the close arrives.
// SignedJWTs is the one backend whose tokens AUTH-014 applies to.
var Variations = []Knob{ExtraFields, Charset, BadRequestForMalformed, OtherMessages, ErrorDescription, LowerCaseChallenge, IgnoresBody, ReadsPartOfBody, SignedJWTs}

// ModelDefect is a defect the model-based checker must find, with the
// rule it breaks. RulesMiss: the rules of the catalogue pass it (the
// checker finds what no rule lists).
type ModelDefect struct {
	Knob      Knob
	Rule      string
	Family    string // the vocabulary family (THREATS.md) or dimension it stands for
	RulesMiss bool
	// Durability: it shows only after --durability-wait.
	Durability bool
}

// ModelDefects: at least one per invariant (MODEL-001 to MODEL-004) and
// one per family of the vocabulary.
var ModelDefects = []ModelDefect{
	{Knob: HonoursMethodOverride, Rule: "MODEL-004", Family: "method-override", RulesMiss: true},
	{Knob: OverrideRevokesSilently, Rule: "MODEL-003", Family: "method-override", RulesMiss: true},
	{Knob: OptionsRevokes, Rule: "MODEL-003", Family: "method-spelling", RulesMiss: true},
	{Knob: SessionCookieAuth, Rule: "MODEL-001", Family: "credential-location", RulesMiss: true},
	{Knob: APIKeyHeaderAuth, Rule: "MODEL-001", Family: "credential-location", RulesMiss: true},
	{Knob: TrustsForwardedUser, Rule: "MODEL-001", Family: "identity-header", RulesMiss: true},
	{Knob: UserIDHeaderWins, Rule: "MODEL-001", Family: "identity-header", RulesMiss: true},
	{Knob: BodyUserIDWins, Rule: "MODEL-001", Family: "identity-parameter", RulesMiss: true},
	{Knob: SuffixSkipsDenylist, Rule: "MODEL-002", Family: "path-spelling", RulesMiss: true},
	{Knob: LastAuthorizationWins, Rule: "MODEL-003", Family: "authorization-spelling", RulesMiss: true},
	{Knob: RevokedLookalikeWorks, Rule: "MODEL-001", Family: "token-lookalike"},
	{Knob: RevocationExpires, Rule: "MODEL-002", Family: "canonical (durability)", RulesMiss: true, Durability: true},
	{Knob: RevokesAtMost50, Rule: "MODEL-002", Family: "canonical (many sessions)", RulesMiss: true},
}

// ModelVariations are correct backends with ways of their own: the model
// must pass each, over many seeds.
var ModelVariations = []Knob{RateLimits, Slow, RedirectsVariants, LenientPaths, CapsSessions, ExpiresSessions, StreamsBody}
