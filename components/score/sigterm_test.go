package main

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/testutil/kafkatest"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
	"github.com/tweetflow/tweetflow/internal/testutil/servertest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

// TestScoreKafkaSIGTERM runs the real score binary as a Kafka consumer
// while tweets are published, and stops it with SIGTERM mid-stream: it
// exits 0 with its stop line, and the table holds exactly the records
// below the committed offsets (the batch in flight was stored, then
// committed: nothing stored twice, nothing committed unstored). A
// restart consumes the rest: every tweet exactly once, the committed
// offsets at the end of every partition. SIGTERM-to-exit is logged.
func TestScoreKafkaSIGTERM(t *testing.T) {
	const total = 20000
	bin := stagetest.BuildComponents(t, "score")["score"]
	st := stagetest.NewFS(t)
	modelURI, _ := commitModel(t, st, "m1")
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	kc := kafkatest.Start(t, "tweets", 3)
	prod := kc.Client(t)
	// Published at a steady pace, so that the consumer is mid-stream
	// (a batch in flight) when the signal comes.
	var pos []kafkatest.Position
	var wg sync.WaitGroup
	quit := make(chan struct{})
	wg.Go(func() {
		for i := 0; i < total; i += 250 {
			select {
			case <-quit:
				return
			case <-time.After(20 * time.Millisecond):
			}
			pos = append(pos, kafkatest.Produce(t, prod, i, i+250, tweetRecord)...)
		}
	})
	t.Cleanup(func() {
		select {
		case <-quit:
		default:
			close(quit)
		}
		wg.Wait()
	})
	env := []string{"DATABASE_URL=" + db.DSN()}
	args := []string{"--model", modelURI, "--kafka-brokers", kc.Brokers(), "--kafka-topics", "tweets", "--kafka-group", "gs",
		"--batch-size", "300", "--flush-interval", "100ms", "--kafka-session-timeout", "2s"}

	a := st.StartBinary(t, bin, "score", "r1", env, args...)
	exited := func(p *servertest.Proc) func() string { return func() string { return exitedMsg(p) } }
	waitRows(t, conn, 3000, 2*time.Minute, exited(a))
	took, code := servertest.SignalAndWait(t, a, syscall.SIGTERM, time.Minute)
	t.Logf("score (Kafka): SIGTERM to exit %v, exit code %d", took.Round(time.Millisecond), code)
	if code != 0 || !strings.Contains(a.Tail(), "stopped on signal") {
		t.Fatalf("score exited %d on SIGTERM, want 0 and its stop line:\n%s", code, a.Tail())
	}
	stored := tableIDs(t, conn)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	committed := kc.Committed(t, "gs")
	var want []string
	for _, i := range committed.Before(pos) {
		want = append(want, strconv.Itoa(100000+i))
	}
	slices.Sort(want)
	if !slices.Equal(stored, want) {
		t.Fatalf("after SIGTERM the table holds %d tweets, the committed offsets (%v) cover %d: the batch in flight was not stored and committed together",
			len(stored), committed, len(want))
	}
	if len(stored) >= total {
		t.Fatalf("all %d tweets were stored before the signal: it did not stop the consumer mid-stream", total)
	}
	t.Logf("stopped with %d of %d tweets stored and committed", len(stored), total)

	b := st.StartBinary(t, bin, "score", "r2", env, args...)
	waitRows(t, conn, total, 2*time.Minute, exited(b))
	took, code = servertest.SignalAndWait(t, b, syscall.SIGTERM, time.Minute)
	t.Logf("score (Kafka, idle): SIGTERM to exit %v, exit code %d", took.Round(time.Millisecond), code)
	if code != 0 {
		t.Fatalf("the restarted score exited %d on SIGTERM:\n%s", code, b.Tail())
	}
	if ids := tableIDs(t, conn); !slices.Equal(ids, wantIDs(0, total)) {
		t.Fatalf("%d rows in the table, want each of the %d tweets once", len(ids), total)
	}
	kc.AssertCommitted(t, "gs")
	if got := kc.Committed(t, "gs").Total(); got != total {
		t.Errorf("committed offsets sum to %d, want the %d records produced", got, total)
	}
}
