//go:build !linux

package servertest

import "syscall"

// DieWithParent does nothing off Linux.
func DieWithParent(*syscall.SysProcAttr) {}
