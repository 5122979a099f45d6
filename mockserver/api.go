package mockserver

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/flashback/revoke-contract/mockserver/journal"
	"github.com/flashback/revoke-contract/mockserver/netlimit"
	"github.com/flashback/revoke-contract/mockserver/reload"
	"github.com/flashback/revoke-contract/mockserver/reqlog"
	"github.com/flashback/revoke-contract/mockserver/scenario"
	"github.com/flashback/revoke-contract/mockserver/store"
	"github.com/flashback/revoke-contract/spec"
)

// SessionMode says how the mock treats bearer tokens.
type SessionMode = store.Mode

const (
	// SessionsOff accepts any well-formed bearer token and never revokes.
	SessionsOff = store.Off
	// SessionsLazy turns an unseen well-formed token into a session on first
	// use; its user is the JWT's userId/sub claim, or the token itself.
	SessionsLazy = store.Lazy
	// SessionsIssued accepts only tokens minted by the control API or seeded.
	SessionsIssued = store.Issued
)

// Options configure a mock. The zero value serves the embedded spec with
// lazy sessions, CORS open to every origin and no request log.
type Options struct {
	Spec        *spec.Spec  // nil: the embedded spec
	Sessions    SessionMode // "": SessionsLazy
	CORSOrigins []string    // empty: every origin, echoed back
	// Logger receives the mock's messages (a panic while answering) and,
	// unless RequestLog is set, one "request" record per request.
	Logger *slog.Logger // nil: no messages, no request log
	// RequestLog writes the request lines, in the same format as slog's
	// text or JSON handler, at a fraction of its cost.
	RequestLog   *reqlog.Logger
	Realm        string // "": "flashback"
	MaxBodyBytes int64  // 0: 1 MiB
	// Seed lists sessions present at start and again after every reset.
	Seed []SeedSession
	// MaxSessions caps the live sessions kept (0: DefaultMaxSessions); the
	// oldest are forgotten first, and revoked tokens stay revoked whatever
	// is forgotten (store.Memory).
	MaxSessions int

	// Latency delays every request to a spec path (never the control
	// API); see ParseLatency. The zero value adds none.
	Latency Latency
	// SessionStore keeps sessions and revocations (a shared one: package
	// redisstore); nil: store.Memory with Seed and MaxSessions. Its mode
	// must be Sessions'.
	SessionStore store.Sessions
	// StoreStatus, when set, is what GET /__mock/health reports of the
	// store; nil: the in-memory store, always ok.
	StoreStatus func() StoreStatus
	// Scenarios keeps the outcomes arranged through /__mock/scenarios.
	Scenarios scenario.Backend // nil: in memory
	// Journal keeps the requests GET /__mock/requests lists.
	Journal journal.Backend // nil: a ring of JournalSize entries
	// JournalSize bounds the in-memory journal: 0 is DefaultJournalSize,
	// a negative size turns the journal off.
	JournalSize int
	// ControlToken, when set, is required on every /__mock/ request, as
	// "Authorization: Bearer <token>" or "Mock-Control-Token: <token>".
	ControlToken string
	// WriteTimeout is the write timeout of the http.Server in front of the
	// mock (NewHTTPServer's): a delayed answer's write deadline is extended
	// by its delay beyond it, and the hang fault gives up after it.
	WriteTimeout time.Duration // 0: DefaultWriteTimeout
	// SpecStatus, when set, is what GET /__mock/health reports of the
	// spec (revoke-mock --watch: the last reload and its error); nil
	// reports the spec New was given and when.
	SpecStatus func() SpecStatus
	// ConnStatus, when set, is what GET /__mock/health reports of the
	// connections (revoke-mock: its netlimit.Listener's counts, evictions
	// at the cap included); nil reports none.
	ConnStatus func() ConnStatus

	// Shared with the mock Reload came from.
	sessions store.Sessions
	redactor *journal.Redactor
}

// DefaultMaxSessions is the cap on live sessions unless Options say.
const DefaultMaxSessions = store.DefaultMaxSessions

// SpecStatus is what GET /__mock/health reports of the spec served: its
// source, content hash, when it was loaded and the last reload error.
type SpecStatus = reload.State

// ConnStatus is what GET /__mock/health reports of the connections.
type ConnStatus = netlimit.Stats

// StoreStatus is what GET /__mock/health reports of the store: its kind
// ("memory" or "redis"), where it is (never with a password), and whether
// it serves; a failing store makes the health answer 503.
type StoreStatus struct {
	Kind      string    `json:"kind"`
	URL       string    `json:"url,omitempty"`
	Prefix    string    `json:"prefix,omitempty"`
	OK        bool      `json:"ok"`
	Lost      bool      `json:"lost,omitempty"` // the store lost its data: POST /__mock/reset starts over
	Error     string    `json:"error,omitempty"`
	ErrorAt   time.Time `json:"errorAt,omitzero"`
	CheckedAt time.Time `json:"checkedAt,omitzero"`
}

// DefaultJournalSize is how many requests the journal keeps by default.
const DefaultJournalSize = 1000

// DefaultWriteTimeout is NewHTTPServer's write timeout.
const DefaultWriteTimeout = 15 * time.Second

// SeedSession is a session that exists before any request.
type SeedSession = store.Seed

// NewHTTPServer wraps h in an http.Server hardened like a production one:
// header, read, write and idle timeouts and a header size limit.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      DefaultWriteTimeout,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
