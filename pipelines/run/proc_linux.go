package run

import "syscall"

// setPdeathsig asks the kernel to SIGKILL the step's process when the
// executor's thread that started it dies; Go never ends its threads unless a
// goroutine locked to one exits, which this package does not do.
func setPdeathsig(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
