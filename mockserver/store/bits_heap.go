//go:build !linux && !darwin

package store

const offHeapPossible = false

// offHeap returns n words of the Go heap: this platform has no mapping
// the standard library offers.
func offHeap(n int) ([]uint64, func()) { return make([]uint64, n), nil }
