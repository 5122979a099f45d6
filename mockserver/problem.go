package mockserver

// Problem types of the answers the mock itself makes (never the spec's).
// They are stable: clients and tests may match on them.
const (
	problemNotFound            = "urn:revoke-mock:problem:not-found"
	problemMethodNotAllowed    = "urn:revoke-mock:problem:method-not-allowed"
	problemInvalidRequest      = "urn:revoke-mock:problem:invalid-request"
	problemUnknownPreference   = "urn:revoke-mock:problem:unknown-preference"
	problemBodyTooLarge        = "urn:revoke-mock:problem:body-too-large"
	problemOriginNotAllowed    = "urn:revoke-mock:problem:origin-not-allowed"
	problemUnauthorized        = "urn:revoke-mock:problem:unauthorized"
	problemInvalidControlCall  = "urn:revoke-mock:problem:invalid-control-request"
	problemControlUnauthorized = "urn:revoke-mock:problem:control-unauthorized"
	problemInternal            = "urn:revoke-mock:problem:internal-error"
	problemStoreUnavailable    = "urn:revoke-mock:problem:store-unavailable"
)

// Problem is an RFC 9457 problem details object, extended with the fields
// that tell a user what to change.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
	Available []string     `json:"available,omitempty"`
}

// FieldError says which part of a request broke which rule.
type FieldError struct {
	Field    string `json:"field"`
	Expected string `json:"expected,omitempty"`
	Received string `json:"received,omitempty"`
	Message  string `json:"message"`
}
