package scoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// TestConsumeKafkaSinkFailure: when a batch cannot be stored, the
// consumer stops without committing it or anything after it (also when
// the next batch was already scored while it was being written), so the
// next member of the group gets every record that was not stored.
func TestConsumeKafkaSinkFailure(t *testing.T) {
	for _, nextScored := range []bool{false, true} {
		t.Run(map[bool]string{false: "fails", true: "fails with the next batch scored"}[nextScored], func(t *testing.T) {
			testConsumeKafkaSinkFailure(t, nextScored)
		})
	}
}

// countScorer counts the batches it scored.
type countScorer struct {
	Scorer
	n atomic.Int64
}

func (s *countScorer) ScoreInto(ctx context.Context, dst []Row, tw []dataset.Tweet) ([]Row, error) {
	rows, err := s.Scorer.ScoreInto(ctx, dst, tw)
	s.n.Add(1)
	return rows, err
}

// gatedSink is a memSink whose write failOn first waits until gate()
// holds (or 10 s passed).
type gatedSink struct {
	memSink
	gate func() bool
}

func (s *gatedSink) Write(ctx context.Context, rows []Row) error {
	s.mu.Lock()
	next := s.writes + 1
	s.mu.Unlock()
	if next == s.failOn && s.gate != nil {
		for end := time.Now().Add(10 * time.Second); !s.gate() && time.Now().Before(end); {
			time.Sleep(time.Millisecond)
		}
	}
	return s.memSink.Write(ctx, rows)
}

func testConsumeKafkaSinkFailure(t *testing.T, nextScored bool) {
	const n = 3000
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "tweets"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	prod, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic("tweets"))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	var recs []*kgo.Record
	for _, tw := range tweets(n) {
		v, _ := json.Marshal(map[string]string{"id": tw.ID, "text": tw.Text})
		recs = append(recs, &kgo.Record{Value: v})
	}
	if err := prod.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	m, _ := testModel(t, "v1")
	base, err := NewScorer(m)
	if err != nil {
		t.Fatal(err)
	}
	s := &countScorer{Scorer: base}
	var mu sync.Mutex
	var committed int64
	opts := KafkaOptions{Client: []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}, Topics: []string{"tweets"}, Group: "g",
		Earliest: true, BatchSize: 500, FlushInterval: 50 * time.Millisecond,
		OnCommit: func(offs map[string]map[int32]int64, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				committed = max(committed, offs["tweets"][0])
			}
		}}

	failing := &gatedSink{memSink: memSink{failOn: 2}}
	if nextScored {
		failing.gate = func() bool { return s.n.Load() >= 3 }
	}
	_, err = ConsumeKafka(context.Background(), NewPipeline(s, []Sink{failing}, WithBatchSize(500)), opts)
	if err == nil || !strings.Contains(err.Error(), "sink failure on write 2") {
		t.Fatalf("ConsumeKafka with a failing sink = %v", err)
	}
	if nextScored && s.n.Load() < 3 {
		t.Fatalf("%d batches scored before write 2 failed, want 3", s.n.Load())
	}
	stored := map[string]bool{}
	for _, r := range failing.rows() {
		stored[r.ID] = true
	}
	if len(stored) == 0 || len(stored) >= n {
		t.Fatalf("the failing member stored %d rows", len(stored))
	}
	mu.Lock()
	if committed != int64(len(stored)) {
		t.Fatalf("the failing member committed offset %d, having stored the first %d records", committed, len(stored))
	}
	mu.Unlock()

	ok := &memSink{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if len(ok.rows())+len(stored) >= n {
				cancel()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	done := make(chan error, 1)
	go func() {
		_, err := ConsumeKafka(ctx, NewPipeline(s, []Sink{ok}, WithBatchSize(500)), opts)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("second member: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("the second member stored %d rows, %d missing", len(ok.rows()), n-len(stored)-len(ok.rows()))
	}
	for _, r := range ok.rows() {
		stored[r.ID] = true
	}
	for _, tw := range tweets(n) {
		if !stored[tw.ID] {
			t.Fatal(fmt.Sprintf("tweet %s was never stored: the failed batch's offsets were committed", tw.ID))
		}
	}
}
