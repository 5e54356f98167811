package component

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/tweetflow/tweetflow/internal/settings"
)

// fakeCgroup writes a cgroup folder with file (relative) holding content.
func fakeCgroup(t *testing.T, file, content string) string {
	t.Helper()
	root := t.TempDir()
	if file != "" {
		p := filepath.Join(root, file)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestMemoryLimit(t *testing.T) {
	const gib = 1 << 30
	ninety := settings.MemoryLimitSpec{Percent: 90}
	for _, tc := range []struct {
		name          string
		file, content string
		spec          settings.MemoryLimitSpec
		want          int64
		bad           bool
	}{
		{name: "v2 limit, 90%", file: "memory.max", content: "1073741824\n", spec: ninety, want: int64(math.Round(0.9 * gib))},
		{name: "v2 limit, 50%", file: "memory.max", content: "1073741824\n", spec: settings.MemoryLimitSpec{Percent: 50}, want: gib / 2},
		{name: "v2 unlimited", file: "memory.max", content: "max\n", spec: ninety, want: 0},
		{name: "v1 limit", file: "memory/memory.limit_in_bytes", content: "536870912\n", spec: ninety, want: int64(math.Round(0.9 * (512 << 20)))},
		{name: "v1 unlimited", file: "memory/memory.limit_in_bytes", content: "9223372036854771712\n", spec: ninety, want: 0},
		{name: "no cgroup", spec: ninety, want: 0},
		{name: "explicit size ignores the cgroup", file: "memory.max", content: "1073741824\n", spec: settings.MemoryLimitSpec{Bytes: 224 << 20}, want: 224 << 20},
		{name: "off ignores the cgroup", file: "memory.max", content: "1073741824\n", spec: settings.MemoryLimitSpec{}, want: 0},
		{name: "garbage", file: "memory.max", content: "lots\n", spec: ninety, bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, from, err := memoryLimit(tc.spec, fakeCgroup(t, tc.file, tc.content))
			if tc.bad {
				if err == nil {
					t.Fatalf("no error, got %d (%s)", got, from)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("limit %d (%s), %v; want %d", got, from, err, tc.want)
			}
		})
	}
}

// TestHarnessSetsMemoryLimit: the harness sets the runtime's soft limit
// from the (fake) container limit, and from --memory-limit.
func TestHarnessSetsMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	defer func(old string) { cgroupRoot = old }(cgroupRoot)
	cgroupRoot = fakeCgroup(t, "memory.max", "1000000000\n")
	store := t.TempDir()
	if code, _, errs := runDemo(t, writeOut, "--store", store); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if got := debug.SetMemoryLimit(-1); got != 900_000_000 {
		t.Errorf("soft limit %d, want 90%% of the cgroup's 1e9", got)
	}
	if code, _, errs := runDemo(t, writeOut, "--store", store, "--memory-limit", "300MiB"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if got := debug.SetMemoryLimit(-1); got != 300<<20 {
		t.Errorf("soft limit %d, want 300MiB", got)
	}
	if code, _, errs := runDemo(t, writeOut, "--store", store, "--memory-limit", "lots"); code != ExitUsage {
		t.Errorf("bad --memory-limit: exit %d: %s", code, errs)
	}
}
