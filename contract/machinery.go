package contract

import (
	"github.com/flashback/revoke-contract/contract/internal/redact"
	"github.com/flashback/revoke-contract/contract/internal/tokens"
	"github.com/flashback/revoke-contract/contract/internal/wire"
)

// The rules' vocabulary, from the suite's internal machinery: requests and
// the exchanges they produce (wire), the users tokens are minted for
// (tokens), the placeholder every credential becomes (redact).
type (
	// Request is one request a rule sends.
	Request = wire.Request
	// Exchange is one request and its answer, as recorded (redacted).
	Exchange = wire.Exchange
)

const (
	// EndpointPath is the operation under test.
	EndpointPath = wire.EndpointPath
	// Primary and Secondary are the users the suite asks tokens for
	// (CONTRACT_USER of the token command).
	Primary   = tokens.Primary
	Secondary = tokens.Secondary
	// Placeholder replaces every credential in what the suite records.
	Placeholder = redact.Placeholder
	// MinTokenLength is the shortest token the suite accepts.
	MinTokenLength = redact.MinTokenLength
)
