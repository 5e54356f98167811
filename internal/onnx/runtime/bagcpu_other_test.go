//go:build !linux

package runtime

func threadCPUTime() int64 { return -1 }
