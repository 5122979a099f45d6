// Package endpoint names the operation this project is about, for code
// that must not import the OpenAPI libraries to know it (the contract
// suite's HTTP client is tested under the race detector).
package endpoint

const (
	// Method and Path are Flashback's "log out from all devices":
	// POST /sessions/revoke-all (spec/openapi.yaml).
	Method = "POST"
	Path   = "/sessions/revoke-all"
)
