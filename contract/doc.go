// Package contract is the contract suite of POST /sessions/revoke-all: a
// Ginkgo suite (go test ./contract) that checks a backend, or the in-process
// mock, against spec/openapi.yaml and the rules catalogued in RULES.md.
//
// The non-test files hold the suite's machinery (configuration, the recording
// HTTP client, redaction, reproducer lines, the level logic); the _test files
// hold the rules themselves.
package contract
