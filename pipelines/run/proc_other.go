//go:build !unix

package run

import "syscall"

func startInGroup() *syscall.SysProcAttr { return nil }

func signalGroup(int, syscall.Signal) error { return nil }

func lockWorkDir(string) (func(), error) { return func() {}, nil }

func workDirAbandoned(dir string) (bool, error) { return olderThan(dir, legacyAge), nil }
