// Package contract is the contract suite of POST /sessions/revoke-all: the
// rules catalogued in RULES.md, which check a backend, or the in-process
// mock, against spec/openapi.yaml.
//
// The rules are ordinary Ginkgo specs declared by Register, so they run in
// any Ginkgo suite:
//
//	var suite = contract.Register(&contract.Config{...}) // nil: CONTRACT_* variables
//
//	func TestRevokeAllContract(t *testing.T) {
//		RegisterFailHandler(Fail)
//		RunSpecs(t, "revoke-all contract")
//		if sum := suite.Summary(); sum.ExitStatus != contract.ExitConforms {
//			t.Logf("%s", sum)
//		}
//	}
//
// In this repository go test ./contract runs them that way, and the
// revoke-contract command (contract/cmd/revoke-contract) runs them from a
// binary with the spec embedded, with the exit statuses of REPORT.md.
//
// What is not API lives under contract/internal: the recording HTTP client
// (wire), redaction (redact) and the token source (tokens).
package contract
