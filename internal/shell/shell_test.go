package shell

import (
	"os/exec"
	"testing"

	"github.com/flashback/revoke-contract/internal/testenv"
)

// TestQuoteRoundTrip: bash turns every quoted word back into the original,
// byte for byte, with nothing expanded.
func TestQuoteRoundTrip(t *testing.T) {
	bash := testenv.LookPath(t, "shell quoting", "apt-get install bash", "bash")
	for _, s := range []string{
		"", "plain", "with space", `it's`, `a"b`, `back\slash`, "tab\there", "new\nline", "$HOME", "$(id)",
		"!bang `tick`", "ä ,,,", "/tmp/dir with 'quotes'/revoke-mock", "\x01\x7f",
	} {
		out, err := exec.Command(bash, "-c", `printf %s `+Quote(s)).Output()
		if err != nil {
			t.Fatalf("bash: %v", err)
		}
		if string(out) != s {
			t.Errorf("Quote(%q) = %s, bash gives %q", s, Quote(s), out)
		}
	}
}
