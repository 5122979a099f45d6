//go:build linux || darwin

package store

import (
	"syscall"
	"unsafe"
)

const offHeapPossible = true

// offHeap returns n zeroed words mapped outside the Go heap (pages the
// kernel backs only once written) and the function that unmaps them, or
// heap words and nil if the mapping fails.
func offHeap(n int) ([]uint64, func()) {
	b, err := syscall.Mmap(-1, 0, n*8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]uint64, n), nil
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), n), func() { _ = syscall.Munmap(b) }
}
