package main

import (
	"os"
	"testing"
)

// TestMain lets the test binary start containers: the kubelet re-executes
// its own binary (/proc/self/exe) as "nsexec" inside the new namespaces, and as "nsenter" to exec into one.
func TestMain(m *testing.M) {
	if childMain(os.Args) {
		return
	}
	os.Exit(m.Run())
}
