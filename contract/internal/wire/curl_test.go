package wire

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/internal/testenv"
)

func TestCurlLine(t *testing.T) {
	tests := []struct {
		name string
		req  CurlRequest
		want string
	}{
		{
			"bearer token placeholder",
			CurlRequest{Method: "POST", URL: "http://127.0.0.1:4010/sessions/revoke-all", Header: [][2]string{{"Authorization", "Bearer $TOKEN"}}},
			`curl -i -X POST http://127.0.0.1:4010/sessions/revoke-all -H "Authorization: Bearer $TOKEN"`,
		},
		{
			"token in the query",
			CurlRequest{Method: "POST", URL: "http://h/sessions/revoke-all?access_token=$TOKEN"},
			`curl -i -X POST "http://h/sessions/revoke-all?access_token=$TOKEN"`,
		},
		{
			"quotes next to the token",
			CurlRequest{Method: "POST", URL: "http://h/x", Header: [][2]string{{"Authorization", `Digest response="$TOKEN"`}}},
			`curl -i -X POST http://h/x -H 'Authorization: Digest response="'"$TOKEN"'"'`,
		},
		{
			"tab before the token",
			CurlRequest{Method: "POST", URL: "http://h/x", Header: [][2]string{{"Authorization", "Bearer\t$TOKEN"}}},
			`curl -i -X POST http://h/x -H $'Authorization: Bearer\t'"$TOKEN"`,
		},
		{
			"trailing space kept",
			CurlRequest{Method: "POST", URL: "http://h/x", Header: [][2]string{{"Authorization", "Bearer "}}},
			`curl -i -X POST http://h/x -H 'Authorization: Bearer '`,
		},
		{
			"GET and HEAD",
			CurlRequest{Method: "HEAD", URL: "http://h/x"},
			`curl -i -I http://h/x`,
		},
		{
			"body with a single quote",
			CurlRequest{Method: "POST", URL: "http://h/x", Body: []byte(`{"a":"it's"}`)},
			`curl -i -X POST http://h/x --data-binary '{"a":"it'\''s"}'`,
		},
		{
			"large body from a generator",
			CurlRequest{Method: "POST", URL: "http://h/x", BodyShell: `head -c 524288 /dev/zero | tr '\0' a`},
			`head -c 524288 /dev/zero | tr '\0' a | curl -i -X POST http://h/x --data-binary @-`,
		},
		{
			"unclean path",
			CurlRequest{Method: "POST", URL: "http://h/sessions/./revoke-all"},
			`curl -i -X POST --path-as-is http://h/sessions/./revoke-all`,
		},
		{
			"8 KiB header abbreviated",
			CurlRequest{Method: "POST", URL: "http://h/x", Header: [][2]string{{"Authorization", "Bearer " + strings.Repeat("a", 8192)}}},
			`curl -i -X POST http://h/x -H "Authorization: Bearer $(head -c 8192 /dev/zero | tr '\0' a)"`,
		},
		{
			"chunked",
			CurlRequest{Method: "POST", URL: "http://h/x", Body: []byte("{}"), Chunked: true},
			`curl -i -X POST http://h/x -H 'Transfer-Encoding: chunked' --data-binary '{}'`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CurlLine(tt.req); got != tt.want {
				t.Errorf("CurlLine =\n  %s\nwant\n  %s", got, tt.want)
			}
		})
	}
}

// TestShellQuoteRoundTrip runs the quoted words through bash (reproducers
// use $'...' for control characters) to prove they come back byte for byte,
// with $TOKEN expanded.
func TestShellQuoteRoundTrip(t *testing.T) {
	bash := testenv.LookPath(t, "shell quoting of the curl reproducers", "apt-get install bash", "bash")
	for _, s := range []string{
		"plain", "with space", `it's`, `a"b`, `back\slash`, "tab\there", "Bearer $TOKEN",
		`Digest response="$TOKEN", x='y'`, "Bearer\t$TOKEN", "$TOKEN$TOKEN", "ä ,,,", "!bang `tick` $HOME",
	} {
		out, err := exec.Command(bash, "-c", `TOKEN=T0K; printf %s `+ShellQuote(s)).Output()
		if err != nil {
			t.Fatalf("bash: %v", err)
		}
		if want := strings.ReplaceAll(s, "$TOKEN", "T0K"); string(out) != want {
			t.Errorf("ShellQuote(%q) = %s, bash gives %q, want %q", s, ShellQuote(s), out, want)
		}
	}
}
