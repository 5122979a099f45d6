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

func newRevocations() *revocations {
	m, k := bloom.EstimateParameters(RevocationsSized, RevokedFalsePositive)
	words, release := offHeap(int((m + 63) / 64))
	r := &revocations{bloom.FromWithM(words, m, k)}
	if release != nil {
		runtime.AddCleanup(r, func(f func()) { f() }, release)
	}
	return r
}
