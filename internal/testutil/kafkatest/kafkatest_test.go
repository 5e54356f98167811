package kafkatest

import (
	"context"
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
)

// TestProduceAndOffsets: produced records land where Produce says, the
// end offsets count them, and a partial commit is read back with the
// records below it (Before).
func TestProduceAndOffsets(t *testing.T) {
	c := Start(t, "t", 2)
	cl := c.Client(t)
	pos := Produce(t, cl, 0, 10, func(i int) []byte { return []byte(strconv.Itoa(i)) })
	if len(pos) != 10 {
		t.Fatalf("%d positions, want 10", len(pos))
	}
	ends := c.EndOffsets(t)
	if ends.Total() != 10 {
		t.Fatalf("end offsets %v, want 10 records", ends)
	}
	seen := map[Position]bool{}
	for _, p := range pos {
		if seen[p] || p.Offset >= ends[p.Partition] {
			t.Errorf("position %+v repeated or past the end %v", p, ends)
		}
		seen[p] = true
	}
	// Commit one record of partition 0 and all of partition 1.
	var offs kadm.Offsets = kadm.Offsets{}
	offs.AddOffset("t", 0, 1, -1)
	offs.AddOffset("t", 1, ends[1], -1)
	if _, err := kadm.NewClient(cl).CommitOffsets(context.Background(), "g", offs); err != nil {
		t.Fatal(err)
	}
	got := c.Committed(t, "g")
	if got[0] != 1 || got[1] != ends[1] {
		t.Fatalf("committed %v", got)
	}
	below := got.Before(pos)
	if int64(len(below)) != 1+ends[1] {
		t.Errorf("%d records below the commit, want %d", len(below), 1+ends[1])
	}
	for _, i := range below {
		if p := pos[i]; p.Partition == 0 && p.Offset != 0 {
			t.Errorf("record %d at %+v counted below offset 1", i, p)
		}
	}
}
