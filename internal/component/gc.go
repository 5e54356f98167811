package component

import (
	"os"
	"runtime/debug"
)

// TuneGC sets the garbage collector of a streaming stage, unless the
// environment sets GOGC or GOMEMLIMIT: collect at gcPercent heap growth
// (stages allocate record batches fast and keep little) under a soft
// memory limit, so the process stays within its memory budget while its
// live heap fits. Call it first thing in main.
func TuneGC(gcPercent int, softLimit int64) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softLimit)
	}
}
