package runtime

import "syscall"

// threadCPUTime returns the CPU time the calling OS thread has used, in ns
// (RUSAGE_THREAD), or -1.
func threadCPUTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return -1
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
