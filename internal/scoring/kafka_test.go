package scoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestConsumeKafkaSinkFailure: when a batch cannot be stored, the
// consumer stops without committing it or anything after it, so the next
// member of the group gets every record that was not stored.
func TestConsumeKafkaSinkFailure(t *testing.T) {
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
	s, err := NewScorer(m)
	if err != nil {
		t.Fatal(err)
	}
	opts := KafkaOptions{Client: []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}, Topics: []string{"tweets"}, Group: "g",
		Earliest: true, BatchSize: 500, FlushInterval: 50 * time.Millisecond}

	failing := &memSink{failOn: 2}
	_, err = ConsumeKafka(context.Background(), NewPipeline(s, []Sink{failing}, WithBatchSize(500)), opts)
	if err == nil || !strings.Contains(err.Error(), "sink failure on write 2") {
		t.Fatalf("ConsumeKafka with a failing sink = %v", err)
	}
	stored := map[string]bool{}
	for _, r := range failing.rows() {
		stored[r.ID] = true
	}
	if len(stored) == 0 || len(stored) >= n {
		t.Fatalf("the failing member stored %d rows", len(stored))
	}

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
