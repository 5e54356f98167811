package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/ingest"
	"github.com/tweetflow/tweetflow/internal/settings"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
	"github.com/tweetflow/tweetflow/internal/testutil/syncbuf"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// record is tweet i as a Kafka message in one of the three formats the
// decoder takes (tweetflow JSON, Twitter API v1.1, v2); variant changes
// its text (a later duplicate).
func record(i int, variant string) []byte {
	id := strconv.Itoa(500 + i)
	text := fmt.Sprintf("tweet %d%s see https://example.com/%d", i, variant, i)
	var v any
	switch i % 3 {
	case 0:
		v = map[string]any{"id": id, "text": text, "created_at": "2026-03-01T12:00:00Z", "user": "u" + id}
	case 1:
		v = map[string]any{"id": 500 + i, "id_str": id, "text": text, "created_at": "Sun Mar 01 12:00:00 +0000 2026",
			"user": map[string]any{"screen_name": "alice"}}
	default:
		v = map[string]any{"data": map[string]any{"id": id, "text": text, "author_id": "9"},
			"includes": map[string]any{"users": []any{map[string]any{"id": "9", "username": "bob"}}}}
	}
	b, _ := json.Marshal(v)
	return b
}

func count(t *testing.T, conn *pgx.Conn, query string) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func waitCount(t *testing.T, conn *pgx.Conn, query string, n int, stderr *syncbuf.Buffer, done chan int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var got int // 0 until collect created the table
		_ = conn.QueryRow(context.Background(), query).Scan(&got)
		if got >= n {
			return
		}
		select {
		case code := <-done:
			t.Fatalf("collect exited %d with %d of %d rows: %s", code, got, n, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d rows after a minute: %s", got, n, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopCollect cancels a running collect (a signal) and checks that it
// stops gracefully (exit 0) within a minute.
func stopCollect(t *testing.T, cancel context.CancelFunc, done chan int, stderr *syncbuf.Buffer) {
	t.Helper()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("collect exited %d on cancel (a graceful stop): %s", code, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatalf("collect did not stop: %s", stderr.String())
	}
}

type rawRow struct {
	ID, Raw, Text, User, Label, Source string
	Created                            *time.Time
	URLs                               []string
	Partition                          int32
	Position                           int64
}

func readRaw(t *testing.T, conn *pgx.Conn, table string) map[string]rawRow {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT id, coalesce(raw, ''), text, user_name, label, source, created_at, urls, kafka_partition, position FROM `+table)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]rawRow{}
	for rows.Next() {
		var r rawRow
		if err := rows.Scan(&r.ID, &r.Raw, &r.Text, &r.User, &r.Label, &r.Source, &r.Created, &r.URLs, &r.Partition, &r.Position); err != nil {
			t.Fatal(err)
		}
		out[r.ID] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCollectKafkaToDataset is seed 001's flow: a Kafka topic (kfake, two
// partitions) with duplicate tweets and a poison message -> collect ->
// raw_tweet_dataset_0 holds each id once (the first copy, with its raw
// JSON, topic, partition and offset), the poison message is a dead
// letter, the offsets are committed -> ingest reads the table back as a
// dataset.
func TestCollectKafkaToDataset(t *testing.T) {
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "tweets"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	prod, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...), kgo.DefaultProduceTopic("tweets"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prod.Close)
	type sent struct {
		part   int32
		offset int64
		value  []byte
	}
	first := map[string]sent{}
	produce := func(from, to int, variant string) {
		t.Helper()
		for i := from; i < to; i++ {
			// Keyed by id: copies of a tweet share a partition.
			r := &kgo.Record{Key: []byte(strconv.Itoa(i)), Value: record(i, variant)}
			if err := prod.ProduceSync(context.Background(), r).FirstErr(); err != nil {
				t.Fatal(err)
			}
			id := strconv.Itoa(500 + i)
			if _, ok := first[id]; !ok {
				first[id] = sent{r.Partition, r.Offset, r.Value}
			}
		}
	}
	const n = 30
	produce(0, 20, "")
	produce(0, 5, " (again)") // duplicates within the first batches
	if err := prod.ProduceSync(context.Background(), &kgo.Record{Key: []byte("x"), Value: []byte("{not json")}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	st := stagetest.NewFS(t)
	args := append(st.Args("collect", "r1"), "--postgres-dsn", db.DSN(), "--kafka-brokers", kc.ListenAddrs()[0],
		"--kafka-topics", "tweets", "--flush-interval", "100ms", "--batch-size", "7")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- component.Run(ctx, stages.Collect, component.Typed(run), args, &stdout, &stderr)
	}()
	waitCount(t, conn, "SELECT count(*) FROM raw_tweet_dataset_0", 20, &stderr, done)
	// Later duplicates (across batches) and new tweets.
	produce(10, n, " (late copy)")
	waitCount(t, conn, "SELECT count(*) FROM raw_tweet_dataset_0", n, &stderr, done)
	waitCount(t, conn, "SELECT count(*) FROM raw_tweet_dataset_0_dead_letters", 1, &stderr, done)
	stopCollect(t, cancel, done, &stderr)

	got := readRaw(t, conn, "raw_tweet_dataset_0")
	if len(got) != n || count(t, conn, "SELECT count(*) FROM raw_tweet_dataset_0") != n {
		t.Fatalf("%d ids in the table, want %d", len(got), n)
	}
	for i := 0; i < n; i++ {
		id := strconv.Itoa(500 + i)
		g, w := got[id], first[id]
		wantText := fmt.Sprintf("tweet %d see https://example.com/%d", i, i)
		if i >= 20 {
			wantText = fmt.Sprintf("tweet %d (late copy) see https://example.com/%d", i, i)
		}
		if g.Raw != string(w.value) || g.Text != wantText || g.Source != "tweets" || g.Partition != w.part || g.Position != w.offset ||
			!slices.Equal(g.URLs, []string{fmt.Sprintf("https://example.com/%d", i)}) {
			t.Errorf("tweet %s stored as %+v, want the first copy %s at %d/%d", id, g, w.value, w.part, w.offset)
		}
		wantUser := map[int]string{0: "u" + id, 1: "alice", 2: "bob"}[i%3]
		if g.User != wantUser || (i%3 != 2) != (g.Created != nil) {
			t.Errorf("tweet %s: user %q created %v", id, g.User, g.Created)
		}
	}
	var reason string
	if err := conn.QueryRow(context.Background(), "SELECT reason FROM raw_tweet_dataset_0_dead_letters").Scan(&reason); err != nil || !strings.Contains(reason, "bad JSON") {
		t.Errorf("dead letter reason %q, %v", reason, err)
	}
	// Every offset is committed, after the rows were.
	adm := kadm.NewClient(prod)
	ends, err := adm.ListEndOffsets(context.Background(), "tweets")
	if err != nil {
		t.Fatal(err)
	}
	committed, err := adm.FetchOffsets(context.Background(), "tweetflow-collect")
	if err != nil {
		t.Fatal(err)
	}
	ends.Each(func(o kadm.ListedOffset) {
		if c, ok := committed.Lookup(o.Topic, o.Partition); !ok || c.At != o.Offset {
			t.Errorf("partition %d: committed %d (%v), end %d", o.Partition, c.At, ok, o.Offset)
		}
	})
	if out := stdout.String(); !strings.Contains(out, fmt.Sprintf("%d new tweets, 15 duplicates, 1 dead letters", n)) {
		t.Errorf("stdout %q", out)
	}

	// stream -> raw table -> dataset: ingest reads the table.
	srcs, err := stageio.ExpandSources(context.Background(), []artifact.Location{{Key: db.DSN() + "&table=raw_tweet_dataset_0"}}, ingest.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ds []dataset.Tweet
	if _, err := ingest.Ingest(context.Background(), srcs, func(t *dataset.Tweet) error { ds = append(ds, *t); return nil }, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	if len(ds) != n {
		t.Fatalf("ingest read %d rows, want %d", len(ds), n)
	}
	for i, tw := range ds {
		id := strconv.Itoa(500 + i) // ORDER BY id
		if tw.ID != id || tw.Text != got[id].Text || tw.User != got[id].User {
			t.Errorf("dataset row %d: %+v, table %+v", i, tw, got[id])
		}
	}
}

// TestCollectFiles collects a JSONL file with a repeated id and a bad
// line: each id once with its line as raw, the file and line recorded,
// the bad row counted; a second run over the same file inserts nothing.
func TestCollectFiles(t *testing.T) {
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "tweets.jsonl")
	lines := []string{
		`{"id": "1", "text": "first", "label": "positive", "user": "ann"}`,
		`{"id": "2", "text": "second https://t.example/x"}`,
		`{"id": "1", "text": "first again"}`,
		`{"id": "3", "text": ""}`,
		`{"id": "4", "text": "fourth"}`,
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := stagetest.NewFS(t)
	r := st.MustRun(t, stages.Collect, component.Typed(run), "r1", "--postgres-dsn", db.DSN(), "--tweets", path,
		"--table-prefix", "raw_", "--table-version", "3", "--batch-size", "2")
	if !strings.Contains(r.Stdout, "into raw_3: 3 new tweets, 1 duplicates, 1 bad rows") {
		t.Errorf("stdout %q", r.Stdout)
	}
	got := readRaw(t, conn, "raw_3")
	want := map[string]rawRow{
		"1": {ID: "1", Raw: lines[0], Text: "first", User: "ann", Label: "positive", Source: path, Partition: -1, Position: 1, URLs: []string{}},
		"2": {ID: "2", Raw: lines[1], Text: "second https://t.example/x", Source: path, Partition: -1, Position: 2, URLs: []string{"https://t.example/x"}},
		"4": {ID: "4", Raw: lines[4], Text: "fourth", Source: path, Partition: -1, Position: 5, URLs: []string{}},
	}
	if len(got) != len(want) {
		t.Fatalf("rows %+v", got)
	}
	for id, w := range want {
		g := got[id]
		g.Created = nil
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("row %s: %+v, want %+v", id, g, w)
		}
	}
	r = st.MustRun(t, stages.Collect, component.Typed(run), "r2", "--postgres-dsn", db.DSN(), "--tweets", path,
		"--table-prefix", "raw_", "--table-version", "3")
	if !strings.Contains(r.Stdout, "0 new tweets, 4 duplicates") {
		t.Errorf("second run stdout %q", r.Stdout)
	}
	if n := count(t, conn, "SELECT count(*) FROM tweetflow_migrations WHERE table_name = 'raw_3'"); n != 2 {
		t.Errorf("%d migration steps recorded for raw_3, want 2", n)
	}
	// Neither files nor Kafka: a usage error.
	if r := st.Run(t, stages.Collect, component.Typed(run), "r3", "--postgres-dsn", db.DSN()); r.Code != 2 || !strings.Contains(r.Stderr, "nothing to collect") {
		t.Errorf("exit %d: %s", r.Code, r.Stderr)
	}
}

// TestCollectKafkaSASL: Kafka's SASL settings are environment-only
// settings of collect's contract. Read from the environment the harness
// is given (never from flags, never from the process' own), they reach
// the client, which authenticates to a broker (kfake) that requires SASL;
// the password is used as given, spaces included.
func TestCollectKafkaSASL(t *testing.T) {
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	const user, pass = "collector", " pass word "
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "sasl-tweets"),
		kfake.EnableSASL(), kfake.Superuser("PLAIN", user, pass))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	prod, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...), kgo.DefaultProduceTopic("sasl-tweets"),
		kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prod.Close)
	const n = 6
	for i := range n {
		if err := prod.ProduceSync(context.Background(), &kgo.Record{Value: record(i, "")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	st := stagetest.NewFS(t)
	args := append(st.Args("collect", "s1"), "--postgres-dsn", db.DSN(), "--kafka-brokers", kc.ListenAddrs()[0],
		"--kafka-topics", "sasl-tweets", "--table-prefix", "sasl_raw_", "--flush-interval", "100ms")
	env := map[string]string{"TWEETFLOW_KAFKA_SASL_MECHANISM": "plain", "TWEETFLOW_KAFKA_SASL_USERNAME": user, "TWEETFLOW_KAFKA_SASL_PASSWORD": pass}

	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"a secret is no flag", []string{"--kafka-sasl-password", "pw"}, env, "flag provided but not defined: -kafka-sasl-password"},
		{"bad mechanism", nil, map[string]string{"TWEETFLOW_KAFKA_SASL_MECHANISM": "GSSAPI"}, "TWEETFLOW_KAFKA_SASL_MECHANISM"},
		{"user missing", nil, map[string]string{"TWEETFLOW_KAFKA_SASL_MECHANISM": "PLAIN"}, "TWEETFLOW_KAFKA_SASL_USERNAME"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := component.RunEnv(context.Background(), stages.Collect, component.Typed(run), slices.Concat(args, tc.args), settings.Map(tc.env), &out, &errb)
			if code != component.ExitUsage || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("exit %d, stderr %q: want a usage error with %q", code, errb.String(), tc.want)
			}
		})
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- component.RunEnv(ctx, stages.Collect, component.Typed(run), args, settings.Map(env), &stdout, &stderr)
	}()
	waitCount(t, conn, "SELECT count(*) FROM sasl_raw_0", n, &stderr, done)
	stopCollect(t, cancel, done, &stderr)
}
