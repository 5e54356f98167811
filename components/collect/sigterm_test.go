package main

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tweetflow/tweetflow/internal/testutil/kafkatest"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
	"github.com/tweetflow/tweetflow/internal/testutil/servertest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

// collectRig is a kfake cluster, a database and the real collect binary,
// with tweets published at a steady pace in the background.
type collectRig struct {
	st    *stagetest.Store
	bin   string
	db    *pgtest.Server
	conn  *pgx.Conn
	kc    *kafkatest.Cluster
	total int

	mu  sync.Mutex
	pos []kafkatest.Position // where tweet i landed
	wg  sync.WaitGroup
}

// newCollectRig publishes total tweets (record(i, "")), 250 every 50ms.
func newCollectRig(t *testing.T, partitions int32, total int) *collectRig {
	r := &collectRig{st: stagetest.NewFS(t), bin: stagetest.BuildComponents(t, "collect")["collect"], db: pgtest.Shared(t),
		kc: kafkatest.Start(t, "tweets", partitions), total: total}
	r.conn = r.db.Connect(t)
	prod := r.kc.Client(t)
	quit := make(chan struct{})
	r.wg.Go(func() {
		for i := 0; i < total; i += 250 {
			select {
			case <-quit:
				return
			case <-time.After(50 * time.Millisecond):
			}
			p := kafkatest.Produce(t, prod, i, min(i+250, total), func(i int) []byte { return record(i, "") })
			r.mu.Lock()
			r.pos = append(r.pos, p...)
			r.mu.Unlock()
		}
	})
	t.Cleanup(func() { close(quit); r.wg.Wait() })
	return r
}

// start starts collect in group.
func (r *collectRig) start(t *testing.T, run, group string) *servertest.Proc {
	return r.st.StartBinary(t, r.bin, "collect", run, []string{"DATABASE_URL=" + r.db.DSN()}, "--kafka-brokers", r.kc.Brokers(),
		"--kafka-topics", "tweets", "--kafka-group", group, "--batch-size", "300", "--flush-interval", "100ms", "--kafka-session-timeout", "2s")
}

// rows counts the table (0 before collect created it).
func (r *collectRig) rows() int {
	var n int
	_ = r.conn.QueryRow(context.Background(), "SELECT count(*) FROM raw_tweet_dataset_0").Scan(&n)
	return n
}

// waitRows waits until the table holds n rows, while procs run.
func (r *collectRig) waitRows(t *testing.T, n int, procs ...*servertest.Proc) {
	t.Helper()
	servertest.WaitUntil(t, 2*time.Minute, strconv.Itoa(n)+" rows in raw_tweet_dataset_0", func() bool { return r.rows() >= n }, procs...)
}

// ids are the tweet ids in the table, sorted.
func (r *collectRig) ids(t *testing.T) []string {
	t.Helper()
	return pgtest.Strings(t, r.conn, "SELECT id FROM raw_tweet_dataset_0 ORDER BY id")
}

// idsOf are the ids of tweets idx, sorted as the table orders them.
func idsOf(idx []int) []string {
	out := make([]string, len(idx))
	for j, i := range idx {
		out[j] = strconv.Itoa(500 + i)
	}
	slices.Sort(out)
	return out
}

func allIdx(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// stop sends SIGTERM and checks for a graceful stop (exit 0 and the stop line).
func (r *collectRig) stop(t *testing.T, p *servertest.Proc, what string) {
	t.Helper()
	took, code := servertest.SignalAndWait(t, p, syscall.SIGTERM, time.Minute)
	t.Logf("collect (%s): SIGTERM to exit %v, exit code %d", what, took.Round(time.Millisecond), code)
	if code != 0 || !regexp.MustCompile(`stopped on signal`).MatchString(p.Tail()) {
		t.Fatalf("collect (%s) exited %d on SIGTERM, want 0 and its stop line:\n%s", what, code, p.Tail())
	}
}

// checkCommittedStored: the table holds exactly the tweets below the
// group's committed offsets.
func (r *collectRig) checkCommittedStored(t *testing.T, group string) int {
	t.Helper()
	r.mu.Lock()
	pos := slices.Clone(r.pos)
	r.mu.Unlock()
	committed := r.kc.Committed(t, group)
	got, want := r.ids(t), idsOf(committed.Before(pos))
	if !slices.Equal(got, want) {
		t.Fatalf("the table holds %d tweets, the committed offsets %v cover %d: stored and committed differ", len(got), committed, len(want))
	}
	return len(got)
}

// TestCollectKafkaStopAndKill9 runs the real collect binary against
// tweets published at a steady pace: stopped by SIGTERM mid-stream it
// exits 0 and the table holds exactly the records below the committed
// offsets; a second consumer is killed (SIGKILL) mid-stream; a third one
// finishes: every tweet exactly once, every offset committed.
func TestCollectKafkaStopAndKill9(t *testing.T) {
	const total = 30000
	r := newCollectRig(t, 3, total)

	a := r.start(t, "r1", "g1")
	r.waitRows(t, 3000, a)
	r.stop(t, a, "mid-stream")
	stopped := r.checkCommittedStored(t, "g1")
	t.Logf("SIGTERM: %d tweets stored and committed", stopped)

	b := r.start(t, "r2", "g1")
	r.waitRows(t, stopped+6000, b)
	b.Stop(syscall.SIGKILL, 10*time.Second)
	killedAt := r.rows()
	if killedAt >= total {
		t.Fatalf("all %d tweets were stored before the kill: it did not kill the consumer mid-stream", total)
	}
	t.Logf("kill -9 with %d of %d tweets stored", killedAt, total)

	c := r.start(t, "r3", "g1")
	r.waitRows(t, total, c)
	r.stop(t, c, "caught up")
	if got := r.ids(t); !slices.Equal(got, idsOf(allIdx(total))) {
		t.Fatalf("%d rows, want each of the %d tweets once", len(got), total)
	}
	r.kc.AssertCommitted(t, "g1")
	if n := r.kc.Committed(t, "g1").Total(); n != total {
		t.Errorf("committed offsets sum to %d, want %d", n, total)
	}
}

// newTweetsRE reads collect's closing line.
var newTweetsRE = regexp.MustCompile(`(\d+) Kafka records into \S+: (\d+) new tweets, (\d+) duplicates`)

// TestCollectKafkaRebalance: two collect processes of one group share six
// partitions while tweets are published; the second joins mid-stream and
// the first is stopped (SIGTERM) mid-stream, so the partitions move
// twice. Every tweet is in the table once, and no record was collected
// twice (each stores and commits what it holds before letting a
// rebalance go on): the processes' new tweets sum to the tweets published
// with no duplicate seen.
func TestCollectKafkaRebalance(t *testing.T) {
	const total = 30000
	r := newCollectRig(t, 6, total)
	a := r.start(t, "r1", "g2")
	r.waitRows(t, 3000, a)
	b := r.start(t, "r2", "g2")
	servertest.WaitUntil(t, time.Minute, "the second member's assignment", func() bool {
		return regexp.MustCompile(`partitions assigned`).MatchString(b.Tail())
	}, a, b)
	r.waitRows(t, r.rows()+6000, a, b)
	r.stop(t, a, "rebalance, leaving")
	r.waitRows(t, total, b)
	r.stop(t, b, "rebalance, last member")
	if got := r.ids(t); !slices.Equal(got, idsOf(allIdx(total))) {
		t.Fatalf("%d rows, want each of the %d tweets once", len(got), total)
	}
	r.kc.AssertCommitted(t, "g2")
	var sumNew, sumRecords int
	for _, p := range []*servertest.Proc{a, b} {
		m := newTweetsRE.FindStringSubmatch(p.Tail())
		if m == nil {
			t.Fatalf("no closing line:\n%s", p.Tail())
		}
		recs, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		dup, _ := strconv.Atoi(m[3])
		if dup != 0 || n == 0 {
			t.Errorf("a member collected %d new tweets and saw %d duplicates: a record was processed twice, or it got no partition", n, dup)
		}
		sumNew += n
		sumRecords += recs
	}
	if sumNew != total || sumRecords != total {
		t.Errorf("the members read %d records and stored %d new tweets, for %d published", sumRecords, sumNew, total)
	}
	t.Logf("both members: %d records, %d new tweets", sumRecords, sumNew)
}
