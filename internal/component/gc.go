package component

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/tweetflow/tweetflow/internal/settings"
)

// TuneGC sets the garbage collector's target heap growth of a streaming
// stage to gcPercent, unless the environment sets GOGC: stages allocate
// record batches fast and keep little. The soft memory limit is the
// harness's (settings.MemoryLimit, from the container's memory limit).
// Call it first thing in main.
func TuneGC(gcPercent int) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}

// CgroupRoot is where a container sees its own cgroup.
const CgroupRoot = "/sys/fs/cgroup"

// cgroupRoot is the cgroup folder the harness reads; tests point it at a
// fake one.
var cgroupRoot = CgroupRoot

// unlimitedV1 is the smallest value cgroup v1 uses for "no limit"
// (PAGE_COUNTER_MAX pages, rounded: 9223372036854771712 on 4 KiB pages).
const unlimitedV1 = 1 << 62

// CgroupMemoryLimit reads the memory limit of the cgroup mounted at root:
// cgroup v2's memory.max, else cgroup v1's memory/memory.limit_in_bytes.
// It returns 0 without a limit ("max", v1's huge value, or neither file:
// not in a container), and the file it read.
func CgroupMemoryLimit(root string) (limit int64, file string, err error) {
	for _, f := range []string{"memory.max", filepath.Join("memory", "memory.limit_in_bytes")} {
		p := filepath.Join(root, f)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, p, fmt.Errorf("reading the memory limit %s: %w", p, err)
		}
		v := strings.TrimSpace(string(b))
		if v == "max" {
			return 0, p, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return 0, p, fmt.Errorf("reading the memory limit %s: %q is not a byte count", p, v)
		}
		if n >= unlimitedV1 {
			return 0, p, nil
		}
		return n, p, nil
	}
	return 0, "", nil
}

// memoryLimit is the soft memory limit spec asks for under the cgroup at
// root: 0 for none; from says where it comes from (for the log).
func memoryLimit(spec settings.MemoryLimitSpec, root string) (limit int64, from string, err error) {
	switch {
	case spec.Bytes > 0:
		return spec.Bytes, "--" + settings.MemoryLimit.Name, nil
	case spec.Off():
		return 0, "off", nil
	}
	cg, file, err := CgroupMemoryLimit(root)
	if err != nil || cg == 0 {
		return 0, "no container memory limit", err
	}
	return int64(math.Round(float64(cg) * spec.Percent / 100)), fmt.Sprintf("%g%% of %d bytes (%s)", spec.Percent, cg, file), nil
}

// setMemoryLimit sets the Go runtime's soft memory limit from the
// settings (once per run, by the harness). Without a limit it leaves the
// runtime's (math.MaxInt64 unless GOMEMLIMIT, which is the setting's alias
// anyway).
func setMemoryLimit(spec settings.MemoryLimitSpec, root string) (int64, string, error) {
	limit, from, err := memoryLimit(spec, root)
	if err != nil || limit == 0 {
		return 0, from, err
	}
	debug.SetMemoryLimit(limit)
	return limit, from, nil
}
