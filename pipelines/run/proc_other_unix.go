//go:build unix && !linux

package run

import "syscall"

// setPdeathsig is Linux only: elsewhere a killed executor leaves its steps
// running until they finish (a SIGTERM or Ctrl-C still stops them).
func setPdeathsig(*syscall.SysProcAttr) {}
