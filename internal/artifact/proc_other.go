//go:build !linux

package artifact

import (
	"errors"
	"os"
	"runtime"
	"syscall"
)

// processAlive reports whether process pid exists (signal 0); start times
// are Linux only, so a reused pid counts as alive until the lease expires.
func processAlive(pid int, _ string) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	if runtime.GOOS == "windows" {
		return true // FindProcess opened it: it exists
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, os.ErrPermission)
}

func selfStart() string { return "" }
