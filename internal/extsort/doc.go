// Package extsort sorts streams of fixed-size records that may not fit in
// memory: a Sorter buffers records up to a memory budget, sorts each full
// buffer and appends it as a sorted run to one temporary file, then merges
// the runs (a k-way merge with a binary heap, one buffered reader a run).
// When every record fits in the budget nothing touches the disk.
//
// Memory is about the budget plus ReadBuffer bytes per run while merging,
// whatever the number of records; the disk holds Size bytes a record. The
// sort is stable in effect only if Compare orders every pair of distinct
// records (ties come out in an unspecified order), so callers make the
// record's position part of the key when they need a total order.
//
// Records are encoded with a Codec (Size, Put, Get, Compare), which keeps
// the package free of reflection and of assumptions about the record's
// memory layout.
package extsort
