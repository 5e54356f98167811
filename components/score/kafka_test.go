package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/kafkatest"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
	"github.com/tweetflow/tweetflow/internal/testutil/servertest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
	"github.com/tweetflow/tweetflow/internal/testutil/syncbuf"
)

// tweetRecord is tweet i as a Kafka message, cycling through the three
// formats score decodes: tweetflow JSON, Twitter API v1.1 and v2 objects.
func tweetRecord(i int) []byte {
	text := servingtest.Texts[i%len(servingtest.Texts)]
	id := strconv.Itoa(100000 + i)
	var v any
	switch i % 3 {
	case 0:
		v = map[string]any{"id": id, "text": text, "created_at": "2026-03-01T12:00:00Z", "author_id": "u1"}
	case 1:
		v = map[string]any{"id": 100000 + i, "id_str": id, "text": text, "created_at": "Sun Mar 01 12:00:00 +0000 2026",
			"user": map[string]any{"screen_name": "alice"}}
	default:
		v = map[string]any{"data": map[string]any{"id": id, "text": text, "author_id": "9"},
			"includes": map[string]any{"users": []any{map[string]any{"id": "9", "username": "bob"}}}}
	}
	b, _ := json.Marshal(v)
	return b
}

// produce publishes tweets from..to-1 (keyed by id, so spread over the partitions).
func produce(t *testing.T, cl *kgo.Client, from, to int) {
	t.Helper()
	kafkatest.Produce(t, cl, from, to, tweetRecord)
}

// tableIDs returns the tweet ids in the scores table.
func tableIDs(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	return pgtest.Strings(t, conn, "SELECT tweet_id FROM tweet_scores ORDER BY tweet_id")
}

func wantIDs(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, strconv.Itoa(100000+i))
	}
	slices.Sort(out)
	return out
}

// waitRows waits until the scores table holds at least n rows.
func waitRows(t *testing.T, conn *pgx.Conn, n int, timeout time.Duration, alive func() string) {
	t.Helper()
	waitRowsIn(t, conn, "tweet_scores", n, timeout, alive)
}

// waitRowsIn waits until table holds at least n rows.
func waitRowsIn(t *testing.T, conn *pgx.Conn, table string, n int, timeout time.Duration, alive func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := countRows(t, conn, table)
		if got >= n {
			return
		}
		if msg := alive(); msg != "" {
			t.Fatalf("waiting for %d rows (have %d): %s", n, got, msg)
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %d rows: %d after %v", n, got, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestScoreKafkaKill9 kills the consumer process (the real binary) with
// SIGKILL mid-stream,
// publishes more tweets while it is down and restarts it: every tweet is
// exactly once in the table, every poison message once in the dead-letter
// table, and the group's committed offsets reach the end of every
// partition after a graceful stop (SIGTERM).
func TestScoreKafkaKill9(t *testing.T) {
	const first, total = 6000, 10000
	st := stagetest.NewFS(t)
	modelURI, _ := commitModel(t, st, "m1")
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	kc := kafkatest.Start(t, "tweets", 3)
	prod := kc.Client(t)
	produce(t, prod, 0, first)
	poison := [][]byte{[]byte("{not json"), []byte(`{"id": "5", "text": ""}`)}
	for _, p := range poison {
		if err := prod.ProduceSync(context.Background(), &kgo.Record{Value: p}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	bin := stagetest.BuildComponents(t, "score")["score"]
	env := []string{"DATABASE_URL=" + db.DSN()}
	args := []string{"--model", modelURI, "--kafka-brokers", kc.Brokers(), "--kafka-topics", "tweets", "--kafka-group", "g1",
		"--batch-size", "500", "--flush-interval", "200ms", "--kafka-session-timeout", "2s"}

	a := st.StartBinary(t, bin, "score", "r1", env, args...)
	waitRows(t, conn, 1500, 2*time.Minute, func() string { return exitedMsg(a) })
	a.Stop(syscall.SIGKILL, 10*time.Second)
	killedAt := countRows(t, conn, "tweet_scores")
	if killedAt >= first {
		t.Fatalf("the consumer stored all %d rows before the kill: the test did not kill it mid-stream", killedAt)
	}
	produce(t, prod, first, total) // published while the consumer is down

	b := st.StartBinary(t, bin, "score", "r2", env, args...)
	waitRows(t, conn, total, 3*time.Minute, func() string { return exitedMsg(b) })
	// The dead letters and the last commit come after the rows: stop
	// gracefully, then check.
	if _, code := servertest.SignalAndWait(t, b, syscall.SIGTERM, time.Minute); code != 0 {
		t.Fatalf("score exited %d on SIGTERM:\n%s", code, b.Tail())
	}
	if ids := tableIDs(t, conn); !slices.Equal(ids, wantIDs(0, total)) {
		t.Fatalf("%d rows in the table, want each of the %d tweets once", len(ids), total)
	}
	if n := countRows(t, conn, "tweet_scores_dead_letters"); n != len(poison) {
		t.Errorf("%d dead letters, want %d", n, len(poison))
	}
	kc.AssertCommitted(t, "g1")
	t.Logf("killed with %d of %d rows stored; the restart stored the rest", killedAt, first)
}

// inProcess runs score in this process until stop is called; stop
// cancels it (as SIGTERM does) and returns its exit code.
type inProcess struct {
	stdout, stderr syncbuf.Buffer
	cancel         context.CancelFunc
	done           chan int
}

func startInProcess(args []string) *inProcess {
	ctx, cancel := context.WithCancel(context.Background())
	r := &inProcess{cancel: cancel, done: make(chan int, 1)}
	go func() { r.done <- component.Run(ctx, stages.Score, runWith(nil), args, &r.stdout, &r.stderr) }()
	return r
}

func (r *inProcess) exited() string {
	select {
	case code := <-r.done:
		r.done <- code
		return fmt.Sprintf("score exited %d: %s", code, r.stderr.String())
	default:
		return ""
	}
}

func (r *inProcess) stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	select {
	case code := <-r.done:
		r.done <- code
		return code
	case <-time.After(time.Minute):
		t.Fatalf("score did not stop within a minute: %s", r.stderr.String())
		return -1
	}
}

type deadRow struct {
	Source    string
	Partition int32
	Position  int64
	Raw       []byte
	RawBytes  int
	Reason    string
}

func deadLetters(t *testing.T, conn *pgx.Conn, table string) []deadRow {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT source, kafka_partition, position, raw, raw_bytes, reason FROM "+table+
		" ORDER BY source, kafka_partition, position")
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[deadRow])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestScoreKafkaDeadLetters: poison messages (invalid JSON, no text, an
// empty message, one over --kafka-max-message-bytes) go to the dead-letter
// table with their raw bytes, topic, partition, offset and reason; the
// stream goes on and their offsets are committed with the good records'.
func TestScoreKafkaDeadLetters(t *testing.T) {
	st := stagetest.NewFS(t)
	modelURI, _ := commitModel(t, st, "m1")
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	kc := kafkatest.Start(t, "tweets", 1)
	prod := kc.Client(t)
	big := append([]byte(`{"id": "77", "text": "`), bytes.Repeat([]byte("x"), 5000)...)
	big = append(big, `"}`...)
	values := [][]byte{tweetRecord(0), []byte("{not json"), tweetRecord(1), []byte(`{"id": "5", "text": "  "}`), {},
		big, []byte(`{"id": "6", "text": "nul \u0000 kept"}`), []byte("[1, 2]"), tweetRecord(2)}
	for _, v := range values {
		if err := prod.ProduceSync(context.Background(), &kgo.Record{Value: v}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	args := append(st.Args("score", "r1"), "--model", modelURI, "--postgres-dsn", db.DSN(), "--kafka-brokers", kc.ListenAddrs()[0],
		"--kafka-topics", "tweets", "--kafka-max-message-bytes", "4096", "--flush-interval", "100ms")
	r := startInProcess(args)
	waitRows(t, conn, 4, time.Minute, r.exited)
	// The stream goes on after the poison messages.
	produce(t, prod, 3, 6)
	waitRows(t, conn, 7, time.Minute, r.exited)
	r.stop(t)
	got := deadLetters(t, conn, "tweet_scores_dead_letters")
	want := []struct {
		offset int64
		reason string
	}{{1, "bad JSON"}, {3, `missing or empty "text"`}, {4, "empty record"}, {5, "message of 5024 bytes, larger than the limit of 4096"}, {7, "bad JSON"}}
	if len(got) != len(want) {
		t.Fatalf("dead letters %+v, want offsets %v", got, want)
	}
	for i, w := range want {
		g := got[i]
		if g.Source != "tweets" || g.Partition != 0 || g.Position != w.offset || !bytes.Equal(g.Raw, values[w.offset]) ||
			g.RawBytes != len(values[w.offset]) || !strings.Contains(g.Reason, w.reason) {
			t.Errorf("dead letter %d: %+v, want offset %d raw %q reason %q", i, g, w.offset, values[w.offset], w.reason)
		}
	}
	var text string
	if err := conn.QueryRow(context.Background(), "SELECT text FROM tweet_scores WHERE tweet_id = '6'").Scan(&text); err != nil || text != `nul \u0000 kept` {
		t.Errorf("the tweet with a NUL: %q, %v", text, err)
	}
	kc.AssertCommitted(t, "tweetflow-score")
	if !strings.Contains(r.stdout.String(), "5 dead letters") {
		t.Errorf("stdout %q", r.stdout.String())
	}
}

// TestScoreFileDeadLetters: with --dead-letter-table, bad rows of files
// and standard input go to the table (file, line, raw row, reason)
// instead of counting against --max-bad-rows, and a tweet with a NUL
// (JSONL \u0000, a raw NUL byte in TSV) is stored with the rest, the
// NUL escaped (issue 11, defect 3: it used to fail the whole run).
func TestScoreFileDeadLetters(t *testing.T) {
	st := stagetest.NewFS(t)
	modelURI, _ := commitModel(t, st, "m1")
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	dir := t.TempDir()
	tsv := "id\ttext\n1\tfine text\n2\tnul \x00 byte\n3\t\n"
	tsvPath := dir + "/a.tsv"
	if err := os.WriteFile(tsvPath, []byte(tsv), 0o644); err != nil {
		t.Fatal(err)
	}
	in := jsonl(10, 3) + "{broken\n" + `{"id": "20", "text": "a \u0000 b"}` + "\n" + `{"id": "21"}` + "\n" + jsonl(30, 2)
	st.MustRun(t, stages.Score, runWith(strings.NewReader(in)), "r1", "--model", modelURI, "--tweets", "-,"+tsvPath,
		"--postgres-dsn", db.DSN(), "--dead-letter-table", "dead", "--max-bad-rows", "0", "--id-column", "id")
	if n := countRows(t, conn, "tweet_scores"); n != 3+1+2+2 {
		t.Errorf("%d rows stored, want 8", n)
	}
	var text string
	if err := conn.QueryRow(context.Background(), "SELECT text FROM tweet_scores WHERE tweet_id = '20'").Scan(&text); err != nil || text != `a \u0000 b` {
		t.Errorf("tweet 20: %q, %v", text, err)
	}
	if err := conn.QueryRow(context.Background(), "SELECT text FROM tweet_scores WHERE tweet_id = '2'").Scan(&text); err != nil || text != `nul \u0000 byte` {
		t.Errorf("tweet 2 (TSV): %q, %v", text, err)
	}
	got := deadLetters(t, conn, "dead")
	want := []deadRow{
		{Source: tsvPath, Partition: -1, Position: 4, Raw: []byte("3\t")},
		{Source: "stdin", Partition: -1, Position: 4, Raw: []byte("{broken")},
		{Source: "stdin", Partition: -1, Position: 6, Raw: []byte(`{"id": "21"}`)},
	}
	if len(got) != len(want) {
		t.Fatalf("dead letters %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Source != w.Source || g.Partition != w.Partition || g.Position != w.Position || !bytes.Equal(g.Raw, w.Raw) || g.Reason == "" {
			t.Errorf("dead letter %d: %+v, want %+v", i, g, w)
		}
	}
	sum := st.Summary(t, "r1", "score")
	if sum.Extra["dead_letters"] != float64(3) || sum.Extra["bad_rows"] != float64(3) {
		t.Errorf("summary %v", sum.Extra)
	}
}

// TestScoreKafkaRebalance: two consumers of one group share six
// partitions while tweets are published; the second joins mid-stream and
// the first leaves mid-stream (two rebalances). Every tweet is in the
// table exactly once, and, as each member stores and commits what it
// holds before a rebalance goes on (commit on revoke), no record was
// scored by both: the rows the two report sum to the tweets published.
func TestScoreKafkaRebalance(t *testing.T) {
	const total = 9000
	st := stagetest.NewFS(t)
	modelURI, _ := commitModel(t, st, "m1")
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	kc := kafkatest.Start(t, "tweets", 6)
	prod := kc.Client(t)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // published at a steady pace while the group changes
		defer wg.Done()
		for i := 0; i < total; i += 500 {
			produce(t, prod, i, i+500)
			time.Sleep(100 * time.Millisecond)
		}
	}()
	args := func(run string) []string {
		return append(st.Args("score", run), "--model", modelURI, "--postgres-dsn", db.DSN(), "--kafka-brokers", kc.ListenAddrs()[0],
			"--kafka-topics", "tweets", "--kafka-group", "g2", "--batch-size", "200", "--flush-interval", "100ms")
	}
	a := startInProcess(args("r1"))
	waitRows(t, conn, 1000, time.Minute, a.exited)
	b := startInProcess(args("r2"))
	waitRows(t, conn, 4000, 2*time.Minute, func() string { return a.exited() + b.exited() })
	a.stop(t)
	wg.Wait()
	waitRows(t, conn, total, 2*time.Minute, b.exited)
	b.stop(t)
	if ids := tableIDs(t, conn); !slices.Equal(ids, wantIDs(0, total)) {
		t.Fatalf("%d rows in the table, want each of the %d tweets once", len(ids), total)
	}
	kc.AssertCommitted(t, "g2")
	scored := func(out string) int {
		m := regexp.MustCompile(`(\d+) Kafka records, (\d+) scored`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no counts in %q", out)
		}
		n, _ := strconv.Atoi(m[2])
		return n
	}
	na, nb := scored(a.stdout.String()), scored(b.stdout.String())
	if !strings.Contains(a.stderr.String(), "partitions revoked") || na == 0 || nb == 0 {
		t.Errorf("the consumers did not share the partitions: %d and %d rows", na, nb)
	}
	if na+nb != total {
		t.Errorf("the consumers scored %d + %d rows for %d tweets: a record was processed twice or lost", na, nb, total)
	}
}

// TestScoreTablePrefix: --table-prefix and --table-version name the
// scores table (and the Kafka dead letters); the schema steps are applied
// on the first start only.
func TestScoreTablePrefix(t *testing.T) {
	st := stagetest.NewFS(t)
	modelURI, _ := commitModel(t, st, "m1")
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	kc := kafkatest.Start(t, "tweets", 1)
	prod := kc.Client(t)
	produce(t, prod, 0, 5)
	if err := prod.ProduceSync(context.Background(), &kgo.Record{Value: []byte("{bad")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	for _, run := range []string{"r1", "r2"} {
		r := startInProcess(append(st.Args("score", run), "--model", modelURI, "--postgres-dsn", db.DSN(), "--kafka-brokers", kc.ListenAddrs()[0],
			"--kafka-topics", "tweets", "--table-prefix", "scores_v", "--table-version", "2", "--flush-interval", "100ms"))
		waitRowsIn(t, conn, "scores_v2", 5, time.Minute, r.exited)
		r.stop(t)
	}
	if n := countRows(t, conn, "scores_v2"); n != 5 {
		t.Errorf("%d rows in scores_v2, want 5", n)
	}
	if n := countRows(t, conn, "scores_v2_dead_letters"); n != 1 {
		t.Errorf("%d rows in scores_v2_dead_letters, want 1", n)
	}
	var steps int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM tweetflow_migrations WHERE table_name = 'scores_v2'").Scan(&steps); err != nil || steps != 2 {
		t.Errorf("%d schema steps recorded for scores_v2 after two starts, want 2: %v", steps, err)
	}
}
