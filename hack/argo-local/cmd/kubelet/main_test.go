package main

import (
	"os"
	"testing"
)

// TestMain lets the test binary start containers: the kubelet re-executes
// its own binary (/proc/self/exe) as "nsexec" inside the new namespaces.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "nsexec" {
		nsexec(os.Args[2])
		return
	}
	os.Exit(m.Run())
}
