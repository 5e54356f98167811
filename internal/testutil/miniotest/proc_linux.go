package miniotest

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the server die when the test binary dies, so a
// crashed or killed test run leaves no server behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
