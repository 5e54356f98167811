package kafkatest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// MinSessionTimeout is the smallest consumer group session timeout the
// cluster accepts (kfake's default is 6s): tests that kill a consumer give
// a short --kafka-session-timeout so that its partitions move on soon.
const MinSessionTimeout = time.Second

// Cluster is a kfake cluster with one topic, closed when the test ends.
type Cluster struct {
	*kfake.Cluster
	Topic string
}

// Start starts a one-broker cluster with topic of partitions partitions.
func Start(t testing.TB, topic string, partitions int32) *Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic), kfake.GroupMinSessionTimeout(MinSessionTimeout))
	if err != nil {
		t.Fatalf("starting the kfake Kafka cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return &Cluster{Cluster: c, Topic: topic}
}

// Brokers is the --kafka-brokers value of the cluster.
func (c *Cluster) Brokers() string { return strings.Join(c.ListenAddrs(), ",") }

// Client returns a client of the cluster producing to its topic by
// default, closed when the test ends.
func (c *Cluster) Client(t testing.TB, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic(c.Topic)}, opts...)...)
	if err != nil {
		t.Fatalf("creating a Kafka client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// Position is where a record was written.
type Position struct {
	Partition int32
	Offset    int64
}

// Produce publishes record(i) for i in [from, to) to the topic, keyed by
// i (so spread over the partitions, and copies of one i in one
// partition), in synchronous batches of 1000, and returns where each
// landed (index i-from).
func Produce(t testing.TB, cl *kgo.Client, from, to int, record func(i int) []byte) []Position {
	t.Helper()
	out := make([]Position, 0, max(to-from, 0))
	var rs []*kgo.Record
	for i := from; i < to; i++ {
		rs = append(rs, &kgo.Record{Key: []byte(strconv.Itoa(i)), Value: record(i)})
		if len(rs) == 1000 || i == to-1 {
			if err := cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
				t.Errorf("producing records %d..%d: %v", from, to-1, err) // Errorf: may run outside the test goroutine
				return out
			}
			for _, r := range rs {
				out = append(out, Position{r.Partition, r.Offset})
			}
			rs = rs[:0]
		}
	}
	return out
}

// Before returns the indexes in pos of the records below the offsets
// (those a group that committed o has consumed), in order.
func (o Offsets) Before(pos []Position) []int {
	var out []int
	for i, p := range pos {
		if p.Offset < o[p.Partition] {
			out = append(out, i)
		}
	}
	return out
}

// ProduceValues publishes values as they are (no key).
func ProduceValues(t testing.TB, cl *kgo.Client, values ...[]byte) {
	t.Helper()
	rs := make([]*kgo.Record, len(values))
	for i, v := range values {
		rs[i] = &kgo.Record{Value: v}
	}
	if err := cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
		t.Fatalf("producing %d records: %v", len(values), err)
	}
}

// Offsets are offsets per partition of the topic.
type Offsets map[int32]int64

// Total is the sum of the offsets: with every partition starting at 0,
// the records before them.
func (o Offsets) Total() int64 {
	var n int64
	for _, v := range o {
		n += v
	}
	return n
}

// EndOffsets are the end offsets of the topic's partitions (the next
// offset to be written).
func (c *Cluster) EndOffsets(t testing.TB) Offsets {
	t.Helper()
	adm := kadm.NewClient(c.Client(t))
	ends, err := adm.ListEndOffsets(context.Background(), c.Topic)
	if err != nil {
		t.Fatalf("listing the end offsets of %q: %v", c.Topic, err)
	}
	out := Offsets{}
	ends.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

// Committed are the offsets group committed on the topic (partitions
// without a commit are missing).
func (c *Cluster) Committed(t testing.TB, group string) Offsets {
	t.Helper()
	adm := kadm.NewClient(c.Client(t))
	got, err := adm.FetchOffsets(context.Background(), group)
	if err != nil {
		t.Fatalf("fetching the offsets of group %q: %v", group, err)
	}
	out := Offsets{}
	got.Each(func(o kadm.OffsetResponse) {
		if o.Topic == c.Topic && o.Err == nil && o.At >= 0 {
			out[o.Partition] = o.At
		}
	})
	return out
}

// AssertCommitted checks that group committed the end offset of every
// partition of the topic: every record published was stored.
func (c *Cluster) AssertCommitted(t testing.TB, group string) {
	t.Helper()
	ends, got := c.EndOffsets(t), c.Committed(t, group)
	for p, end := range ends {
		if at, ok := got[p]; (ok || end > 0) && at != end { // an empty partition needs no commit
			t.Errorf("group %q, partition %d: committed %d (found %v), end offset %d", group, p, at, ok, end)
		}
	}
}
