package servertest

import "syscall"

// DieWithParent makes the server die when the test binary dies, so a
// crashed or killed test run leaves no server behind.
func DieWithParent(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
