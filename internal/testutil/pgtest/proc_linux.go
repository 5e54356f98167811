package pgtest

import "syscall"

// dieWithParent makes the server die when the test binary dies, so a
// crashed or killed test run leaves no server behind.
func dieWithParent(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
