// Package version says which build of a command is running: the release
// it was cut from, the commit, and the hash of the spec it embeds.
package version

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime/debug"
)

// Version and Commit are set at link time by make dist:
//
//	-ldflags "-X github.com/flashback/revoke-contract/internal/version.Version=v0.3.0 -X ...Commit=abc1234"
//
// A build without them (go build, go install) reads what the Go toolchain
// recorded: the module version for go install pkg@version, the VCS
// revision for a build in a clone.
var Version, Commit string

// Info is what --version prints.
type Info struct {
	Version, Commit, SpecSHA256 string
}

// Of returns the running build's Info for a command embedding spec.
func Of(spec []byte) Info {
	sum := sha256.Sum256(spec)
	in := Info{Version: Version, Commit: Commit, SpecSHA256: hex.EncodeToString(sum[:])}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && in.Commit == "" {
				in.Commit = s.Value
				if len(in.Commit) > 12 {
					in.Commit = in.Commit[:12]
				}
			}
			if s.Key == "vcs.modified" && s.Value == "true" && in.Commit != "" {
				in.Commit += "-dirty"
			}
		}
	}
	if in.Version == "" {
		in.Version = "devel"
	}
	if in.Commit == "" {
		in.Commit = "unknown"
	}
	return in
}

// String is the --version line: "name v0.3.0 (commit abc1234, spec sha256 0123abcd...)".
func (in Info) String() string {
	return fmt.Sprintf("%s (commit %s, spec sha256 %s)", in.Version, in.Commit, in.SpecSHA256)
}
