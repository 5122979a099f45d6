package store

import (
	"runtime"

	"github.com/bits-and-blooms/bloom/v3"
)

// revocations is the Bloom filter of revoked tokens, its bits outside the
// Go heap where the platform allows (offHeap): the collector sizes the
// garbage it lets pile up before a collection by the live heap (GOGC), and
// counted as live, the filter's 14 MiB of bits, never resident until
// written, made a mock under load hold some 30 MiB more of garbage. Its
// memory is released when the filter is no longer reachable (Reset drops
// it for a new one).
type revocations struct {
	*bloom.BloomFilter
}

// FilterOffHeap is how many bytes of the revocation filter are kept
// outside the Go heap on this platform (0 where they are in it): the
// runtime's soft memory limit does not see them, so a process that sets
// one keeps this much room for them (revoke-mock's GOMEMLIMIT).
func FilterOffHeap() int64 {
	if !offHeapPossible {
		return 0
	}
	m, _ := bloom.EstimateParameters(RevocationsSized, RevokedFalsePositive)
	return int64((m + 63) / 64 * 8)
}

func newRevocations() *revocations {
	m, k := bloom.EstimateParameters(RevocationsSized, RevokedFalsePositive)
	words, release := offHeap(int((m + 63) / 64))
	r := &revocations{bloom.FromWithM(words, m, k)}
	if release != nil {
		runtime.AddCleanup(r, func(f func()) { f() }, release)
	}
	return r
}
