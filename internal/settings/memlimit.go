package settings

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// DefaultMemoryLimit is the default of MemoryLimit: 90% of the
// container's memory limit leaves room for what the Go runtime does not
// count (stacks of cgo calls, ONNX Runtime's own allocations).
const DefaultMemoryLimit = "90%"

// MemoryLimitSpec is a parsed MemoryLimit: Percent of the container's
// memory limit, or Bytes; both zero means no limit.
type MemoryLimitSpec struct {
	Percent float64
	Bytes   int64
}

// Off reports a spec that sets no limit.
func (m MemoryLimitSpec) Off() bool { return m.Percent == 0 && m.Bytes == 0 }

// sizeUnits are GOMEMLIMIT's suffixes (runtime/debug.SetMemoryLimit).
var sizeUnits = []struct {
	suffix string
	mult   int64
}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// ParseMemoryLimit parses a MemoryLimit value: "off", "<p>%" (0 < p <=
// 100) or a size in GOMEMLIMIT's syntax (an integer with an optional B,
// KiB, MiB, GiB or TiB suffix).
func ParseMemoryLimit(v string) (MemoryLimitSpec, error) {
	v = strings.TrimSpace(v)
	if v == "off" {
		return MemoryLimitSpec{}, nil
	}
	if p, ok := strings.CutSuffix(v, "%"); ok {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || !(f > 0 && f <= 100) {
			return MemoryLimitSpec{}, fmt.Errorf("%q: want a percentage above 0 and at most 100%%", v)
		}
		return MemoryLimitSpec{Percent: f}, nil
	}
	num, mult := v, int64(1)
	for _, u := range sizeUnits {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			num, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return MemoryLimitSpec{}, fmt.Errorf("%q: want off, a percentage such as 90%% or a positive size such as 224MiB", v)
	}
	return MemoryLimitSpec{Bytes: n * mult}, nil
}
