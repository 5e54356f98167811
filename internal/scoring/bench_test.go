package scoring

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tweetflow/tweetflow/internal/benchutil"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/ingest"
	"github.com/tweetflow/tweetflow/internal/serving"
	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
	"github.com/tweetflow/tweetflow/internal/testutil/shareddata"
)

// benchTweetsDir holds real tweets (NLTK twitter samples, ~30k); the
// benchmarks fall back to servingtest.Texts without it.
const benchTweetsDir = "/work/shared/data/nltk-twitter-samples"

// benchTweets returns n real tweets (cycled) with ids.
func benchTweets(b *testing.B, n int) []dataset.Tweet {
	b.Helper()
	var texts []string
	if paths, err := ingest.ExpandLocal([]string{benchTweetsDir}); err == nil {
		_, err = ingest.Ingest(context.Background(), ingest.LocalSources(paths, ingest.FormatAuto, nil), func(t *dataset.Tweet) error {
			texts = append(texts, t.Text)
			return nil
		}, ingest.Options{MaxBadRows: -1})
		if err != nil {
			b.Fatal(err)
		}
	}
	if len(texts) == 0 {
		texts = servingtest.Texts
	}
	out := make([]dataset.Tweet, n)
	for i := range out {
		out[i] = dataset.Tweet{ID: fmt.Sprint(i + 1), Text: texts[i%len(texts)], User: fmt.Sprint("u", i%1000)}
	}
	return out
}

// benchModel is a random-weight model of the production shape (dim 50,
// 100k hash buckets, word and character n-grams) over a vocabulary of the
// benchmark tweets.
//
// With rules (a rules file), the model has them as rule features.
func benchModel(b *testing.B, tw []dataset.Tweet, rules ...[]byte) *serving.Model {
	b.Helper()
	var texts []string
	for i := 0; i < len(tw) && i < 20000; i++ {
		texts = append(texts, tw[i].Text)
	}
	o := servingtest.Options{Version: "bench", Dim: 50, Buckets: 100000, Seed: 1, Texts: texts}
	if len(rules) > 0 {
		o.Rules = rules[0]
	}
	tm, err := servingtest.Random(o)
	if err != nil {
		b.Fatal(err)
	}
	m, err := serving.LoadFiles(tm.Files, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkScorer cleans and scores batches of real tweets (no sink).
//
//	go test -run '^$' -bench Scorer ./internal/scoring/
func BenchmarkScorer(b *testing.B) {
	tw := benchTweets(b, 20000)
	m := benchModel(b, tw)
	s, err := NewScorer(m)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{32, 512} {
		b.Run(fmt.Sprint("batch", n), func(b *testing.B) {
			var rows []Row
			i := 0
			b.ReportAllocs()
			cpu0 := benchutil.CPUSeconds()
			for b.Loop() {
				lo := (i * n) % (len(tw) - n)
				i++
				if rows, err = s.ScoreInto(context.Background(), rows[:0], tw[lo:lo+n]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tweets/s")
			b.ReportMetric(float64(n*b.N)/(benchutil.CPUSeconds()-cpu0), "tweets/cpu-s")
		})
	}
}

// benchStreamTweets is the number of tweets of BenchmarkStream and
// BenchmarkKafka: 40 batches of 512. A whole number of batches: a Kafka
// consumer stores a last partial batch only after the flush interval (50
// ms in BenchmarkKafka), a wait that a continuous stream does not have
// (with 20,000 tweets the last 32 waited up to 50 ms).
const benchStreamTweets = 40 * 512

// BenchmarkStream is the whole stream scorer on 20,480 real tweets as JSONL
// (standard input's path: ingest, batches of 512, score, store) into a
// Parquet sink in memory, and into PostgreSQL (a local test server with
// fsync off, a new table each iteration; skipped without PostgreSQL).
// Opening and closing the sinks is not timed.
//
//	go test -run '^$' -bench Stream -benchtime 3x ./internal/scoring/
func BenchmarkStream(b *testing.B) {
	const n = benchStreamTweets
	tw := benchTweets(b, n)
	m := benchModel(b, tw)
	s, err := NewScorer(m)
	if err != nil {
		b.Fatal(err)
	}
	var in bytes.Buffer
	for _, t := range tw {
		line, _ := json.Marshal(map[string]string{"id": t.ID, "text": t.Text, "author_id": t.User})
		in.Write(append(line, '\n'))
	}
	run := func(b *testing.B, sinks func() []Sink) {
		b.ReportAllocs()
		var m benchMeter
		for b.Loop() {
			b.StopTimer()
			ss := sinks()
			p := NewPipeline(s, ss, WithBatchSize(512))
			src := ingest.Source{Name: "-", Format: ingest.FormatJSONL,
				Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(in.Bytes())), nil }}
			m.start(b, ss...)
			st, err := Stream(context.Background(), []ingest.Source{src}, p, ingest.Options{})
			m.stop(b)
			if err != nil || st.RowsOut != n {
				b.Fatalf("stored %d rows: %v", st.RowsOut, err)
			}
			for _, s := range ss {
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
		}
		m.report(b, n)
	}
	b.Run("parquet", func(b *testing.B) {
		run(b, func() []Sink { return []Sink{NewParquetSink(newMemFiles().create)} })
	})
	b.Run("postgres", func(b *testing.B) {
		db := pgtest.Shared(b)
		conn := db.Connect(b)
		var tables []string
		run(b, func() []Sink {
			pg := benchTable(b, db, &tables)
			return []Sink{pg}
		})
		for _, table := range tables {
			var rows int
			if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&rows); err != nil || rows != n {
				b.Fatalf("%d rows in table %s, want %d: %v", rows, table, n, err)
			}
		}
	})
}

// benchTable opens a PostgreSQL sink on a new table (each iteration
// stores a stream of new tweets, as a live stream does; rescoring
// tweets already stored is the slower upsert path, see
// BenchmarkPostgresWrite) and records its name in tables.
func benchTable(b *testing.B, db *pgtest.Server, tables *[]string) *PostgresSink {
	b.Helper()
	name := fmt.Sprintf("bench_scores_%d", len(*tables)+1)
	pg, err := OpenPostgres(context.Background(), db.DSN(), WithTable(name))
	if err != nil {
		b.Fatal(err)
	}
	*tables = append(*tables, name)
	return pg
}

// benchMeter measures the timed part of benchmark iterations: the
// process's CPU time and that of the PostgreSQL backends serving the
// PostgreSQL sinks (read from /proc: 0 where it cannot be read), which
// run on the same 2 cores.
type benchMeter struct {
	cpu, pgCPU float64 // seconds, summed over iterations
	cpu0, pg0  float64
	pids       []uint32
}

func (m *benchMeter) start(b *testing.B, sinks ...Sink) {
	m.pids = m.pids[:0]
	for _, s := range sinks {
		if pg, ok := s.(*PostgresSink); ok {
			m.pids = append(m.pids, pg.conn.PgConn().PID())
		}
	}
	m.cpu0, m.pg0 = benchutil.CPUSeconds(), backendCPU(m.pids)
	b.StartTimer()
}

func (m *benchMeter) stop(b *testing.B) {
	b.StopTimer()
	m.cpu += benchutil.CPUSeconds() - m.cpu0
	m.pgCPU += backendCPU(m.pids) - m.pg0
}

// report reports tweets/s (wall), tweets/cpu-s (this process: the
// benchmark, and the broker and model server where they run in it) and,
// when PostgreSQL's backends could be read, pg-µs/tweet (their CPU time
// per tweet) and tweets/total-cpu-s (this process and those backends).
func (m *benchMeter) report(b *testing.B, perIter int) {
	tweets := float64(perIter * b.N)
	b.ReportMetric(tweets/b.Elapsed().Seconds(), "tweets/s")
	b.ReportMetric(tweets/m.cpu, "tweets/cpu-s")
	if m.pgCPU > 0 {
		b.ReportMetric(m.pgCPU*1e6/tweets, "pg-µs/tweet")
		b.ReportMetric(tweets/(m.cpu+m.pgCPU), "tweets/total-cpu-s")
	}
}

// backendCPU sums the CPU seconds used so far by the processes pids
// (Linux /proc/<pid>/schedstat; 0 for a process it cannot read).
func backendCPU(pids []uint32) float64 {
	var ns float64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			v, _ := strconv.ParseFloat(f[0], 64)
			ns += v
		}
	}
	return ns / 1e9
}

// BenchmarkKafka is the Kafka path end to end: 20,480 real tweets published
// once (as tweetflow JSON, untimed) to a 3-partition topic of an
// in-process kfake cluster, then consumed by a fresh consumer group each
// iteration (join, poll, decode, batches of 512, score, store in a new
// PostgreSQL table, commit offsets) until every offset is committed. Compare
// with BenchmarkStream/postgres (the file path) in the same run. The
// broker runs in this process, so tweets/cpu-s counts its CPU too.
//
// inprocess scores with the model in this process (ModelScorer); server
// scores through the model server (HTTPScorer: POST /predict over
// loopback HTTP to serving.Server on the same model, in this process too,
// 4 requests in flight of up to 256 texts), as score --predict-url does.
func BenchmarkKafka(b *testing.B) {
	const n = benchStreamTweets
	tw := benchTweets(b, n)
	m := benchModel(b, tw)
	db := pgtest.Shared(b)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "tweets"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	prod, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic("tweets"))
	if err != nil {
		b.Fatal(err)
	}
	var recs []*kgo.Record
	for _, t := range tw {
		v, _ := json.Marshal(map[string]string{"id": t.ID, "text": t.Text, "author_id": t.User})
		recs = append(recs, &kgo.Record{Key: []byte(t.ID), Value: v})
	}
	if err := prod.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
	prod.Close()
	group := 0
	var tables []string
	run := func(b *testing.B, s Scorer) {
		b.ReportAllocs()
		var meter benchMeter
		for b.Loop() {
			b.StopTimer()
			group++
			pg := benchTable(b, db, &tables)
			ctx, cancel := context.WithCancel(context.Background())
			var mu sync.Mutex
			done := map[int32]int64{}
			p := NewPipeline(s, []Sink{pg}, WithBatchSize(512))
			meter.start(b, pg)
			st, err := ConsumeKafka(ctx, p, KafkaOptions{
				Client: []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}, Topics: []string{"tweets"}, Group: fmt.Sprint("bench-", group),
				// The last partial batch waits the flush interval: short here,
				// as the file path ends at EOF without waiting.
				Earliest: true, BatchSize: 512, FlushInterval: 50 * time.Millisecond,
				OnCommit: func(offs map[string]map[int32]int64, err error) {
					if err != nil {
						return
					}
					mu.Lock()
					defer mu.Unlock()
					var sum int64
					for part, o := range offs["tweets"] {
						done[part] = max(done[part], o)
					}
					for _, o := range done {
						sum += o
					}
					if sum >= n {
						cancel()
					}
				},
			})
			meter.stop(b)
			cancel()
			if !errors.Is(err, context.Canceled) || st.Records != n {
				b.Fatalf("consumed %d records: %v", st.Records, err)
			}
			if err := pg.Close(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		meter.report(b, n)
	}
	b.Run("inprocess", func(b *testing.B) {
		s, err := NewScorer(m)
		if err != nil {
			b.Fatal(err)
		}
		run(b, s)
	})
	// The same with the example rules as rule features (train
	// --rule-features): each tweet's raw text also goes through the 24
	// labeling functions of examples/labeling/ai-tweets.rules.yaml.
	b.Run("inprocess-rules", func(b *testing.B) {
		rules, err := os.ReadFile(filepath.Join(shareddata.RepoRoot(b), "examples", "labeling", "ai-tweets.rules.yaml"))
		if err != nil {
			b.Fatal(err)
		}
		s, err := NewScorer(benchModel(b, tw, rules))
		if err != nil {
			b.Fatal(err)
		}
		run(b, s)
	})
	b.Run("server", func(b *testing.B) {
		ts := httptest.NewServer(serving.New(serving.StaticRegistry(m)))
		defer ts.Close()
		s, err := NewHTTPScorer(context.Background(), HTTPOptions{URL: ts.URL})
		if err != nil {
			b.Fatal(err)
		}
		run(b, s)
	})
}

// BenchmarkPostgresWrite is the PostgreSQL sink alone: 20k scored real
// tweets written in batches of 512 into a new table (new), then the same
// rows again (rescore: every row already stored, as after a redelivery or
// a rerun).
//
//	go test -run '^$' -bench PostgresWrite -benchtime 3x ./internal/scoring/
func BenchmarkPostgresWrite(b *testing.B) {
	const n, batch = 20000, 512
	tw := benchTweets(b, n)
	s, err := NewScorer(benchModel(b, tw))
	if err != nil {
		b.Fatal(err)
	}
	rows, err := s.ScoreInto(context.Background(), nil, tw)
	if err != nil {
		b.Fatal(err)
	}
	db := pgtest.Shared(b)
	var tables []string
	write := func(b *testing.B, pg *PostgresSink) {
		for i := 0; i < n; i += batch {
			if err := pg.Write(context.Background(), rows[i:min(i+batch, n)]); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, rescore := range []bool{false, true} {
		name := map[bool]string{false: "new", true: "rescore"}[rescore]
		b.Run(name, func(b *testing.B) {
			var m benchMeter
			for b.Loop() {
				b.StopTimer()
				pg := benchTable(b, db, &tables)
				if rescore {
					write(b, pg)
				}
				m.start(b, pg)
				write(b, pg)
				m.stop(b)
				if err := pg.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			m.report(b, n)
		})
	}
}
