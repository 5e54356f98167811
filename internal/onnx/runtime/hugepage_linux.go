package runtime

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugeMin is the smallest embedding table put on transparent huge pages.
const hugeMin = 8 << 20

// hugeCopies tells the tests whether hugeTable copies large tables.
const hugeCopies = true

// hugeTable returns a copy of a large embedding table in memory that is
// aligned to 2 MiB and advised to be backed by transparent huge pages
// (MADV_HUGEPAGE, then MADV_COLLAPSE for pages already faulted in). The
// gathers of an embedding bag touch random rows: with 4 KiB pages nearly
// every row costs a TLB miss, with 2 MiB pages a 23 MB table needs a dozen
// TLB entries. Both calls are advice: if the kernel refuses (THP disabled,
// older kernel) the copy is an ordinary one. Small tables are returned as
// they are.
func hugeTable(src []float32) []float32 {
	const huge = 2 << 20
	size := len(src) * 4
	if size < hugeMin {
		return src
	}
	span := (size + huge - 1) &^ (huge - 1)
	buf := make([]float32, (span+huge)/4)
	p := uintptr(unsafe.Pointer(&buf[0]))
	off := int(((p+huge-1)&^(huge-1))-p) / 4
	region := unsafe.Slice((*byte)(unsafe.Pointer(&buf[off])), span)
	_ = unix.Madvise(region, unix.MADV_HUGEPAGE)
	dst := buf[off : off+len(src) : off+len(src)]
	copy(dst, src)
	_ = unix.Madvise(region, unix.MADV_COLLAPSE)
	return dst
}
