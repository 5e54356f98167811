package scoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
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
