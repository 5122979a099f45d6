//go:build pgoprofile

package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// A build with -tags pgoprofile (make pgo, bench/cmd/pgo) writes a CPU
// profile of the whole run to $REVOKE_PGO_PROFILE: the material of
// revoke-mock.pgo, which make dist builds release binaries with. Builds
// without the tag have no such file and no such variable.
func init() {
	startProfile = func() func() {
		path := os.Getenv("REVOKE_PGO_PROFILE")
		if path == "" {
			return nil
		}
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "revoke-mock: REVOKE_PGO_PROFILE: %v\n", err)
			os.Exit(1)
		}
		return func() {
			pprof.StopCPUProfile()
			if err := f.Close(); err != nil {
				fmt.Fprintf(os.Stderr, "revoke-mock: REVOKE_PGO_PROFILE: %v\n", err)
			}
		}
	}
}
