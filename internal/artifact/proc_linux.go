package artifact

import (
	"fmt"
	"os"
	"strings"
)

// procStart returns the start time of process pid (clock ticks since boot,
// field 22 of /proc/<pid>/stat) and whether it is a zombie. ok is false
// when the process does not exist.
func procStart(pid int) (start string, zombie, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", false, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces and ')'
	if i < 0 {
		return "", false, true
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state), so field 22 is f[19].
	if len(f) < 20 {
		return "", false, true
	}
	return f[19], f[0] == "Z" || f[0] == "X", true
}

// processAlive reports whether the process pid that started at start (as
// procStart gives it; "" if unknown) still runs. A zombie is dead; a pid
// reused by another process is dead.
func processAlive(pid int, start string) bool {
	got, zombie, ok := procStart(pid)
	if !ok || zombie {
		return false
	}
	return start == "" || got == "" || got == start
}

func selfStart() string {
	s, _, _ := procStart(os.Getpid())
	return s
}
