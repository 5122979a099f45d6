package e2e

import (
	"testing"

	"github.com/flashback/revoke-contract/contract/runner"
)

// TestMain removes the binaries runner.Build compiled, if it compiled any
// (without $REVOKE_TEST_BINDIR), when the tests are done.
func TestMain(m *testing.M) { runner.Main(m) }
