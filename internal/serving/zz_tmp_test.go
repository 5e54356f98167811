package serving

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unsafe"
)

func TestZZIDs(t *testing.T) {
	m, err := Load(context.Background(), "/tmp/servemodel")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile("/tmp/sb/single.txt")
	var n, tot, mx, distinct int
	for _, l := range strings.Split(string(raw), "\n") {
		if l == "" {
			continue
		}
		var b struct{ Text string }
		json.Unmarshal([]byte(l), &b)
		c := m.cleaner.AppendClean(nil, b.Text)
		ids := m.feat.AppendIDs(nil, unsafe.String(unsafe.SliceData(c), len(c)))
		n++
		tot += len(ids)
		mx = max(mx, len(ids))
		seen := map[int32]bool{}
		for _, id := range ids {
			seen[id] = true
		}
		distinct += len(seen)
	}
	t.Logf("%d texts, mean ids %.1f, max %d, mean distinct %.1f", n, float64(tot)/float64(n), mx, float64(distinct)/float64(n))
}
