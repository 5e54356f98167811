//go:build unix

package run

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// startInGroup puts a step's process in a process group of its own, so a
// cancelled step can be stopped with everything it started (signalGroup),
// and, on Linux, makes the kernel kill it when the executor dies (see
// pdeathsig): a killed `tweetflow run` leaves no component running on.
func startInGroup() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(a)
	return a
}

// signalGroup sends sig to the process group led by pid (the step's
// process and whatever it started). A group that is already gone is not an
// error.
func signalGroup(pid int, sig syscall.Signal) error {
	if pid <= 0 {
		return nil
	}
	if err := syscall.Kill(-pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// lockWorkDir marks dir as in use by this process: an exclusive flock on
// dir/.lock, which the kernel releases when the process dies, however it
// dies. unlock releases it.
func lockWorkDir(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, workLockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// workDirAbandoned reports whether the work folder dir belongs to no live
// run: its lock file can be locked (its owner died), or it has none and is
// older than legacyAge (a folder of a version without the lock).
func workDirAbandoned(dir string) (bool, error) {
	f, err := os.OpenFile(filepath.Join(dir, workLockName), os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return olderThan(dir, legacyAge), nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil // a live run holds it
		}
		return false, err
	}
	return true, nil // released on Close
}
