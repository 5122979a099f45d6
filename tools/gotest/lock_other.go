//go:build !unix

package main

// lock is a no-op where flock is missing: one gotest at a time per cache.
func lock(string) (func(), error) { return func() {}, nil }
