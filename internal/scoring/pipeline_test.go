package scoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/ingest"
	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
)

func newTestPipeline(t testing.TB, sinks []Sink, opts ...PipelineOption) *Pipeline {
	t.Helper()
	m, _ := testModel(t, "v1")
	s, err := NewScorer(m, WithClock(fixedClock()))
	if err != nil {
		t.Fatal(err)
	}
	return NewPipeline(s, sinks, opts...)
}

func feed(tw []dataset.Tweet) <-chan dataset.Tweet {
	ch := make(chan dataset.Tweet)
	go func() {
		defer close(ch)
		for _, t := range tw {
			ch <- t
		}
	}()
	return ch
}

func TestPipelineBatchesBySize(t *testing.T) {
	sink := &memSink{}
	var infos []BatchInfo
	p := newTestPipeline(t, []Sink{sink}, WithBatchSize(10), WithFlushInterval(0), WithOnBatch(func(b BatchInfo) { infos = append(infos, b) }))
	in := tweets(25)
	if err := p.Run(context.Background(), feed(in)); err != nil {
		t.Fatal(err)
	}
	if got := sink.sizes(); !slices.Equal(got, []int{10, 10, 5}) {
		t.Fatalf("batch sizes %v, want [10 10 5]", got)
	}
	if len(infos) != 3 || infos[2].Rows != 5 {
		t.Errorf("OnBatch calls %+v", infos)
	}
	rows := sink.rows()
	var labels = map[string]int64{}
	for i, r := range rows {
		if r.ID != in[i].ID {
			t.Fatalf("row %d is tweet %s, want %s (input order)", i, r.ID, in[i].ID)
		}
		labels[r.Label]++
	}
	st := p.Stats()
	if st.RowsOut != 25 || st.Batches != 3 || fmt.Sprint(st.Labels) != fmt.Sprint(labels) {
		t.Errorf("stats %+v, want 25 rows, 3 batches, labels %v", st, labels)
	}
	if sink.closed {
		t.Error("Run closed the sink")
	}
}

func TestPipelineFlushInterval(t *testing.T) {
	sink := &memSink{notify: make(chan int, 10)}
	p := newTestPipeline(t, []Sink{sink}, WithBatchSize(1000), WithFlushInterval(50*time.Millisecond))
	in := make(chan dataset.Tweet)
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background(), in) }()
	tw := tweets(5)
	for _, x := range tw[:3] {
		in <- x
	}
	// The partial batch is stored while the input is still open.
	select {
	case n := <-sink.notify:
		if n != 3 {
			t.Fatalf("first flush stored %d rows, want 3", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a partial batch was not flushed after the interval")
	}
	for _, x := range tw[3:] {
		in <- x
	}
	close(in)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := sink.sizes(); !slices.Equal(got, []int{3, 2}) {
		t.Fatalf("batch sizes %v, want [3 2]", got)
	}
}

func TestPipelineCancelFlushes(t *testing.T) {
	sink := &memSink{}
	p := newTestPipeline(t, []Sink{sink}, WithBatchSize(1000), WithFlushInterval(0))
	ctx, cancel := context.WithCancel(context.Background())
	in := make(chan dataset.Tweet, 10)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, in) }()
	tw := tweets(8)
	for _, x := range tw[:5] {
		in <- x
	}
	for len(in) > 0 { // Run took them
		time.Sleep(time.Millisecond)
	}
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if got := len(sink.rows()); got != 5 {
		t.Fatalf("%d rows stored on cancel, want the 5 buffered", got)
	}
}

func TestPipelineSinkError(t *testing.T) {
	good, bad := &memSink{}, &memSink{failOn: 2}
	p := newTestPipeline(t, []Sink{good, bad}, WithBatchSize(4), WithFlushInterval(0))
	err := p.Run(context.Background(), feed(tweets(20)))
	if err == nil || !strings.Contains(err.Error(), "sink failure") {
		t.Fatalf("Run = %v, want the sink's error", err)
	}
	if st := p.Stats(); st.RowsOut != 4 {
		t.Errorf("stats count %d rows, want the 4 of the batch stored everywhere", st.RowsOut)
	}
}

// jsonLine renders a tweet as the JSONL the stream reads.
func jsonLine(id int, text string) string {
	b, _ := json.Marshal(map[string]any{"id": fmt.Sprint(id), "text": text, "created_at": "2026-03-01T12:00:00Z", "author_id": "u1"})
	return string(b) + "\n"
}

func stdinSource(r io.Reader) ingest.Source {
	return ingest.Source{Name: "-", Format: ingest.FormatJSONL, Open: func() (io.ReadCloser, error) { return io.NopCloser(r), nil }}
}

// TestStreamStdinToPostgres writes JSONL slowly through a pipe and checks
// that rows reach PostgreSQL (by the flush interval) before the end of
// the input.
func TestStreamStdinToPostgres(t *testing.T) {
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	ctx := context.Background()
	pg, err := OpenPostgres(ctx, db.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	p := newTestPipeline(t, []Sink{pg}, WithBatchSize(100), WithFlushInterval(100*time.Millisecond))
	pr, pw := io.Pipe()
	type result struct {
		st  StreamStats
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := Stream(ctx, []ingest.Source{stdinSource(pr)}, p, ingest.Options{MaxBadRows: 5})
		done <- result{st, err}
	}()
	texts := servingtest.Texts
	for i := 0; i < 3; i++ {
		if _, err := io.WriteString(pw, jsonLine(i+1, texts[i])); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The input is still open: the rows must show up anyway.
	deadline := time.Now().Add(10 * time.Second)
	for count(t, conn, "SELECT count(*) FROM tweet_scores") < 3 {
		if time.Now().After(deadline) {
			t.Fatal("rows of an open stream did not reach PostgreSQL")
		}
		time.Sleep(20 * time.Millisecond)
	}
	io.WriteString(pw, "{not json\n")
	io.WriteString(pw, jsonLine(4, texts[3])+jsonLine(5, texts[4]))
	pw.Close()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if n := count(t, conn, "SELECT count(*) FROM tweet_scores"); n != 5 {
		t.Fatalf("%d rows stored, want 5", n)
	}
	if r.st.RowsIn != 6 || r.st.BadRows != 1 || r.st.RowsOut != 5 || r.st.Ingest.BadRows != 1 || r.st.Batches < 2 {
		t.Errorf("stats %+v: want 6 rows in, 1 bad, 5 out, at least 2 batches", r.st)
	}
	var id string
	if err := conn.QueryRow(ctx, "SELECT tweet_id FROM tweet_scores WHERE user_name = 'u1' AND text = $1", texts[4]).Scan(&id); err != nil || id != "5" {
		t.Errorf("tweet 5: id %q, %v", id, err)
	}
}

func TestStreamBadRowsBounded(t *testing.T) {
	var in strings.Builder
	for i := 0; i < 10; i++ {
		in.WriteString(jsonLine(i+1, "good tweet"))
		if i%3 == 2 {
			in.WriteString(`{"id": "x", "text": "bad id"}` + "\n")
		}
	}
	for _, tc := range []struct {
		max     int
		fail    bool
		rowsOut int64
	}{{max: 3, rowsOut: 10}, {max: 2, fail: true, rowsOut: 9}, {max: 0, fail: true, rowsOut: 3}} {
		t.Run(fmt.Sprint("max", tc.max), func(t *testing.T) {
			sink := &memSink{}
			p := newTestPipeline(t, []Sink{sink}, WithBatchSize(4))
			var logged int
			st, err := Stream(context.Background(), []ingest.Source{stdinSource(strings.NewReader(in.String()))}, p,
				ingest.Options{MaxBadRows: tc.max, OnBadRow: func(ingest.BadRow) { logged++ }})
			if tc.fail != errors.Is(err, ingest.ErrTooManyBadRows) {
				t.Fatalf("Stream = %v, want too many bad rows: %v", err, tc.fail)
			}
			// The good rows read before the failure are stored.
			if st.RowsOut != tc.rowsOut || int64(len(sink.rows())) != tc.rowsOut {
				t.Errorf("stored %d rows (stats %d), want %d", len(sink.rows()), st.RowsOut, tc.rowsOut)
			}
			if int64(logged) != st.BadRows || st.BadRows != min(3, int64(tc.max)+1) {
				t.Errorf("bad rows: %d counted, %d logged", st.BadRows, logged)
			}
		})
	}
}

func TestStreamCancelWhileReading(t *testing.T) {
	sink := &memSink{notify: make(chan int, 10)}
	p := newTestPipeline(t, []Sink{sink}, WithBatchSize(1000), WithFlushInterval(0))
	pr, pw := io.Pipe()
	defer pw.Close() // the reader goroutine ends with the pipe
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var st StreamStats
	go func() {
		var err error
		st, err = Stream(ctx, []ingest.Source{stdinSource(pr)}, p, ingest.Options{})
		done <- err
	}()
	for i := 0; i < 4; i++ {
		io.WriteString(pw, jsonLine(i+1, "a tweet"))
	}
	// Written lines are taken by the reader; then the input blocks.
	deadline := time.Now().Add(10 * time.Second)
	for p.Received() < 4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Stream = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stream did not return after cancel while its input blocked")
	}
	if got := len(sink.rows()); got != 4 || st.RowsOut != 4 {
		t.Fatalf("%d rows stored (stats %d) on cancel, want the 4 read", got, st.RowsOut)
	}
}

// blockingSink blocks each Write until released or its context ends.
type blockingSink struct {
	memSink
	started chan struct{}
	release chan struct{}
}

func (s *blockingSink) Write(ctx context.Context, rows []Row) error {
	s.started <- struct{}{}
	select {
	case <-s.release:
		return s.memSink.Write(ctx, rows)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestPipelineCancelDuringWrite(t *testing.T) {
	sink := &blockingSink{started: make(chan struct{}, 1), release: make(chan struct{})}
	p := newTestPipeline(t, []Sink{sink}, WithBatchSize(3), WithFlushInterval(0))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	in := make(chan dataset.Tweet)
	go func() { done <- p.Run(ctx, in) }()
	for _, x := range tweets(3) {
		in <- x
	}
	<-sink.started // the batch is being written
	cancel()
	time.Sleep(20 * time.Millisecond)
	close(sink.release)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if got := len(sink.rows()); got != 3 {
		t.Fatalf("%d rows stored, want the batch being written when cancelled", got)
	}
}

func TestPipelineWriteTimeout(t *testing.T) {
	sink := &blockingSink{started: make(chan struct{}, 1), release: make(chan struct{})}
	p := newTestPipeline(t, []Sink{sink}, WithBatchSize(2), WithWriteTimeout(30*time.Millisecond))
	err := p.Run(context.Background(), feed(tweets(2)))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v, want the write timeout", err)
	}
}

// scriptedSink hands each Write to the test: the write waits for the
// error the test sends on the channel it receives from calls (nil: the
// rows are stored).
type scriptedSink struct {
	memSink
	calls chan chan error
}

func (s *scriptedSink) Write(ctx context.Context, rows []Row) error {
	reply := make(chan error)
	s.calls <- reply
	if err := <-reply; err != nil {
		return err
	}
	return s.memSink.Write(ctx, rows)
}

// notifyScorer reports each scored batch's size on scored.
type notifyScorer struct {
	Scorer
	scored chan int
}

func (s *notifyScorer) ScoreInto(ctx context.Context, dst []Row, tw []dataset.Tweet) ([]Row, error) {
	rows, err := s.Scorer.ScoreInto(ctx, dst, tw)
	s.scored <- len(tw)
	return rows, err
}

// recv receives from ch or fails the test after 10 s.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// TestPipelineStoreStages: Store scores a batch while the one before it
// is written, holds the source back when two batches are in flight, and
// after a failed write of batch N finishes neither N nor the batch N+1
// scored meanwhile (a Kafka source commits nothing of them); after a
// failed after of batch N, N+1 may be written but is not finished.
func TestPipelineStoreStages(t *testing.T) {
	for _, failAfter := range []bool{false, true} {
		t.Run(map[bool]string{false: "write fails", true: "after fails"}[failAfter], func(t *testing.T) {
			m, _ := testModel(t, "v1")
			base, err := NewScorer(m)
			if err != nil {
				t.Fatal(err)
			}
			sc := &notifyScorer{Scorer: base, scored: make(chan int, 10)}
			sink := &scriptedSink{calls: make(chan chan error)}
			p := NewPipeline(sc, []Sink{sink})
			var mu sync.Mutex
			var finished []int
			after := func(n int) func(context.Context) error {
				return func(context.Context) error {
					mu.Lock()
					defer mu.Unlock()
					if failAfter && n == 1 {
						return errors.New("commit 1 failed")
					}
					finished = append(finished, n)
					return nil
				}
			}
			tw := tweets(40)
			ctx := context.Background()
			if err := p.Store(ctx, tw[0:10], after(1)); err != nil {
				t.Fatal(err)
			}
			write1 := recv(t, sink.calls, "write 1")
			if err := p.Store(ctx, tw[10:20], after(2)); err != nil {
				t.Fatal(err)
			}
			recv(t, sc.scored, "batch 1 scored")
			recv(t, sc.scored, "batch 2 scored while batch 1 is written")
			stored3 := make(chan error, 1)
			go func() { stored3 <- p.Store(ctx, tw[20:30], after(3)) }()
			select {
			case err := <-stored3:
				t.Fatalf("Store of a third batch returned (%v) with two in flight", err)
			case <-time.After(50 * time.Millisecond):
			}
			write1 <- nil
			write2 := recv(t, sink.calls, "write 2")
			if failAfter {
				// Batch 2 is stored but not finished; Store returns batch 1's
				// error once batch 2 ended, and batch 3 is not submitted.
				write2 <- nil
				if err := recv(t, stored3, "Store of batch 3"); err == nil || err.Error() != "commit 1 failed" {
					t.Fatalf("Store = %v, want batch 1's error", err)
				}
			} else {
				if err := recv(t, stored3, "Store of batch 3 once batch 1 finished"); err != nil {
					t.Fatal(err)
				}
				recv(t, sc.scored, "batch 3 scored")
				write2 <- errors.New("write 2 failed")
				waited := make(chan error, 1)
				go func() { waited <- p.Wait() }()
				select {
				case <-sink.calls:
					t.Fatal("batch 3 was written after batch 2 failed")
				case err := <-waited:
					if err == nil || err.Error() != "write 2 failed" {
						t.Fatalf("Wait = %v, want write 2's error", err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("Wait did not return")
				}
			}
			select {
			case <-sink.calls:
				t.Fatal("batch 3 was written after a failed batch")
			default:
			}
			wantRows := 10
			if failAfter {
				wantRows = 20
			}
			mu.Lock()
			if got := len(sink.rows()); got != wantRows || (failAfter && len(finished) != 0) || (!failAfter && !slices.Equal(finished, []int{1})) {
				t.Fatalf("%d rows stored, batches %v finished; want %d rows", got, finished, wantRows)
			}
			mu.Unlock()

			// The pipeline goes on after the error was returned.
			if err := p.Store(ctx, tw[30:40], after(4)); err != nil {
				t.Fatal(err)
			}
			recv(t, sink.calls, "write 4") <- nil
			if err := p.Wait(); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if finished[len(finished)-1] != 4 {
				t.Fatalf("batches %v finished, want 4 last", finished)
			}
		})
	}
}
